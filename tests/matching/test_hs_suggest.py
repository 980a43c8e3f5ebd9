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
