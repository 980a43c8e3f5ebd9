"""The HS suggester's re-ranker (data/hs_rerank.txt): shipped, used, monotone, never stale."""

from __future__ import annotations

import numpy as np

from corridor.matching.hs_rerank import candidate_matrix, diversify, fusion_digest, shipped
from corridor.matching.hs_suggest import FEATURES, HsSuggester, learned_weights


def test_the_reranker_is_shipped_for_the_shipped_fusion(suggester):
    assert suggester.reranker is not None, "run python -m corridor.matching.learn_hs_rerank"
    meta = suggester.reranker.meta
    assert tuple(meta["features"]) == FEATURES and meta["texts"] > 3000
    # Kept because it beat the linear fusion in cross-validation on the UK learning part.
    cv, linear = meta["cross_validation"], meta["cross_validation_linear"]
    assert cv["top-1 @6"] > linear["top-1 @6"] and cv["top-5 @4"] > linear["top-5 @4"]


def _candidates(suggester, embedder, text):
    vector = embedder.embed_queries([text])[0]
    features = suggester.features(text, vector)
    scores = suggester.fusion @ features
    counts = suggester._examples_per_code()
    top, rows = candidate_matrix(
        features, scores, suggester._heading, suggester._n_heads, text, counts
    )
    return scores, top, rows


def test_suggestions_follow_the_reranker(suggester, embedder):
    # "Granulated sugar" in Thai: the linear fusion puts raw cane sugar (1701.14) first; the
    # re-ranker, as its model scores the candidates, puts refined sugar (1701.99) first.
    text = "น้ำตาลทราย"
    scores, top, rows = _candidates(suggester, embedder, text)
    assert suggester.codes[int(np.argmax(scores))] == "170114"
    model = suggester.reranker.scores(rows, suggester._heading[top])
    expected = [suggester.codes[i] for i in top[np.argsort(-model, kind="stable")][:5]]
    got = suggester.suggest(text)
    assert [s.code for s in got] == expected and got[0].code == "170199"
    scores = [s.score for s in got]
    assert scores == sorted(scores, reverse=True) and sum(scores) <= 1 + 1e-6
    linear = HsSuggester(embedder=embedder, rerank=False).suggest(text)
    assert linear[0].code == "170114"


def test_more_evidence_never_lowers_a_candidate(suggester, embedder):
    # Trained monotone in every signal (as the linear fusion keeps its weights >= 0): otherwise
    # the trees learned on UK texts that a word match counts against a candidate.
    _, _, rows = _candidates(suggester, embedder, "cheddar cheese block")
    booster = suggester.reranker.booster
    before = booster.predict(rows, num_threads=1)
    for column in range(len(FEATURES)):
        more = rows.copy()
        more[:, column] += 0.5
        assert (booster.predict(more, num_threads=1) >= before - 1e-9).all(), FEATURES[column]
    assert suggester.suggest("cheddar cheese block")[0].code.startswith("0406")


def test_a_reranker_trained_on_another_fusion_is_not_used(embedder):
    learned = learned_weights()
    other = {**learned, "weights": [w * 1.5 for w in learned["weights"]]}
    assert HsSuggester(embedder=embedder, fusion=other).reranker is None
    assert shipped(fusion_digest(other["features"], other["weights"])) is None


def test_diversity_lowers_a_candidate_per_better_one_of_its_heading():
    scores = np.array([3.0, 2.0, 1.8, 1.0])
    heads = np.array([7, 7, 9, 7])
    assert list(diversify(scores, heads, 0.5)) == [3.0, 1.5, 1.8, 0.0]
