"""The shipped seed examples: valid codes, current vectors, and trade names they teach."""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import pytest

from corridor.core.text import fold
from corridor.matching.build_hs_vectors import DATA, read_seeds, seeds_digest
from corridor.matching.hs import subheadings
from corridor.matching.hs_suggest import HsSuggester, SuggestWeights

# Trade names that are not seeds themselves (paraphrases with grades, places and sizes), and
# that the nomenclature alone gets wrong or leaves to a neighbour.
TRADE_NAMES = [
    ("tôm sú đông lạnh size 16/20", "030617"),
    ("ST25 rice new crop", "100630"),
    ("cà phê robusta nhân xô", "090111"),
    ("lụa tơ tằm Vạn Phúc", "500720"),
    ("cashew W240", "080132"),
    ("nhãn sấy khô", "081340"),
    ("thanh long ruột đỏ", "081090"),
]


@pytest.fixture(scope="module")
def bare(embedder):
    return HsSuggester(embedder=embedder, use_seeds=False, use_uk=False)


def test_every_seed_is_an_hs_2022_subheading_with_one_code_per_text():
    valid = {e.code for e in subheadings()}
    seeds = read_seeds()
    assert len(seeds) > 3000
    assert all(code in valid for _, code in seeds), [s for s in seeds if s[1] not in valid]
    codes = defaultdict(set)
    for text, code in seeds:
        codes[fold(text).strip()].add(code)
    assert not {t: c for t, c in codes.items() if len(c) > 1}


def test_seeds_cover_the_regions_languages():
    with (DATA / "hs_seed_examples.csv").open(encoding="utf-8", newline="") as stream:
        languages = {row["lang"] for row in csv.DictReader(stream)}
    assert {"en", "vi", "th", "km", "lo", "my", "zh"} <= languages


def test_shipped_seed_vectors_match_the_csv():
    # Editing the CSV without `python -m corridor.matching.build_hs_vectors seeds` would make
    # every process embed 4,000 texts at start-up.
    meta = json.loads((DATA / "hs_seed_vectors.json").read_text(encoding="utf-8"))
    assert meta["texts"] == seeds_digest(read_seeds())
    assert meta["count"] == len(read_seeds())


@pytest.mark.parametrize(("text", "code"), TRADE_NAMES)
def test_seeds_teach_trade_names(suggester, text, code):
    assert fold(text).strip() not in {fold(t).strip() for t, _ in read_seeds()}
    assert suggester.suggest(text)[0].code == code


def test_without_seeds_most_trade_names_are_missed(bare):
    right = [text for text, code in TRADE_NAMES if bare.suggest(text)[0].code == code]
    assert len(right) <= 2, right


def test_a_users_confirmation_outweighs_a_seed(embedder):
    # The seeds say white rice (1006.30); this installation's users file it as broken rice.
    suggester = HsSuggester(examples=[("gạo trắng", "100640")], embedder=embedder)
    assert suggester.suggest("gạo trắng")[0].code == "100640"


def test_an_example_of_another_state_of_the_product_does_not_count(embedder):
    # For the embedding "frozen boneless beef" is almost "fresh boneless beef" (cosine 0.96).
    examples = [("frozen boneless beef", "020230")]
    naive = HsSuggester(
        examples, embedder, SuggestWeights(other_product_example=1.0), use_seeds=False, use_uk=False
    )
    assert naive.suggest("fresh boneless beef")[0].code == "020230"
    suggester = HsSuggester(examples, embedder, use_seeds=False, use_uk=False)
    assert suggester.suggest("fresh boneless beef")[0].code == "020130"
    # An example naming less than the text still teaches it.
    shrimp = HsSuggester([("tôm sú", "030617")], embedder, use_seeds=False, use_uk=False)
    assert shrimp.suggest("tôm sú đông lạnh size 16/20")[0].code == "030617"
