"""Fixtures of follow-up: a trade lead between an SME (in a cluster) and a buyer, a plan."""

from __future__ import annotations

import datetime

import pytest

from corridor.followup import services
from corridor.followup.models import FollowUpPlan, FollowUpStep
from tests import factories


@pytest.fixture
def lead(db, sme, sme_owner, buyer_org, buyer_user):
    lead, _created = services.lead_for_pair(
        a=sme,
        b=buyer_org,
        source="connection",
        started_on=datetime.date.today() - datetime.timedelta(days=40),
    )
    return lead


@pytest.fixture
def viewer(db):
    return factories.UserFactory(username="donor", is_programme_viewer=True)


@pytest.fixture
def plan(db):
    plan = FollowUpPlan.objects.create(name="Programme", reminder_after_days=5, link_valid_days=30)
    for months in (0, 1, 3, 6, 12):
        FollowUpStep.objects.create(plan=plan, offset_months=months)
    return plan


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The impact figures are cached under a version kept in the cache: each test starts empty
    (the in-memory cache outlives a test's rolled-back database)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
