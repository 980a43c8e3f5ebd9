"""HS suggestion: multilingual descriptions, confidences, and learning from confirmations."""

from __future__ import annotations

import pytest

from corridor.matching.hs_suggest import HsSuggester


@pytest.mark.parametrize(
    "text",
    ["jasmine rice, milled, 25 kg bags", "gạo trắng", "ข้าวหอมมะลิ", "អង្ករ", "ເຂົ້າໜຽວ", "ဆန်", "大米"],
)
def test_rice_in_the_regions_languages(embedder, text):
    # Without the seeds (which name rice in every language): the nomenclature alone must do.
    codes = [
        s.code for s in HsSuggester(embedder=embedder, use_seeds=False, use_uk=False).suggest(text)
    ]
    assert any(code.startswith("1006") for code in codes), codes


def test_suggestions_are_ranked_with_confidences(suggester):
    suggestions = suggester.suggest("frozen shrimp, 1 kg boxes", top=5)
    assert len(suggestions) == 5
    assert suggestions[0].code.startswith("0306")
    scores = [s.score for s in suggestions]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1
    assert suggestions[0].description


def test_a_text_without_a_word_of_the_examples_is_suggested(suggester):
    """The word "shellac" names a glossary concept but no word of any example: the examples'
    BM25 row of a batch without a single posting came back as integers, and it crashed."""
    assert suggester.suggest("shellac")
    assert suggester.suggest_many(["shellac", "zzqx"])[0]


def test_confirmed_examples_are_learned(embedder):
    text = "Bat Trang blue and white vase"
    before = HsSuggester(embedder=embedder).suggest(text)
    learned = HsSuggester(examples=[(text, "6913.90"), ("nonsense", "999999")], embedder=embedder)
    after = learned.suggest(text)
    assert after[0].code == "691390"
    assert after[0].score > (before[0].score if before[0].code == "691390" else 0)
    # A near paraphrase benefits too.
    assert learned.suggest("blue and white vase from Bat Trang")[0].code == "691390"


def test_heading_guess_sums_the_suggestions_per_heading(suggester, embedder):
    # The ranking's HS agreement compares these distributions: the guessed heading of a plain
    # product must be its own, holding at least the mass of its listed subheadings.
    text = "basmati rice"
    heads, probs = suggester.heading_guess([text], embedder.embed_queries([text]), top=5)
    assert heads.shape == probs.shape == (1, 5)
    assert heads[0, 0] == 1006
    assert list(probs[0]) == sorted(probs[0], reverse=True) and probs[0].sum() <= 1.0 + 1e-5
    listed = sum(s.score for s in suggester.suggest(text) if s.code.startswith("1006"))
    assert probs[0, 0] >= listed - 1e-5


def test_guess_lists_the_suggested_subheadings_with_their_confidences(suggester, embedder):
    # The catalog stores these per offer for the ranking's agreement at 6 digits.
    text = "frozen shrimp, 1 kg boxes"
    heads, head_probs, codes, code_probs = suggester.guess([text], embedder.embed_queries([text]))
    suggestions = suggester.suggest(text)
    assert [f"{c:06d}" for c in codes[0]] == [s.code for s in suggestions]
    assert heads[0, 0] == int(suggestions[0].code[:4]) and head_probs[0, 0] >= code_probs[0, 0]
    # Sharper than the confidences shown (GUESS_TEMPERATURE < 1): the first gains, the rest lose.
    assert code_probs[0, 0] > suggestions[0].score and code_probs[0, -1] < suggestions[-1].score


def _feature(suggester, text, name, code):
    from corridor.matching.hs_suggest import FEATURES

    vector = suggester.embedder.embed_queries([text])[0]
    return suggester.features(text, vector)[FEATURES.index(name), suggester.codes.index(code)]


def test_examples_sharing_rare_words_vote_whatever_the_embedding_says(embedder):
    examples = [("zorblax gearbox housing", "848340"), ("plain bearing housing", "848330")]
    suggester = HsSuggester(examples=examples, embedder=embedder, use_seeds=False, use_uk=False)
    # "zorblax" is in one example only: the lexical vote is all for its code, and its heading.
    assert _feature(suggester, "zorblax", "lexical_knn", "848340") == pytest.approx(1.0)
    assert _feature(suggester, "zorblax", "lexical_knn", "848330") == 0.0
    assert _feature(suggester, "zorblax", "lexical_knn_4", "848330") == pytest.approx(1.0)
    assert _feature(suggester, "zorblax", "lexical_knn", "848340") > _feature(
        HsSuggester(embedder=embedder, use_seeds=False, use_uk=False),
        "zorblax",
        "lexical_knn",
        "848340",
    )


def test_the_wide_knn_vote_weighs_closeness_steeply(embedder):
    from corridor.matching.hs_suggest import KNN_POW

    text = "stainless steel kitchen sink"
    examples = [("stainless steel kitchen sinks", "732410"), ("kitchen sink mixer tap", "848180")]
    suggester = HsSuggester(examples=examples, embedder=embedder, use_seeds=False, use_uk=False)
    q = embedder.embed_queries([text])[0]
    near, far = (float(v @ q) for v in embedder.embed_queries([t for t, _ in examples]))
    assert near > far > 0.8  # both close enough to count
    share = near**KNN_POW / (near**KNN_POW + far**KNN_POW)
    assert _feature(suggester, text, "knn_pow", "732410") == pytest.approx(share, abs=1e-3)
    assert _feature(suggester, text, "knn_pow", "848180") == pytest.approx(1 - share, abs=1e-3)


def test_cached_guesser_hands_out_a_prepared_batch_and_forgets_after_a_new_example():
    import numpy as np

    from corridor.matching.hs_suggest import CachedGuesser

    class Counting:
        def __init__(self):
            self._ex_codes, self.calls = [], []

        def guess(self, texts, vectors, top=5):
            self.calls.append(list(texts))
            n = len(texts)
            heads = np.arange(n * top, dtype=np.int32).reshape(n, top)
            return heads, np.ones((n, top), np.float32), heads * 100, np.ones((n, top), np.float32)

    inner = Counting()
    guesser = CachedGuesser(lambda: inner)
    guesser.prepare(["rice", "tea"], np.zeros((2, 4)), top=3)
    assert inner.calls == [["rice", "tea"]]  # one pass for the batch
    heads, _probs = guesser.heading_guess(["tea"], np.zeros((1, 4)), top=3)
    assert heads.tolist() == [[3, 4, 5]] and inner.calls == [["rice", "tea"]]
    inner._ex_codes.append(7)  # a confirmed example: guesses may change
    guesser.guess(["tea"], np.zeros((1, 4)), top=3)
    assert inner.calls[-1] == ["tea"]


def test_a_batch_is_guessed_as_each_text_alone(suggester, embedder, monkeypatch):
    # The batch path computes the features of many texts together (2-D arrays, one BM25
    # gather, one re-ranker call): each text must still get its own guesses, also across
    # batches (3 texts per batch here).
    import numpy as np

    from corridor.matching import hs_suggest

    texts = [
        "frozen shrimp, 1 kg boxes",
        "ข้าวหอมมะลิ 25 kg",
        "cà phê robusta nhân xanh",
        "natural rubber sheets RSS3",
        "cashew kernels W320",
        "wooden dining chairs",
        "ထိုင်းဆန်",
    ]
    vectors = embedder.embed_queries(texts)
    monkeypatch.setattr(hs_suggest, "GUESS_BATCH", 3)
    batch = suggester.guess(texts, vectors)
    alone = [suggester.guess([t], vectors[i : i + 1]) for i, t in enumerate(texts)]
    for part in (0, 2):  # headings and subheadings: the same, in the same order
        assert batch[part].tolist() == [a[part][0].tolist() for a in alone]
    for part in (1, 3):
        assert np.allclose(batch[part], [a[part][0] for a in alone], atol=1e-5)
    assert len({tuple(row) for row in batch[2].tolist()}) == len(texts)  # distinct guesses
    # The features too (the learning scripts read them text by text; a one-row matrix
    # product rounds differently in the last float32 digits).
    features = list(suggester._features_many(texts, suggester._similarities(vectors)))
    assert np.allclose(features[3], suggester.features(texts[3], vectors[3]), atol=1e-5)
