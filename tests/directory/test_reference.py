"""Reference data: loading countries, provinces, the 2025 Vietnamese merger, corridors,
border crossings and HS codes, and resolving what people write to provinces and HS codes."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.db import transaction

from corridor.core.text import fold, script_of
from corridor.directory.models import (
    BorderCrossing,
    Country,
    EconomicCorridor,
    HSCode,
    Organisation,
    Province,
    ProvinceAlias,
)
from corridor.directory.reference import (
    DATA_DIR,
    ProvinceResolver,
    load_reference,
    normalise_hs_code,
    resolve_hs_code,
    resolve_province,
)
from tests import factories


@pytest.fixture(scope="module")
def reference(django_db_setup, django_db_blocker):
    """The reference data, loaded once for this module and rolled back at its end (each test
    runs in a savepoint inside this transaction)."""
    with django_db_blocker.unblock(), transaction.atomic():
        counts = load_reference()
        yield counts
        transaction.set_rollback(True)


@pytest.fixture
def resolver(reference, db) -> ProvinceResolver:
    return ProvinceResolver()


def _table_counts() -> dict[str, int]:
    return {
        "countries": Country.objects.count(),
        "provinces": Province.objects.count(),
        "aliases": ProvinceAlias.objects.count(),
        "corridors": EconomicCorridor.objects.count(),
        "corridor_links": EconomicCorridor.provinces.through.objects.count(),
        "crossings": BorderCrossing.objects.count(),
        "hs": HSCode.objects.count(),
    }


# --- Loading ---------------------------------------------------------------------------------


def test_load_reference_counts_rows_per_model(reference, db):
    assert reference["countries"] == 249
    assert reference["provinces"] == 199
    assert reference["corridors"] == 3
    assert reference["border_crossings"] == 16
    assert reference["hs_codes"] == 6939
    assert reference["province_aliases"] == ProvinceAlias.objects.count()
    assert Country.objects.count() == 249


def test_load_reference_countries_have_local_names_and_time_zones(reference, db):
    region = {
        c.code: (c.name, c.local_name, c.timezone)
        for c in Country.objects.filter(code__in=["KH", "LA", "MM", "TH", "VN"])
    }

    assert region == {
        "KH": ("Cambodia", "កម្ពុជា", "Asia/Phnom_Penh"),
        "LA": ("Laos", "ລາວ", "Asia/Vientiane"),
        "MM": ("Myanmar", "မြန်မာ", "Asia/Yangon"),
        "TH": ("Thailand", "ประเทศไทย", "Asia/Bangkok"),
        "VN": ("Vietnam", "Việt Nam", "Asia/Ho_Chi_Minh"),
    }
    assert Country.objects.get(code="FR").timezone == "Europe/Paris"
    assert Country.objects.get(code="US").timezone == ""  # several zones: no guess


def test_load_reference_provinces_per_country(reference, db):
    def count(country, **filters):
        return Province.objects.filter(country_id=country, **filters).count()

    assert [count(c) for c in ("KH", "LA", "MM", "TH", "VN")] == [25, 18, 15, 78, 63]
    assert count("VN", is_current=True) == 34
    assert Province.objects.filter(is_current=False).exclude(country_id="VN").count() == 0


def test_load_reference_every_province_has_a_local_script_name(reference, db):
    expected_script = {"KH": "khmer", "LA": "lao", "MM": "myanmar", "TH": "thai"}

    wrong = [
        p.code
        for p in Province.objects.exclude(country_id="VN")
        if not p.local_name
        or {script_of(ch) for ch in p.local_name if ch.isalpha()} != {expected_script[p.country_id]}
    ]

    assert wrong == []
    assert Province.objects.get(code="KH-12").local_name == "ភ្នំពេញ"
    assert Province.objects.get(code="KH-9").local_name == "កោះកុង"
    assert Province.objects.get(code="MM-06").local_name == "ရန်ကုန်"
    assert Province.objects.get(code="TH-10").local_name == "กรุงเทพมหานคร"
    assert Province.objects.get(code="VN-SG").local_name == "Thành phố Hồ Chí Minh"


def test_load_reference_is_idempotent(reference, db):
    before = _table_counts()

    again = load_reference()

    assert again == reference
    assert _table_counts() == before


def test_load_reference_repairs_edited_rows(reference, db):
    Province.objects.filter(code="KH-9").update(name="Somewhere", successor_id="KH-12")
    ProvinceAlias.objects.filter(province_id="KH-9").delete()
    HSCode.objects.filter(code="080450").delete()
    Country.objects.filter(code="LA").update(local_name="")

    load_reference()

    koh_kong = Province.objects.get(code="KH-9")
    assert (koh_kong.name, koh_kong.successor_id, koh_kong.is_current) == ("Koh Kong", None, True)
    assert set(koh_kong.aliases.values_list("name", "reason")) == {
        ("កោះកុង", "local"),
        ("Kaoh Kong", "iso"),
        ("Kah Kong", "spelling"),
    }
    assert HSCode.objects.get(code="080450").parent_id == "0804"
    assert Country.objects.get(code="LA").local_name == "ລາວ"


def test_load_reference_keeps_hand_made_aliases(reference, db):
    ProvinceAlias.objects.create(
        province_id="KH-12", name="PP", folded=fold("PP"), reason="spelling"
    )

    load_reference()

    assert ProvinceAlias.objects.filter(province_id="KH-12", folded="pp").count() == 1


def test_load_reference_reindexes_organisations_of_places_that_changed(reference, db):
    koh_kong_sme = factories.OrganisationFactory(
        name="Mangrove honey", country_id="KH", province_id="KH-9"
    )
    kampot_sme = factories.OrganisationFactory(
        name="Pepper farm", country_id="KH", province_id="KH-7"
    )
    ProvinceAlias.objects.filter(province_id="KH-9", name="Kah Kong").delete()
    Organisation.objects.update(search_text="")

    load_reference()

    koh_kong_sme.refresh_from_db()
    kampot_sme.refresh_from_db()
    assert "kah" in koh_kong_sme.search_text.split()
    assert kampot_sme.search_text == ""  # nothing about Kampot changed


def test_load_reference_hs_codes_by_level(reference, db):
    levels = {lvl: HSCode.objects.filter(level=lvl).count() for lvl in (2, 4, 6)}

    assert levels == {2: 97, 4: 1229, 6: 5613}
    assert HSCode.objects.filter(level=2, parent__isnull=False).count() == 0
    assert HSCode.objects.filter(level__in=[4, 6], parent__isnull=True).count() == 0
    mango = HSCode.objects.get(code="080450")
    assert (mango.parent_id, mango.parent.parent_id, mango.section) == ("0804", "08", "II")


def test_load_reference_command_prints_counts(reference, db):
    out = io.StringIO()

    call_command("load_reference", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "countries: 249 (0 new)"
    assert "hs_codes: 6939 (0 new)" in lines
    assert lines[-1].startswith("Reference data loaded: ")


# --- The Vietnamese merger of 2025 ----------------------------------------------------------


def test_vn_merger_absorbed_units_point_to_current_successor(reference, db):
    absorbed = Province.objects.filter(country_id="VN", is_current=False)

    assert absorbed.count() == 29
    assert absorbed.filter(successor__isnull=True).count() == 0
    assert absorbed.filter(successor__is_current=False).count() == 0
    successors = dict(absorbed.values_list("code", "successor_id"))
    assert successors["VN-47"] == "VN-44"  # Kiên Giang -> An Giang
    assert successors["VN-57"] == "VN-SG"  # Bình Dương -> Hồ Chí Minh
    assert successors["VN-43"] == "VN-SG"  # Bà Rịa–Vũng Tàu -> Hồ Chí Minh
    assert successors["VN-27"] == "VN-DN"  # Quảng Nam -> Đà Nẵng
    assert Province.objects.get(code="VN-47").name == "Kiên Giang"


def test_vn_merger_names_become_aliases_of_the_new_unit(reference, db):
    merger = set(ProvinceAlias.objects.filter(reason="merger").values_list("province_id", "name"))

    assert ("VN-44", "Kiên Giang") in merger
    assert ("VN-SG", "Bình Dương") in merger
    assert ("VN-DN", "Quảng Nam") in merger
    hue = Province.objects.get(code="VN-26")
    assert (hue.name, hue.is_current) == ("Huế", True)
    assert hue.aliases.filter(name="Thừa Thiên-Huế").exists()


def test_vn_merger_csv_maps_63_provinces_to_34_units():
    with open(DATA_DIR / "geo" / "vn-2025-merger.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    assert len(rows) == 63
    assert len({r["absorbed_iso_code"] for r in rows}) == 63
    assert len({r["new_name"] for r in rows}) == 34


# --- Corridors and border crossings ---------------------------------------------------------


def test_corridors_link_only_current_provinces(reference, db):
    links = {
        c.slug: set(c.provinces.values_list("code", flat=True))
        for c in EconomicCorridor.objects.all()
    }

    assert set(links) == {"sec", "ewec", "clmv"}
    assert Province.objects.filter(corridors__isnull=False, is_current=False).count() == 0
    assert {"TH-10", "KH-12", "VN-SG", "MM-05", "TH-71", "KH-9"} <= links["sec"]
    assert {"MM-13", "TH-63", "TH-65", "TH-40", "TH-49", "LA-SV", "VN-25", "VN-DN"} <= links["ewec"]
    assert len(links["clmv"]) == 25 + 18 + 15 + 34
    assert "TH-10" not in links["clmv"]


def test_border_crossings_point_to_current_provinces(reference, db):
    crossings = BorderCrossing.objects.select_related("province_a", "province_b")

    assert [
        c.name for c in crossings if not (c.province_a.is_current and c.province_b.is_current)
    ] == []
    xa_xia = BorderCrossing.objects.get(name="Xa Xia–Prek Chak")
    assert (xa_xia.province_a_id, xa_xia.province_b_id) == ("VN-44", "KH-7")
    assert BorderCrossing.objects.get(name="Moc Bai–Bavet").province_a_id == "VN-37"


# --- Resolving provinces ----------------------------------------------------------------------


def test_resolve_province_every_spelling_of_the_border_crossings_file(resolver):
    with open(DATA_DIR / "border-crossings.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    wrong = []

    for row in rows:
        for side in ("a", "b"):
            name, country, iso = row[f"province_{side}"], row[f"country_{side}"], row[f"iso_{side}"]
            expected = resolver.current(resolver.provinces[iso]).code
            for found in (resolver.resolve(name), resolver.resolve(name, country)):
                if found is None or found.code != expected:
                    wrong.append((name, found, expected))

    assert wrong == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Kiên Giang", "VN-44"),
        ("kien giang", "VN-44"),
        ("Kiến Giang", "VN-44"),
        ("Binh Duong", "VN-SG"),
        ("Bà Rịa - Vũng Tàu", "VN-SG"),
        ("Ba Ria-Vung Tau", "VN-SG"),
        ("Quảng Nam", "VN-DN"),
        ("Thừa Thiên Huế", "VN-26"),
        ("Hà Giang", "VN-07"),
    ],
)
def test_resolve_province_merged_units_resolve_to_the_new_unit(resolver, text, code):
    assert resolver.resolve(text).code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Koh Kong", "KH-9"),
        ("Kaoh Kong", "KH-9"),
        ("  KOH   kong ", "KH-9"),
        ("Banteay Meanchey", "KH-1"),
        ("Banteay Mean Choăy", "KH-1"),
        ("Svay Rieng", "KH-20"),
        ("Siem Reap Province", "KH-17"),
        ("Sihanoukville", "KH-18"),
        ("Vientiane", "LA-VT"),
        ("Vientiane Capital", "LA-VT"),
        ("Vientiane Province", "LA-VI"),
        ("Savannakhet", "LA-SV"),
        ("Luang Prabang", "LA-LP"),
        ("Bangkok", "TH-10"),
        ("Krung Thep Maha Nakhon", "TH-10"),
        ("Lopburi", "TH-16"),
        ("Chon Buri", "TH-20"),
        ("Rangoon", "MM-06"),
        ("Yangon Region", "MM-06"),
        ("Ho Chi Minh City", "VN-SG"),
        ("Thành phố Hồ Chí Minh", "VN-SG"),
        ("Saigon", "VN-SG"),
        ("Hanoi", "VN-HN"),
        ("dong thap", "VN-45"),
        ("Đồng Tháp", "VN-45"),
    ],
)
def test_resolve_province_everyday_and_iso_spellings(resolver, text, code):
    assert resolver.resolve(text).code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("เชียงใหม่", "TH-50"),
        ("จังหวัดเชียงใหม่", "TH-50"),
        ("ສະຫວັນນະເຂດ", "LA-SV"),
        ("ວຽງຈັນ", "LA-VT"),
        ("កោះកុង", "KH-9"),
        ("ខេត្តកោះកុង", "KH-9"),
        ("ភ្នំពេញ", "KH-12"),
        ("ရန်ကုန်", "MM-06"),
        ("တနင်္သာရီ", "MM-05"),
        ("Hồ Chí Minh", "VN-SG"),
    ],
)
def test_resolve_province_local_scripts(resolver, text, code):
    assert resolver.resolve(text).code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("KH-9", "KH-9"),
        ("kh-9", "KH-9"),
        ("TH-27", "TH-27"),
        ("vn-sg", "VN-SG"),
        ("VN-47", "VN-44"),
    ],
)
def test_resolve_province_iso_codes(resolver, text, code):
    assert resolver.resolve(text).code == code


@pytest.mark.parametrize("text", ["", "   ", "Atlantis", "KH-99", "Viangchan", "0804"])
def test_resolve_province_unknown_or_ambiguous_is_none(resolver, text):
    assert resolver.resolve(text) is None


def test_resolve_province_country_restricts_the_match(resolver):
    assert resolver.resolve("Kampot", "KH").code == "KH-7"
    assert resolver.resolve("Kampot", "TH") is None
    assert resolver.resolve("KH-9", country="VN") is None
    assert resolver.resolve("Koh Kong", country="kh").code == "KH-9"


def test_province_resolver_reads_the_database_once(reference, db, django_assert_num_queries):
    with django_assert_num_queries(2):
        resolver = ProvinceResolver()
    with django_assert_num_queries(0):
        found = [resolver.resolve(t) for t in ("Koh Kong", "kien giang", "TH-10", "ວຽງຈັນ")]

    assert [p.code for p in found] == ["KH-9", "VN-44", "TH-10", "LA-VT"]


def test_resolve_province_function(reference, db):
    assert resolve_province("kien giang").code == "VN-44"
    assert resolve_province("Atlantis") is None


# --- HS codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("080450", "080450"),
        ("0804.50", "080450"),
        ("0804 50", "080450"),
        ("08.04.50", "080450"),
        ("80450", "080450"),
        ("0804.50.10", "080450"),
        ("0804", "0804"),
        ("08", "08"),
    ],
)
def test_resolve_hs_code_notations(reference, db, text, code):
    assert resolve_hs_code(text).code == code


@pytest.mark.parametrize("text", ["", "mango", "0804.99", "1234567", "TOTAL"])
def test_resolve_hs_code_unknown_is_none(reference, db, text):
    assert resolve_hs_code(text) is None


@pytest.mark.parametrize(
    ("text", "digits"),
    [("0804.50", "080450"), (" 8 ", "08"), ("804", "0804"), ("0804-50", "080450"), ("x1", None)],
)
def test_normalise_hs_code(text, digits):
    assert normalise_hs_code(text) == digits
