"""Certification vocabulary and the rendering of reasons."""

from __future__ import annotations

from django.utils import translation

from corridor.matching.reasons import Reason, country_name
from corridor.matching.vocab import normalise_certification


def test_certification_spellings():
    assert normalise_certification("Organic") == "organic"
    assert normalise_certification("Fair Trade") == "fair_trade"
    assert normalise_certification("VietGAP") == "gap"
    assert normalise_certification("ISO 22000:2018") == "iso22000"
    assert normalise_certification("fsc") == "fsc"
    assert normalise_certification("nonsense") is None


def test_reasons_render_in_english():
    assert str(Reason("hs_match", {"code": "0804.50"})) == "HS 0804.50 matches"
    assert str(Reason("cert_held", {"cert": "organic"})) == "holds organic certification"
    assert (
        str(Reason("capacity_ok", {"capacity": "20 t/month", "requested": "5 t"}))
        == "capacity 20 t/month ≥ 5 t requested"
    )
    assert str(Reason("exports_to", {"country": "JP"})) == "already exports to Japan"
    assert Reason("cert_missing", {"cert": "halal"}).is_failure
    assert (
        Reason("cert_missing", {"cert": "halal"}).as_dict()["text"] == "lacks halal certification"
    )


def test_country_names_follow_the_active_language():
    assert country_name("LA", "en") == "Laos"
    with translation.override("vi"):
        name = str(Reason("exports_to", {"country": "JP"}))
    assert "Japan" not in name or name == "already exports to Japan"  # translated when available
    assert country_name("XX") == "XX"


# --- The verdict beside a match's score (issue 10 item 6) ---------------------------------------


def test_verdict_meets_all_requirements_only_with_a_good_score_and_nothing_open():
    from corridor.matching.reasons import verdict

    hs = Reason("hs_match", {"code": "1006.30"})
    unknown = Reason("capacity_unknown", {"capacity": "2 t", "requested": "10 m³"})
    assert verdict(0.8, [hs]) == "meets"
    assert verdict(0.24, [hs]) == "partial"  # "Score 24%" is not "meets all requirements"
    assert verdict(0.8, [hs, unknown]) == "check"  # capacity cannot be compared


def test_verdict_near_match_only_for_the_same_product():
    from corridor.matching.reasons import verdict, verdict_label

    missing = Reason("cert_missing", {"cert": "organic"})
    other = Reason("hs_other", {"code": "0902"})
    assert verdict(0.7, [Reason("hs_match", {"code": "1006"}), missing]) == "near"
    assert verdict(0.7, [other]) == "other"
    assert verdict(0.9, [other, missing]) == "other"
    assert verdict_label("other") == "different product"
    assert verdict_label("near") == "near match"
