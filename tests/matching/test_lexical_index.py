"""BM25 across scripts, the glossary, and the vector index (exact and HNSW, save and load)."""

from __future__ import annotations

import numpy as np
import pytest

from corridor.matching.glossary import concepts
from corridor.matching.index import VectorIndex
from corridor.matching.lexical import BM25, analyse


def test_bm25_ranks_and_folds():
    docs = ["Gạo thơm ST25 Sóc Trăng", "Cà phê Robusta Đắk Lắk", "ข้าวหอมมะลิ ทุ่งกุลา"]
    index = BM25.build(analyse(d) for d in docs)
    positions, scores = index.top(analyse("gao thom"), 3)
    assert positions[0] == 0 and len(positions) == 1
    # Thai: a differently segmented query still meets the document through n-grams.
    positions, _ = index.top(analyse("หอมมะลิ"), 3)
    assert positions[0] == 2
    assert index.top(analyse("durian"), 3)[0].size == 0


def test_bm25_tiled_is_the_same_corpus_repeated():
    docs = [analyse("rice rice paddy"), analyse("frozen shrimp"), analyse("rice bran oil")]
    index = BM25.build(docs)
    tiled = index.tiled(3)
    assert tiled.n_docs == 9
    scores = tiled.scores(analyse("rice"))
    assert np.allclose(scores[:3], scores[3:6]) and np.allclose(scores[:3], scores[6:])


def test_glossary_bridges_scripts_without_false_friends():
    assert concepts("ข้าวหอมมะลิ") == ["rice"]
    assert concepts("ข้าวโพดหวาน") == ["maize"]  # maize, not rice
    assert concepts("gạo trắng") == ["rice"]
    assert concepts("cà chua") == ["tomato"]  # tomato: "cà" is not "cá" (fish)
    assert concepts("Vải thiều Bắc Giang") == ["lychee"]
    assert concepts("冷冻虾") == ["frozen", "shrimp"]
    assert concepts("carpet") == []


def _unit(rows, dim, seed):
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["exact", "hnsw"])
def test_vector_index_search_save_load(kind, tmp_path):
    vectors = _unit(500, 32, 1)
    index = VectorIndex(32, kind)
    index.add(np.arange(500) + 1000, vectors)
    keys, sims = index.search(vectors[7], 5)
    assert keys[0] == 1007 and sims[0] == pytest.approx(1.0, abs=0.02)
    assert list(sims) == sorted(sims, reverse=True)
    path = tmp_path / f"{kind}.index"
    index.save(path)
    loaded = VectorIndex.load(path)
    assert len(loaded) == 500 and loaded.is_hnsw == (kind == "hnsw")
    assert loaded.search(vectors[7], 1)[0][0] == 1007
    loaded.remove([1007])
    assert 1007 not in loaded.search(vectors[7], 5)[0]
    # Replacing a key keeps one vector for it.
    loaded.add([1008], vectors[9:10])
    assert len(loaded) == 499
    assert loaded.search(vectors[9], 2)[0].tolist().count(1008) == 1


def test_exact_index_turns_into_hnsw_past_the_limit(monkeypatch):
    from corridor.matching import index as index_module

    monkeypatch.setattr(index_module, "EXACT_LIMIT", 100)
    vectors = _unit(150, 16, 2)
    index = VectorIndex(16)
    index.add(np.arange(150), vectors)
    assert index.is_hnsw and len(index) == 150
    assert index.search(vectors[42], 1)[0][0] == 42


def test_scores_of_many_queries_are_each_querys_scores():
    import numpy as np

    from corridor.matching.lexical import BM25

    bm25 = BM25.build([["rice", "jasmine"], ["rice", "rice", "bag"], ["coffee"], []])
    queries = [["rice"], [], ["coffee", "rice", "unknown"], ["jasmine", "jasmine"]]
    many = bm25.scores_many(queries)
    assert many.shape == (4, 4)
    for row, query in zip(many, queries, strict=True):
        assert np.array_equal(row, bm25.scores(query))  # bit for bit: same order of sums
    assert many[2, 2] > 0 and many[2, 3] == 0 and not many[1].any()
    # A batch without a single known word: still floats (bincount alone gives integers).
    assert bm25.scores_many([["unknown"], []]).dtype == np.float64
