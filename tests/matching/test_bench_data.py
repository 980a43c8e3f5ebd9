"""The outside evaluation data: a split that never changes and a frozen long-description set."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from corridor.core.text import tokens
from corridor.matching.build_hs_vectors import read_uk_examples
from corridor.matching.hs import subheadings

BENCH = Path(__file__).resolve().parents[2] / "bench" / "data"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_uk_split_is_the_one_made_once():
    assert _digest(BENCH / "uk_references" / "split.csv") == (
        "a8f10be4623d9eb8958bac0df71c0b8c961a1230ec40cc98e26e820b27067d99"
    )


def test_no_normalised_text_is_in_both_parts_and_the_package_learns_only_from_one():
    with (BENCH / "uk_references" / "split.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    parts: dict[str, set[str]] = {"learn": set(), "report": set()}
    for row in rows:
        parts[row["split"]].add(" ".join(tokens(row["text"], ngrams=False)))
    assert len(parts["report"]) > 2000 and len(parts["learn"]) > 3000
    assert not parts["learn"] & parts["report"]
    shipped = {" ".join(tokens(t, ngrams=False)) for t, _ in read_uk_examples()}
    assert shipped == parts["learn"]


def test_long_description_set_is_frozen_and_long():
    path = BENCH / "long_descriptions.jsonl"
    assert _digest(path) == "0af8e76b1917d45d1627f05c29ae74004469be0d7bb75a518f69c6a111616f7e"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    valid = {e.code for e in subheadings()}
    assert len(items) == 40 and len({it["lang"] for it in items}) >= 6
    assert all(it["hs6"] in valid and len(it["description"]) > 380 for it in items)
