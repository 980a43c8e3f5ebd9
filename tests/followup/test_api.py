"""/api/v1/leads and /api/v1/impact: the pages' permissions, with refusals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from corridor.followup import services
from tests.api.conftest import assert_error, bearer_client


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db):
    """Rate-limit counters live in the cache (the database's): each test starts with none."""
    from django.core.cache import cache

    cache.clear()


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


def test_a_side_lists_and_reads_its_lead_with_history_and_orders(lead, order, sme_owner):
    api = bearer_client(sme_owner)
    listing = api.get("/api/v1/leads").json()
    assert listing["count"] == 1
    assert listing["items"][0]["stage"] == "first_order"
    detail = api.get(f"/api/v1/leads/{lead.pk}").json()
    assert [h["to_stage"] for h in detail["history"]] == ["met", "first_order"]
    assert detail["orders"][0]["value"] == "4321.00"


@pytest.mark.parametrize("who", ["stranger", "viewer"])
def test_others_never_see_a_single_lead(request, lead, order, who):
    api = bearer_client(request.getfixturevalue(who))
    assert api.get("/api/v1/leads").json()["count"] == 0
    assert_error(api.get(f"/api/v1/leads/{lead.pk}"), 404, "not_found")
    assert_error(
        api.post(
            f"/api/v1/leads/{lead.pk}/stage", {"stage": "contact"}, content_type="application/json"
        ),
        404,
        "not_found",
    )


def test_a_stage_report_is_kept_and_a_bad_one_is_refused_with_a_reason(lead, buyer_user):
    api = bearer_client(buyer_user)
    ok = api.post(
        f"/api/v1/leads/{lead.pk}/stage", {"stage": "contact"}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert ok.json()["history"][-1]["side"] == "buyer"
    bad = api.post(
        f"/api/v1/leads/{lead.pk}/stage", {"stage": "dropped"}, content_type="application/json"
    )
    assert "why" in assert_error(bad, 422, "validation_error")["message"]
    wrong_kind = api.post(
        f"/api/v1/leads/{lead.pk}/stage", {"stage": "agreement"}, content_type="application/json"
    )
    assert_error(wrong_kind, 422, "validation_error")


def test_impact_for_staff_and_viewers_only_viewers_see_no_small_values(
    order, staff_user, viewer, sme_owner
):
    staff = bearer_client(staff_user).get("/api/v1/impact").json()
    assert (staff["leads"], staff["orders"], staff["value_usd"]) == (1, 1, "4321.00")
    seen = bearer_client(viewer).get("/api/v1/impact").json()
    assert (seen["leads"], seen["orders"], seen["value_usd"]) == (1, 1, None)
    assert all(r["value_usd"] is None for r in seen["by_country"])
    assert_error(bearer_client(sme_owner).get("/api/v1/impact"), 403, "forbidden")
