"""Trained vs untrained SMEs against values computed by hand on a small fixture."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse

from corridor.followup.models import ExchangeRate, Lead, Order
from corridor.training import selectors, services
from tests import factories

D = datetime.date


def _lead(supplier, buyer, started_on, stage="contact"):
    return Lead.objects.create(
        supplier=supplier,
        buyer=buyer,
        started_on=started_on,
        stage=stage,
        stage_changed_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    )


def test_what_followed_hand_computed(programme, module, staff_user, db):
    buyer = factories.OrganisationFactory(kind="buyer")
    buyer2 = factories.OrganisationFactory(kind="buyer")
    a, b, c, d = (factories.OrganisationFactory(kind="sme") for _ in range(4))
    # A attended 10 Mar 2025 and 1 Jun 2025 (first: 10 Mar); B attended 1 Jun 2025.
    s1 = services.session_create(module=module, date=D(2025, 3, 10), place="Hanoi", by=staff_user)
    s2 = services.session_create(module=module, date=D(2025, 6, 1), place="Hue", by=staff_user)
    for s, org, name in ((s1, a, "A1"), (s2, a, "A2"), (s2, b, "B1")):
        services.attendance_add(
            session=s, person=services.Person(name=name, organisation_id=org.pk), by=staff_user
        )
    ExchangeRate.objects.create(
        currency="VND", valid_from=D(2024, 1, 1), usd_per_unit=Decimal("0.00004")
    )
    # A (window 2025-03-10 .. 2026-03-09): 2 leads in, one a deal; 1 before (out).
    _lead(a, buyer, D(2025, 4, 1), "first_order")
    _lead(a, buyer2, D(2026, 3, 9), "contact")
    Lead.objects.create(
        supplier=a,
        buyer=factories.OrganisationFactory(kind="buyer"),
        started_on=D(2025, 3, 9),
        stage="met",
        stage_changed_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    )
    Order.objects.create(
        supplier=a, buyer=buyer, ordered_on=D(2025, 5, 1), value=Decimal("1000"), currency="USD"
    )
    Order.objects.create(
        supplier=a, buyer=buyer, ordered_on=D(2026, 3, 10), value=Decimal("999"), currency="USD"
    )  # out
    # B (window 2025-06-01 .. 2026-05-31): no lead, one order in VND: 25,000,000 × 0.00004 = 1000.
    Order.objects.create(
        supplier=b, buyer=buyer, ordered_on=D(2025, 7, 1), value=Decimal("25000000"), currency="VND"
    )
    # C, D untrained (window 2025-01-01 .. 2025-12-31): C one deal + one order; D nothing.
    _lead(c, buyer, D(2025, 2, 1), "repeat_orders")
    _lead(c, buyer2, D(2026, 1, 1), "contact")  # out
    Order.objects.create(
        supplier=c, buyer=buyer, ordered_on=D(2025, 12, 31), value=Decimal("300"), currency="USD"
    )
    Order.objects.create(
        supplier=c, buyer=buyer, ordered_on=D(2025, 3, 1), value=Decimal("50"), currency="THB"
    )  # no rate
    # An SME trained in another programme is in neither group.
    other_prog = services.programme_create(
        name="Other", funder="", starts_on=D(2024, 1, 1), ends_on=D(2024, 6, 1), by=staff_user
    )
    om = services.module_create(
        programme=other_prog, topic="other", title="X", language="en", hours=1, by=staff_user
    )
    os_ = services.session_create(module=om, date=D(2024, 2, 1), online=True, by=staff_user)
    e = factories.OrganisationFactory(kind="sme")
    services.attendance_add(session=os_, person=services.Person("E1", e.pk), by=staff_user)
    _lead(e, buyer, D(2025, 2, 1), "first_order")

    result = selectors.what_followed(programme)

    t, u = result.trained, result.untrained
    assert (t.smes, t.leads, t.smes_with_leads, t.deals, t.smes_with_deals) == (2, 2, 1, 1, 1)
    assert (t.orders, t.value_usd, t.smes_with_orders, t.unconverted) == (
        2,
        Decimal("2000.00"),
        2,
        0,
    )
    assert t.value_per_sme == Decimal("1000.00")
    assert (u.smes, u.leads, u.smes_with_leads, u.deals, u.smes_with_deals) == (2, 1, 1, 1, 1)
    assert (u.orders, u.value_usd, u.smes_with_orders, u.unconverted) == (
        2,
        Decimal("300.00"),
        1,
        1,
    )
    assert (result.window_start, result.window_end) == (D(2025, 1, 1), D(2026, 1, 1))


def test_what_followed_page_for_staff_and_viewers_only(client, programme, staff_user, sme_owner):
    url = reverse("training:what_followed", args=[programme.pk])
    client.force_login(sme_owner)
    assert client.get(url).status_code == 404
    viewer = factories.UserFactory(username="donor", is_programme_viewer=True)
    client.force_login(viewer)
    body = client.get(url).content.decode()
    assert "comparison, not proof of cause" in body
    client.force_login(staff_user)
    assert client.get(url).status_code == 200
    assert (
        reverse("training:programmes") in client.get(reverse("followup:dashboard")).content.decode()
    )


def test_add_year_on_29_february():
    assert selectors.add_year(D(2024, 2, 29)) == D(2025, 2, 28)
