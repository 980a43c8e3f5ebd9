"""The impact dashboard against figures computed by hand on a small fixture."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from corridor.followup import selectors, services
from corridor.followup.models import ExchangeRate, Order
from tests import factories

D = datetime.date


@pytest.fixture
def world(db, staff_user):
    """Suppliers A, B (Viet Nam, cluster C) and D (Cambodia); buyers X, Y, Z.

    L1 A–X first order · L2 B–X repeat orders · L3 D–Y negotiating · L4 A–Y dropped after
    samples (price) · L5 D–Z met · L6 A–B collaboration at agreement. Orders: A→X 1,000 USD
    (March 2025), B→X 10,000 THB at 0.03 = 300 USD (March), B→X 500 USD (April), D→Y
    2,000,000 VND with no rate (April)."""
    vn = factories.CountryFactory(code="VN")
    kh = factories.CountryFactory(code="KH")
    cluster = factories.OrganisationFactory(kind="cluster", name="Cluster C", country=vn)
    a = factories.OrganisationFactory(kind="sme", name="A", country=vn, cluster=cluster)
    b = factories.OrganisationFactory(kind="sme", name="B", country=vn, cluster=cluster)
    d = factories.OrganisationFactory(kind="sme", name="D", country=kh)
    x, y, z = (factories.OrganisationFactory(kind="buyer", name=n, country=vn) for n in "XYZ")
    start = D(2025, 1, 15)

    def lead(s, t, *stages, reason=""):
        lead, _ = services.lead_for_pair(a=s, b=t, source="manual", started_on=start)
        for stage in stages:
            services.lead_set_stage(
                lead=lead,
                stage=stage,
                by=staff_user,
                drop_reason=reason if stage == "dropped" else "",
                on=D(2025, 2, 1),
            )
        return lead

    trade = ["contact", "samples", "negotiating"]
    lead(a, x, *trade, "first_order")
    lead(b, x, *trade, "first_order", "repeat_orders")
    lead(d, y, *trade)
    lead(a, y, "contact", "samples", "dropped", reason="price")
    lead(d, z)
    lead(a, b, "agreement")
    ExchangeRate.objects.create(currency="THB", valid_from=D(2025, 1, 1), usd_per_unit="0.03")
    for s, t, on, value, cur in (
        (a, x, D(2025, 3, 10), "1000", "USD"),
        (b, x, D(2025, 3, 20), "10000", "THB"),
        (b, x, D(2025, 4, 2), "500", "USD"),
        (d, y, D(2025, 4, 15), "2000000", "VND"),
    ):
        services.order_create(
            by=staff_user, supplier=s, buyer=t, ordered_on=on, value=Decimal(value), currency=cur
        )
    return {"vn": vn, "kh": kh, "cluster": cluster}


def test_headline_figures_match_the_hand_computed_values(world):
    data = selectors.impact(selectors.Filters(), viewer=False)

    assert data.leads == 6
    assert data.leads_by_kind == {"trade": 5, "collaboration": 1}
    assert data.deals == 3
    assert data.dropped == 1
    assert data.drop_reasons == [("price", 1)]
    assert data.orders == 4
    assert data.value_usd == Decimal("1800.00")
    assert data.unconverted == 1
    assert data.meetings_held == 0


def test_funnel_counts_leads_that_ever_reached_each_stage(world):
    data = selectors.impact(selectors.Filters(), viewer=False)

    assert [(stage, n) for stage, _l, n, _c in data.funnel] == [
        ("met", 5),
        ("contact", 4),
        ("samples", 4),
        ("negotiating", 3),
        ("first_order", 2),
        ("repeat_orders", 1),
    ]
    assert [None if c is None else round(c, 4) for *_x, c in data.funnel] == [
        None,
        0.8,
        1.0,
        0.75,
        0.6667,
        0.5,
    ]
    assert [(s, n) for s, _l, n, _c in data.collab_funnel] == [
        ("talks", 1),
        ("agreement", 1),
        ("joint_activity", 0),
    ]


def test_groups_by_country_cluster_and_month(world):
    data = selectors.impact(selectors.Filters(), viewer=False)

    by_country = {
        r.key: (r.leads, r.deals, r.orders, r.value_usd, r.unconverted) for r in data.by["country"]
    }
    assert by_country == {
        "VN": (4, 3, 3, Decimal("1800.00"), 0),
        "KH": (2, 0, 1, Decimal("0"), 1),
    }
    by_cluster = {r.label: (r.leads, r.deals, r.orders) for r in data.by["cluster"]}
    assert by_cluster == {"Cluster C": (4, 3, 3), "—": (2, 0, 1)}
    assert [(r.key, r.orders, r.value_usd) for r in data.by_month] == [
        ("2025-03", 2, Decimal("1300.00")),
        ("2025-04", 2, Decimal("500.00")),
    ]


def test_filters_narrow_every_figure(world):
    data = selectors.impact(selectors.Filters(country="KH"), viewer=False)
    assert (data.leads, data.deals, data.orders, data.value_usd) == (2, 0, 1, Decimal("0"))
    data = selectors.impact(selectors.Filters(cluster=world["cluster"].pk), viewer=False)
    assert (data.leads, data.orders, data.value_usd) == (4, 3, Decimal("1800.00"))
    data = selectors.impact(selectors.Filters(date_from=D(2025, 4, 1)), viewer=False)
    assert (data.leads, data.orders, data.value_usd) == (0, 2, Decimal("500.00"))


def test_viewers_never_see_a_value_resting_on_fewer_than_three_deals(world):
    data = selectors.impact(selectors.Filters(), viewer=True)

    # Three supplier–buyer pairs in all: the total shows; Viet Nam has two pairs: hidden.
    assert data.value_usd == Decimal("1800.00")
    vn = next(r for r in data.by["country"] if r.key == "VN")
    assert (vn.value_usd, vn.hidden, vn.orders) == (None, True, 3)
    assert all(r.value_usd is None for r in data.by_month)
    only_kh = selectors.impact(selectors.Filters(country="KH"), viewer=True)
    assert (only_kh.value_usd, only_kh.hidden_value) == (None, True)


def test_the_dashboard_costs_a_constant_number_of_queries(world, django_assert_num_queries):
    with django_assert_num_queries(7):
        selectors.impact(selectors.Filters(), viewer=False)
    extra_buyer = factories.OrganisationFactory(kind="buyer", name="W")
    a = world["cluster"].members.first()
    services.lead_for_pair(a=a, b=extra_buyer, source="manual", started_on=D(2025, 5, 1))
    Order.objects.create(
        supplier=a, buyer=extra_buyer, ordered_on=D(2025, 5, 2), value=1, currency="THB"
    )
    with django_assert_num_queries(7):
        selectors.impact(selectors.Filters(), viewer=False)
