"""Reference data: countries, provinces, corridors, border crossings, HS codes."""

from __future__ import annotations

from corridor.directory.models import BorderCrossing, EconomicCorridor
from tests import factories
from tests.api.conftest import assert_error


def test_provinces_filter_by_country_and_current(anon, db):
    vn = factories.CountryFactory(code="VN")
    new = factories.ProvinceFactory(code="VN-2025-01", country=vn, name="An Giang")
    factories.ProvinceFactory(code="VN-44", country=vn, is_current=False, successor=new)
    factories.ProvinceFactory(code="KH-1")

    body = anon.get("/api/v1/provinces", {"country": "vn", "current": "true"}).json()

    assert body == [
        {
            "code": "VN-2025-01",
            "country": "VN",
            "name": "An Giang",
            "local_name": "",
            "kind": "",
            "is_current": True,
            "successor": None,
        }
    ]


def test_corridors_and_crossings(anon, db):
    a = factories.ProvinceFactory(code="KH-1")
    b = factories.ProvinceFactory(code="KH-2")
    corridor = EconomicCorridor.objects.create(slug="sec", name="Southern Economic Corridor")
    corridor.provinces.set([a, b])
    BorderCrossing.objects.create(name="Poipet", province_a=a, province_b=b, mode="road")

    corridors = anon.get("/api/v1/corridors").json()
    crossings = anon.get("/api/v1/border-crossings").json()

    assert corridors[0]["provinces"] == ["KH-1", "KH-2"]
    assert (crossings[0]["province_a"], crossings[0]["mode"]) == ("KH-1", "road")


def test_hs_codes_lookup(anon, db):
    factories.HSCodeFactory(code="10", description="Cereals")
    factories.HSCodeFactory(code="1006", description="Rice")
    factories.HSCodeFactory(code="100630", description="Rice; semi-milled or wholly milled")
    factories.HSCodeFactory(code="0904", description="Pepper")

    by_prefix = anon.get("/api/v1/hs-codes", {"prefix": "1006"}).json()
    by_words = anon.get("/api/v1/hs-codes", {"q": "RICE milled"}).json()
    detail = anon.get("/api/v1/hs-codes/100630").json()

    assert [h["code"] for h in by_prefix["items"]] == ["1006", "100630"]
    assert [h["code"] for h in by_words["items"]] == ["100630"]
    assert detail["dotted"] == "1006.30"
    assert_error(anon.get("/api/v1/hs-codes/999999"), 404, "not_found")
