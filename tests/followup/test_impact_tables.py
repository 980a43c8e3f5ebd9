"""The impact dashboard's tables, exports, definitions and cache, and the copies it reads
(supplier place on leads and orders, US dollars on orders) kept right by the services."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from corridor.followup import exports, selectors, services
from corridor.followup.models import Lead, Order
from tests import factories

D = datetime.date


@pytest.fixture
def market(db, staff_user):
    """Viet Nam: three suppliers each selling 1,000 USD to its own buyer (three pairs).
    Cambodia: one supplier, one order of 7,777 USD (a single deal)."""
    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    kh = factories.CountryFactory(code="KH", name="Cambodia")
    pairs = []
    for i, (country, value) in enumerate([(vn, "1000"), (vn, "1000"), (vn, "1000"), (kh, "7777")]):
        s = factories.OrganisationFactory(kind="sme", name=f"Maker {i}", country=country)
        b = factories.OrganisationFactory(kind="buyer", name=f"Buyer {i}", country=vn)
        lead, _ = services.lead_for_pair(a=s, b=b, source="manual", started_on=D(2025, 1, 10))
        services.order_create(
            by=staff_user,
            supplier=s,
            buyer=b,
            lead=lead,
            ordered_on=D(2025, 2, 1 + i),
            value=Decimal(value),
            currency="USD",
        )
        pairs.append((s, b, lead))
    return {"vn": vn, "kh": kh, "pairs": pairs}


def test_a_single_deal_cannot_be_worked_out_from_the_total_by_a_viewer(market):
    data = selectors.impact(selectors.Filters(), viewer=True)

    # Four pairs: the total shows. Cambodia rests on one pair: hidden; Viet Nam (three pairs)
    # would give Cambodia as total minus Viet Nam: hidden too.
    assert data.value_usd == Decimal("10777.00")
    by_country = {r.key: (r.orders, r.value_usd, r.hidden) for r in data.by["country"]}
    assert by_country == {"KH": (1, None, True), "VN": (3, None, True)}
    staff = selectors.impact(selectors.Filters(), viewer=False)
    assert {r.key: r.value_usd for r in staff.by["country"]} == {
        "KH": Decimal("7777.00"),
        "VN": Decimal("3000.00"),
    }


def test_every_table_is_exported_to_csv_and_excel_and_linked_from_the_page(
    client, staff_user, market
):
    client.force_login(staff_user)
    page = client.get("/followup/impact/").content.decode()

    for table in exports.TABLES:
        for fmt in ("csv", "xlsx"):
            assert f"table={table}&format={fmt}" in page, (table, fmt)
            response = client.get(f"/followup/impact/?table={table}&format={fmt}")
            assert response.status_code == 200, (table, fmt)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if fmt == "csv":
                assert response["Content-Type"].startswith("text/csv")
            else:
                assert body[:2] == b"PK"
    month = client.get("/followup/impact/?table=month&format=csv")
    lines = b"".join(month.streaming_content).decode().splitlines()
    assert lines[1:] == ["2025-02,0,0,4,10777.00,0"]
    assert client.get("/followup/impact/?table=nope&format=csv").status_code == 404


def test_a_viewer_never_gets_a_single_deals_value_in_any_export(client, viewer, market):
    client.force_login(viewer)

    for table in exports.TABLES:
        response = client.get(f"/followup/impact/?table={table}&format=csv")
        text = b"".join(response.streaming_content).decode()
        assert "7777" not in text and "3000" not in text, table
    page = client.get("/followup/impact/").content.decode()
    assert "7,777" not in page and "7.777" not in page
    api = client.get("/api/v1/impact").json()
    assert {r["key"]: r["value_usd"] for r in api["by_country"]} == {"KH": None, "VN": None}


def test_each_indicator_is_defined_on_the_page(client, viewer, market):
    client.force_login(viewer)

    page = client.get("/followup/impact/").content.decode()

    definitions = page[page.index('id="definitions"') :]
    for term in (
        "Meetings held",
        "Leads",
        "Reached a stage (funnel)",
        "Conversion",
        "Collaborations",
        "Deals",
        "Dropped",
        "Orders",
        "Value (USD)",
        "Not converted",
        "By event",
        "By country, province, cluster",
        "By product (HS chapter)",
        "Over time",
        "Hidden",
    ):
        assert f"<dt>{term}</dt>" in definitions, term


def test_cached_figures_are_reused_until_a_service_changes_a_lead(
    market, staff_user, django_assert_num_queries
):
    first = selectors.impact_cached(selectors.Filters(), viewer=False)
    with django_assert_num_queries(1):  # meetings held only: they belong to the events app
        again = selectors.impact_cached(selectors.Filters(), viewer=False)
    assert again.deals == first.deals == 4

    _s, _b, lead = market["pairs"][0]
    services.lead_set_stage(lead=lead, stage="dropped", drop_reason="price", by=staff_user)

    assert selectors.impact_cached(selectors.Filters(), viewer=False).deals == 3


def test_a_new_rate_converts_the_orders_it_covers_again(market, staff_user):
    s, b, lead = market["pairs"][0]
    order = services.order_create(
        by=staff_user, supplier=s, buyer=b, lead=lead, ordered_on=D(2025, 3, 1),
        value=Decimal("10000"), currency="THB",
    )  # fmt: skip
    assert order.value_usd is None
    assert selectors.impact_cached(selectors.Filters(), viewer=False).unconverted == 1

    services.rate_set(
        by=staff_user, currency="THB", valid_from=D(2025, 1, 1), usd_per_unit=Decimal("0.03")
    )

    order.refresh_from_db()
    assert order.value_usd == Decimal("300.00")
    data = selectors.impact_cached(selectors.Filters(), viewer=False)
    assert (data.unconverted, data.value_usd) == (0, Decimal("11077.00"))
    services.rate_set(
        by=staff_user, currency="THB", valid_from=D(2025, 2, 15), usd_per_unit=Decimal("0.02")
    )
    order.refresh_from_db()
    assert order.value_usd == Decimal("200.00")


def test_leads_and_orders_follow_a_supplier_that_moved(market):
    s, _b, lead = market["pairs"][3]
    cluster = factories.OrganisationFactory(
        kind="cluster", name="Kampot pepper", country=market["vn"]
    )
    assert (lead.supplier_country, lead.supplier_cluster_id) == ("KH", None)
    s.country, s.cluster = market["vn"], cluster
    s.save()

    assert services.lead_places_refresh() == 1

    lead.refresh_from_db()
    order = Order.objects.get(lead=lead)
    assert (lead.supplier_country, lead.supplier_cluster_id) == ("VN", cluster.pk)
    assert (order.supplier_country, order.supplier_cluster_id) == ("VN", cluster.pk)
    data = selectors.impact_cached(selectors.Filters(cluster=cluster.pk), viewer=False)
    assert (data.leads, data.orders, data.value_usd) == (1, 1, Decimal("7777.00"))
    assert services.lead_places_refresh() == 0
    assert Lead.objects.filter(supplier_country="KH").count() == 0


def test_the_page_filters_by_country_province_and_cluster(client, staff_user, market):
    province = factories.ProvinceFactory(country=market["vn"], code="VN-HN", name="Ha Noi")
    cluster = factories.OrganisationFactory(kind="cluster", name="Bat Trang", country=market["vn"])
    s, _b, _lead = market["pairs"][0]
    s.province, s.cluster = province, cluster
    s.save()
    services.lead_places_refresh()
    client.force_login(staff_user)

    def leads(query: str) -> str:
        page = client.get(f"/followup/impact/?{query}").content.decode()
        return page.split('id="ind-leads">', 1)[1].split("<", 1)[0]

    assert leads("") == "4"
    assert leads("country=KH") == "1"
    country_page = client.get("/followup/impact/?country=VN").content.decode()
    assert '<option value="VN-HN">Ha Noi</option>' in country_page
    assert leads("country=VN&province=VN-HN") == "1"
    assert leads(f"cluster={cluster.pk}") == "1"


def test_the_cached_figures_are_kept_per_language(client, staff_user, market, settings):
    client.force_login(staff_user)

    def first_stage(language: str) -> str:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get("/followup/impact/").content.decode()
        return page.split('<table id="funnel">', 1)[1].split("<tr><td>", 1)[1].split("<")[0]

    assert first_stage("en") == "Met"
    assert first_stage("vi") == "Đã gặp"  # not the English page cached a moment ago
