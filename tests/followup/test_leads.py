"""Leads: creation from connections and requests, stages per kind, history, orders."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from corridor.connections import services as connection_services
from corridor.connections.models import Connection
from corridor.followup import services
from corridor.followup.models import Lead, LeadStageChange, Order
from tests import factories

TODAY = datetime.date.today()


def test_accepting_a_connection_creates_one_lead_with_the_buyer_as_buyer(
    sme, sme_owner, buyer_org, buyer_user
):
    connection = connection_services.connection_request(
        from_org=buyer_org, to_org=sme, by=buyer_user, message="hello"
    )
    connection_services.connection_accept(connection=connection, by=sme_owner)

    lead = Lead.objects.get()
    assert (lead.supplier, lead.buyer, lead.kind, lead.stage) == (sme, buyer_org, "trade", "met")
    assert lead.connection == connection
    assert lead.source == "connection"
    assert list(lead.changes.values_list("from_stage", "to_stage")) == [("", "met")]


def test_two_smes_make_a_collaboration_lead_with_its_own_stages(sme, other_sme, staff_user):
    lead, created = services.lead_for_pair(a=other_sme, b=sme, source="manual", started_on=TODAY)
    assert created
    assert (lead.kind, lead.stage) == ("collaboration", "talks")
    with pytest.raises(services.FollowupError):
        services.lead_set_stage(lead=lead, stage="first_order", by=staff_user)
    services.lead_set_stage(lead=lead, stage="agreement", by=staff_user)
    assert Lead.objects.get().stage == "agreement"


def test_the_same_pair_never_gets_a_second_lead(sme, buyer_org):
    a, created_a = services.lead_for_pair(a=sme, b=buyer_org, source="manual", started_on=TODAY)
    b, created_b = services.lead_for_pair(a=buyer_org, b=sme, source="request", started_on=TODAY)
    assert (created_a, created_b, a.pk) == (True, False, b.pk)
    with pytest.raises(IntegrityError):
        Lead.objects.create(
            supplier=sme,
            buyer=buyer_org,
            stage="met",
            started_on=TODAY,
            stage_changed_at=a.created_at,
        )


def test_stage_changes_are_kept_with_date_reporter_and_side(
    lead, sme_owner, buyer_user, staff_user
):
    services.lead_set_stage(
        lead=lead, stage="contact", by=sme_owner, on=TODAY - datetime.timedelta(days=3)
    )
    services.lead_set_stage(lead=lead, stage="samples", by=buyer_user)
    services.lead_set_stage(
        lead=lead, stage="dropped", drop_reason="price", by=staff_user, note="too dear"
    )

    rows = list(
        LeadStageChange.objects.filter(lead=lead).values_list(
            "from_stage", "to_stage", "reported_by__username", "side", "drop_reason"
        )
    )
    assert rows == [
        ("", "met", None, "staff", ""),
        ("met", "contact", "smeowner", "supplier", ""),
        ("contact", "samples", "buyer", "buyer", ""),
        ("samples", "dropped", "staff", "staff", "price"),
    ]
    assert LeadStageChange.objects.filter(lead=lead, to_stage="contact").get().changed_on == (
        TODAY - datetime.timedelta(days=3)
    )
    lead.refresh_from_db()
    assert (lead.stage, lead.drop_reason, lead.furthest) == ("dropped", "price", 2)


def test_dropping_needs_a_reason_and_other_stages_refuse_one(lead, staff_user):
    with pytest.raises(services.FollowupError, match="why"):
        services.lead_set_stage(lead=lead, stage="dropped", by=staff_user)
    with pytest.raises(services.FollowupError):
        services.lead_set_stage(lead=lead, stage="contact", drop_reason="price", by=staff_user)
    assert Lead.objects.get(pk=lead.pk).stage == "met"


def test_a_stranger_or_the_coordinator_of_another_cluster_cannot_change_a_lead(lead, stranger):
    with pytest.raises(services.FollowupError):
        services.lead_set_stage(lead=lead, stage="contact", by=stranger)
    assert LeadStageChange.objects.filter(lead=lead).count() == 1


def test_orders_move_the_lead_to_first_then_repeat_orders(lead, sme, buyer_org, sme_owner):
    first = services.order_create(
        by=sme_owner,
        supplier=sme,
        buyer=buyer_org,
        lead=lead,
        ordered_on=TODAY,
        value=Decimal("1200"),
        currency="USD",
    )
    second = services.order_create(
        by=sme_owner,
        supplier=sme,
        buyer=buyer_org,
        lead=lead,
        ordered_on=TODAY,
        value=Decimal("800"),
        currency="USD",
    )
    lead.refresh_from_db()
    assert (first.kind, second.kind, lead.stage) == ("first", "repeat", "repeat_orders")


def test_only_the_supplier_or_staff_records_an_order(sme, buyer_org, buyer_user, staff_user):
    with pytest.raises(services.FollowupError):
        services.order_create(
            by=buyer_user,
            supplier=sme,
            buyer=buyer_org,
            ordered_on=TODAY,
            value=None,
            currency="USD",
        )
    order = services.order_create(
        by=staff_user, supplier=sme, buyer=buyer_org, ordered_on=TODAY, value=None, currency="THB"
    )
    assert Order.objects.get() == order
    assert order.lead is None


def test_backfill_creates_leads_for_connections_accepted_before(sme, other_sme, buyer_org):
    factories.ConnectionFactory(from_org=buyer_org, to_org=sme, status=Connection.Status.ACCEPTED)
    factories.ConnectionFactory(
        from_org=other_sme, to_org=buyer_org, status=Connection.Status.ACCEPTED
    )
    factories.ConnectionFactory(from_org=sme, to_org=other_sme, status=Connection.Status.DECLINED)

    first, second = io.StringIO(), io.StringIO()
    call_command("backfill_leads", stdout=first)
    call_command("backfill_leads", stdout=second)

    assert (first.getvalue(), second.getvalue()) == ("2 leads created.\n", "0 leads created.\n")
    assert sorted(Lead.objects.values_list("supplier__name", "buyer__name")) == sorted(
        [(sme.name, buyer_org.name), (other_sme.name, buyer_org.name)]
    )


def test_answering_a_sourcing_request_creates_a_lead_on_the_requested_product(
    sme, sme_owner, buyer_org
):
    hs = factories.HSCodeFactory(code="100630")
    req = factories.SourcingRequestFactory(buyer=buyer_org, title="Jasmine rice", hs_code=hs)
    lead, created = services.lead_from_request_answer(request=req, supplier=sme, by=sme_owner)
    assert created
    assert (lead.product, lead.hs_chapter, lead.sourcing_request, lead.source) == (
        "Jasmine rice",
        "10",
        req,
        "request",
    )


def test_a_lead_edited_in_the_admin_refreshes_its_orders(lead, sme, buyer_org, staff_user, rf):
    from django.contrib import admin

    order = services.order_create(
        by=staff_user,
        supplier=sme,
        buyer=buyer_org,
        lead=lead,
        ordered_on=TODAY,
        value=Decimal("100"),
        currency="USD",
    )
    lead.hs_code = factories.HSCodeFactory(code="090111", description="Coffee")
    request = rf.post("/")
    request.user = staff_user

    admin.site._registry[Lead].save_model(request, lead, form=None, change=True)

    order.refresh_from_db()
    assert (lead.hs_chapter, order.hs_chapter) == ("09", "09")
