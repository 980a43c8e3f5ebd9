"""The training demo: a programme for the demo clusters, milestones for all 16, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.test import override_settings

from corridor.directory.demo import load_demo
from corridor.followup.demo import load_followup_demo
from corridor.training import selectors
from corridor.training.demo import load_training_demo
from corridor.training.models import (
    AssessmentResponse,
    Attendance,
    ClusterMilestone,
    Module,
    Programme,
    Session,
)


def _counts() -> list[int]:
    return [
        m.objects.count()
        for m in (Programme, Module, Session, Attendance, AssessmentResponse, ClusterMilestone)
    ]


@pytest.mark.slow
@pytest.mark.django_db
def test_training_demo_covers_the_clusters_and_creates_nothing_twice(settings):
    with override_settings(CORRIDOR={**settings.CORRIDOR, "EMBEDDER": "hash"}):
        load_demo(stdout=StringIO())
        load_followup_demo(stdout=StringIO())
    load_training_demo(stdout=StringIO())
    first = _counts()
    load_training_demo(stdout=StringIO())
    assert _counts() == first
    assert first[:3] == [1, 4, 4]
    assert ClusterMilestone.objects.values("cluster").distinct().count() == 16
    assert ClusterMilestone.objects.filter(kind="formed").count() == 16
    result = selectors.what_followed(Programme.objects.get())
    assert result.trained.smes > 0 and result.untrained.smes > 0
