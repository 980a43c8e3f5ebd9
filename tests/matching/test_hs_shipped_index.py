"""The derived HS index shipped in the package: US HTS text, UK examples, learned fusion."""

from __future__ import annotations

import json

import pytest

from corridor.matching.build_hs_vectors import DATA, hts_rows, read_uk_examples, seeds_digest
from corridor.matching.hs import subheadings
from corridor.matching.hs_suggest import FEATURES, HsSuggester, hts_text, learned_weights


def test_hts_text_covers_nearly_every_subheading_with_known_codes():
    text = hts_text()
    valid = {e.code for e in subheadings()}
    assert len(text) > 5000 and set(text) <= valid
    assert "Mangoes" in text["080450"]


def test_shipped_uk_vectors_match_the_csv():
    # Editing data/uk_references_learn.csv without `build_hs_vectors uk` makes every process
    # embed 3,800 texts at start-up.
    rows = read_uk_examples()
    meta = json.loads((DATA / "uk_example_vectors.json").read_text(encoding="utf-8"))
    assert meta["texts"] == seeds_digest(rows) and meta["count"] == len(rows) > 3000
    assert all(code in {e.code for e in subheadings()} for _, code in rows)


def test_shipped_hts_vectors_match_the_hts_text():
    # Editing data/hts_paths.tsv (or the chunking) without `build_hs_vectors hts` makes every
    # process embed 8,000 pieces at start-up.
    codes, texts = hts_rows()
    meta = json.loads((DATA / "hts_vectors.json").read_text(encoding="utf-8"))
    assert meta["texts"] == seeds_digest([(t, "") for t in texts])
    assert meta["codes"] == codes and len(codes) > 5000


def test_shipped_index_stays_small():
    shipped = [
        "hts_paths.tsv",
        "uk_references_learn.csv",
        "uk_example_vectors.npy",
        "hts_vectors.npy",
    ]
    assert sum((DATA / name).stat().st_size for name in shipped) < 30 * 1024 * 1024


def test_learned_fusion_is_shipped_for_the_current_features():
    learned = learned_weights()
    assert learned is not None, "run python -m corridor.matching.learn_hs_fusion"
    assert tuple(learned["features"]) == FEATURES
    assert learned["texts"] > 3000


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # Words only the US tariff lines use under these subheadings.
        ("keyboards", "847160"),
        ("basmati", "100620"),
    ],
)
def test_hts_text_teaches_words_the_nomenclature_lacks(embedder, text, code):
    suggester = HsSuggester(embedder=embedder, use_seeds=False, use_uk=False)
    codes = [s.code[:4] for s in suggester.suggest(text)]
    assert code[:4] in codes, codes


def test_the_hts_signal_is_what_finds_them(embedder):
    suggester = HsSuggester(embedder=embedder, use_seeds=False, use_uk=False)
    features = suggester.features("keyboards", embedder.embed_queries(["keyboards"])[0])
    row = FEATURES.index("lexical_hts")
    assert suggester.codes[int(features[row].argmax())][:4] == "8471"


def test_the_hts_pieces_are_embedded_and_count_for_their_subheading(suggester, embedder):
    # "Basmati" is named only in the US tariff lines of 100630 (milled rice): the embedded HTS
    # piece must be closer to "basmati rice" than the nomenclature line is.
    vector = embedder.embed_queries(["basmati rice"])[0]
    features = suggester.features("basmati rice", vector)
    column = suggester.codes.index("100630")
    semantic = features[FEATURES.index("semantic"), column]
    assert features[FEATURES.index("semantic_hts"), column] > semantic
