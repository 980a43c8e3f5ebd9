"""Who may see a lead and the impact figures: the pages, with refusals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from corridor.accounts import permissions
from corridor.followup import services
from corridor.followup.models import Order
from tests import factories


@pytest.fixture
def order(lead, sme, buyer_org, staff_user):
    return services.order_create(
        by=staff_user,
        supplier=sme,
        buyer=buyer_org,
        lead=lead,
        ordered_on=datetime.date.today(),
        value=Decimal("4321.00"),
        currency="USD",
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("sme_owner", True),
        ("buyer_user", True),
        ("coordinator", True),
        ("staff_user", True),
        ("stranger", False),
        ("viewer", False),
    ],
)
def test_who_may_open_a_lead_and_its_values(client, request, lead, order, who, allowed):
    user = request.getfixturevalue(who)
    client.force_login(user)

    page = client.get(f"/followup/leads/{lead.pk}/")

    assert page.status_code == (200 if allowed else 404)
    assert ("4321" in page.content.decode()) is allowed
    assert permissions.can_view_lead(user, lead) is allowed


def test_the_lead_list_shows_only_the_users_leads(client, lead, other_sme, buyer_org, sme_owner):
    hidden, _ = services.lead_for_pair(
        a=other_sme, b=buyer_org, source="manual", started_on=datetime.date.today()
    )
    client.force_login(sme_owner)
    body = client.get("/followup/").content.decode()
    assert f"/followup/leads/{lead.pk}/" in body
    assert f"/followup/leads/{hidden.pk}/" not in body


def test_a_programme_viewer_sees_the_dashboard_but_never_a_single_lead(client, viewer, order, lead):
    client.force_login(viewer)
    assert client.get("/followup/").status_code == 302
    dashboard = client.get("/followup/impact/")
    body = dashboard.content.decode()
    assert dashboard.status_code == 200
    assert "4,321" not in body and "4321" not in body
    assert "hidden" in body
    assert f"/followup/leads/{lead.pk}/" not in body
    csv = b"".join(
        client.get("/followup/impact/?table=country&format=csv").streaming_content
    ).decode()
    assert "4321" not in csv
    assert "hidden" in csv


def test_staff_see_the_value_on_the_dashboard_and_in_exports(client, staff_user, order):
    client.force_login(staff_user)
    body = client.get("/followup/impact/").content.decode()
    assert "4,321" in body or "4.321" in body
    csv = client.get("/followup/impact/?table=country&format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert "4321.00" in b"".join(csv.streaming_content).decode()
    xlsx = client.get("/followup/impact/?table=funnel&format=xlsx")
    assert xlsx.content[:2] == b"PK"


@pytest.mark.parametrize("who", ["sme_owner", "coordinator", "stranger"])
def test_members_and_strangers_cannot_open_the_dashboard_or_staff_pages(client, request, lead, who):
    client.force_login(request.getfixturevalue(who))
    for url in (
        "/followup/impact/",
        "/followup/staff/non-responders/",
        "/followup/staff/conflicts/",
        "/followup/staff/runs/",
    ):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_log_in(client, lead):
    for url in ("/followup/", f"/followup/leads/{lead.pk}/", "/followup/impact/"):
        page = client.get(url)
        assert page.status_code == 302
        assert "/accounts/login" in page["Location"]


def test_a_side_updates_the_stage_from_the_lead_page(client, lead, buyer_user):
    client.force_login(buyer_user)
    client.post(f"/followup/leads/{lead.pk}/", {"stage": "contact"})
    lead.refresh_from_db()
    assert lead.stage == "contact"
    assert lead.changes.last().side == "buyer"


def test_a_stranger_cannot_post_a_stage(client, lead, stranger):
    client.force_login(stranger)
    assert client.post(f"/followup/leads/{lead.pk}/", {"stage": "contact"}).status_code == 404
    lead.refresh_from_db()
    assert lead.stage == "met"


def test_staff_start_a_round_and_see_its_progress_and_log(client, staff_user, lead, plan):
    client.force_login(staff_user)
    started = client.post("/followup/staff/runs/")
    assert started.status_code == 302
    page = client.get(started["Location"])
    body = page.content.decode()
    assert "<progress" in body and 'value="100"' in body
    assert "smeowner@example.com" in body
    fragment = client.get(started["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="progress"')


def test_the_lead_list_costs_a_constant_number_of_queries(
    client, sme_owner, sme, django_assert_num_queries
):
    for i in range(3):
        buyer = factories.OrganisationFactory(kind="buyer", name=f"Buyer {i}")
        services.lead_for_pair(a=sme, b=buyer, source="manual", started_on=datetime.date.today())
    client.force_login(sme_owner)
    client.get("/followup/")
    with django_assert_num_queries(7):
        client.get("/followup/")
    buyer = factories.OrganisationFactory(kind="buyer", name="Buyer 9")
    services.lead_for_pair(a=sme, b=buyer, source="manual", started_on=datetime.date.today())
    with django_assert_num_queries(7):
        client.get("/followup/")
    assert Order.objects.count() == 0


def test_the_supplier_records_an_order_and_the_buyer_cannot(client, lead, sme_owner, buyer_user):
    client.force_login(buyer_user)
    assert "Record an order" not in client.get(f"/followup/leads/{lead.pk}/").content.decode()
    client.post(
        f"/followup/leads/{lead.pk}/orders/",
        {"ordered_on": datetime.date.today().isoformat(), "value": "10", "currency": "USD"},
    )
    assert Order.objects.count() == 0
    client.force_login(sme_owner)
    client.post(
        f"/followup/leads/{lead.pk}/orders/",
        {"ordered_on": datetime.date.today().isoformat(), "value": "250.50", "currency": "THB"},
    )
    order = Order.objects.get()
    assert (order.value, order.currency, order.lead, order.kind) == (
        Decimal("250.50"),
        "THB",
        lead,
        "first",
    )


def test_only_staff_maintain_exchange_rates(client, staff_user, coordinator):
    client.force_login(coordinator)
    assert client.get("/followup/staff/rates/").status_code == 404
    client.force_login(staff_user)
    client.post(
        "/followup/staff/rates/",
        {"currency": "THB", "valid_from": "2025-01-01", "usd_per_unit": "0.029"},
    )
    bad = client.post(
        "/followup/staff/rates/",
        {"currency": "THB", "valid_from": "2025-02-01", "usd_per_unit": "-1"},
    )
    assert "more than zero" in bad.content.decode()
    from corridor.followup.models import ExchangeRate

    assert list(ExchangeRate.objects.values_list("currency", "usd_per_unit")) == [
        ("THB", Decimal("0.0290000000"))
    ]


def test_the_impact_report_is_a_pdf_for_staff_and_viewers_only(
    client, staff_user, viewer, sme_owner, order
):
    client.force_login(staff_user)
    pdf = client.get("/followup/impact/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    client.force_login(viewer)
    assert client.get("/followup/impact/?format=pdf").content.startswith(b"%PDF")
    client.force_login(sme_owner)
    assert client.get("/followup/impact/?format=pdf").status_code == 404


def test_the_report_html_hides_small_values_from_viewers(order):
    from corridor.followup import selectors
    from corridor.followup.report import impact_html

    filters = selectors.Filters()
    staff = impact_html(
        selectors.impact(filters, viewer=False), filters=filters, title="R", viewer=False
    )
    seen = impact_html(
        selectors.impact(filters, viewer=True), filters=filters, title="R", viewer=True
    )
    assert "4,321" in staff
    assert "4,321" not in seen and "hidden" in seen


def test_a_supplier_answers_a_sourcing_request_and_a_lead_starts(
    client, sme, sme_owner, buyer_org, other_sme
):
    req = factories.SourcingRequestFactory(buyer=buyer_org, title="Glazed bowls")
    client.force_login(sme_owner)
    done = client.post(f"/followup/requests/{req.pk}/answer/", {"supplier": other_sme.pk})
    assert done.status_code == 302
    assert not services.Lead.objects.exists()  # not for an organisation they do not act for
    client.post(f"/followup/requests/{req.pk}/answer/", {"supplier": sme.pk})
    lead = services.Lead.objects.get()
    assert (lead.supplier, lead.buyer, lead.product, lead.source) == (
        sme,
        buyer_org,
        "Glazed bowls",
        "request",
    )


def test_the_impact_report_names_only_the_fonts_of_its_scripts(
    client, staff_user, order, weasyprint_input
):
    client.force_login(staff_user)

    assert client.get("/followup/impact/?format=pdf").content.startswith(b"%PDF")
    assert 'font-family: "Noto Sans", sans-serif;' in weasyprint_input[0]
