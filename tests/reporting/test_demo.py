"""The reporting demo: reports at the demo crossings in every state, loaded once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.test import override_settings

from corridor.accounts.models import Membership
from corridor.directory.demo import load_demo
from corridor.reporting import selectors
from corridor.reporting.demo import REPORTS, load_reporting_demo
from corridor.reporting.models import BottleneckReport, Status
from tests.reporting.conftest import forget_told, told


@pytest.mark.django_db
def test_reporting_demo_has_every_state_and_is_idempotent():
    fast = {"CORRIDOR": {**settings.CORRIDOR, "EMBEDDER": "hash"}}
    with override_settings(**fast):
        load_demo(stdout=StringIO())
    forget_told()
    created = load_reporting_demo()
    orders = 3 if apps.is_installed("corridor.reporting.timeline") else 0
    assert created == len(REPORTS) + 1 + orders  # reports, the focal-point login, orders
    assert told() == []  # loading the demo tells nobody
    statuses = set(BottleneckReport.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    assert sum(r.is_overdue for r in BottleneckReport.objects.all()) == 1
    assert BottleneckReport.objects.filter(crossing__isnull=True).count() == 0
    assert Membership.objects.filter(user__username="focal", role="focal_point").count() == 1
    # The public page has something to show (groups of three or more).
    assert selectors.public_reports().count() >= 9
    assert load_reporting_demo() == 0
    assert BottleneckReport.objects.count() == len(REPORTS)
