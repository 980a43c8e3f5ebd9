"""The graph walk grows with the graph: short for 100,000 vectors, SEARCH_WIDTH at 1,000,000."""

from __future__ import annotations

import numpy as np

from corridor.matching import index as index_module
from corridor.matching.index import SEARCH_WIDTH, SMALL_WIDTH, VectorIndex, walk


def test_the_walk_is_short_for_small_graphs_and_full_from_a_million():
    assert SMALL_WIDTH < SEARCH_WIDTH
    assert walk(5_000) == walk(100_000) == SMALL_WIDTH
    assert walk(1_000_000) == walk(5_000_000) == SEARCH_WIDTH
    between = [walk(n) for n in (150_000, 300_000, 600_000, 900_000)]
    assert between == sorted(between) and SMALL_WIDTH < between[0] < between[-1] < SEARCH_WIDTH


def test_a_graph_search_walks_as_far_as_its_size_asks(monkeypatch):
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(16, "hnsw")
    index.add(np.arange(300), vectors)
    index.search(vectors[3], 10)
    assert index._hnsw.expansion_search == SMALL_WIDTH
    # A graph counted as a million vectors walks the full width.
    monkeypatch.setattr(index_module, "walk", lambda n: SEARCH_WIDTH if n == 300 else 0)
    keys, _ = index.search(vectors[3], 10)
    assert index._hnsw.expansion_search == SEARCH_WIDTH and keys[0] == 3
