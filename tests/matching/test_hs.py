"""HS nomenclature loading, code normalisation and hierarchy."""

from __future__ import annotations

from corridor.matching import hs


def test_nomenclature_drops_total_and_has_subheadings():
    table = hs.nomenclature()
    assert "TOTAL" not in table
    assert len(hs.subheadings()) == 5613
    assert table["080450"].parent == "0804"
    assert table["08"].parent == ""


def test_normalise_code():
    assert hs.normalise_code("0804.50") == "080450"
    assert hs.normalise_code(80450) == "080450"
    assert hs.normalise_code("1006") == "1006"
    assert hs.normalise_code("8517.13.00.10") == "851713"
    assert hs.normalise_code("") == ""
    assert hs.normalise_code(None) == ""
    assert hs.format_code("080450") == "0804.50"


def test_hierarchy():
    assert [e.code for e in hs.lineage("100630")] == ["10", "1006", "100630"]
    assert "Rice" in hs.full_description("100630")
    assert hs.shared_level("100630", "100630") == 6
    assert hs.shared_level("100630", "100640") == 4
    assert hs.shared_level("100630", "100190") == 2
    assert hs.shared_level("100630", "030617") == 0
    assert hs.match_level("1006", "100630") == (4, 4)
    assert hs.is_valid("1006") and not hs.is_valid("851712")
