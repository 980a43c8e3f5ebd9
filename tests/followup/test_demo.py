"""The follow-up demo: leads in every stage, a plan with sent and answered surveys, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.test import override_settings

from corridor.directory.demo import load_demo
from corridor.events.demo import load_event_demo
from corridor.followup import selectors
from corridor.followup.demo import load_followup_demo
from corridor.followup.models import Lead, Order, Stage, SurveyAnswer, SurveyInvitation


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_has_every_stage_surveys_and_creates_nothing_the_second_time(settings):
    with override_settings(CORRIDOR={**settings.CORRIDOR, "EMBEDDER": "hash"}):
        load_demo(stdout=StringIO())
        load_event_demo(stdout=StringIO())
        first = load_followup_demo(stdout=StringIO())
        second = load_followup_demo(stdout=StringIO())

    assert first > 0
    assert second == 0
    stages = set(Lead.objects.values_list("stage", flat=True))
    trade = {"met", "contact", "samples", "negotiating", "first_order", "repeat_orders", "dropped"}
    assert trade <= stages
    assert {"agreement", "talks"} <= stages
    assert set(Stage.values) - stages == {"joint_activity"}
    assert SurveyInvitation.objects.filter(status="sent").exists()
    assert SurveyAnswer.objects.count() == 16
    assert Lead.objects.filter(in_conflict=True).count() == 1
    assert Lead.objects.filter(source="meeting", event__isnull=False).exists()
    assert Order.objects.count() == 8
    data = selectors.impact(selectors.Filters(), viewer=False)
    assert data.value_usd > 0 and data.unconverted == 0
