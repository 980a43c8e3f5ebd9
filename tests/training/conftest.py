"""Fixtures of training: a programme with one module (two questions) and one session."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from corridor.training import services
from corridor.training.models import Attendance


@pytest.fixture
def programme(db, staff_user):
    return services.programme_create(
        name="Export readiness 2025",
        funder="Mekong Fund",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
        by=staff_user,
    )


@pytest.fixture
def module(programme, staff_user):
    m = services.module_create(
        programme=programme,
        topic="export",
        title="Export procedures",
        language="en",
        hours=Decimal("6"),
        by=staff_user,
    )
    services.question_add(module=m, text="I can fill in a certificate of origin.", by=staff_user)
    services.question_add(module=m, text="I know the documents a buyer asks for.", by=staff_user)
    return m


@pytest.fixture
def session(module, staff_user):
    return services.session_create(
        module=module,
        date=datetime.date(2025, 3, 10),
        place="Hanoi",
        trainers="A. Trainer",
        by=staff_user,
    )


@pytest.fixture
def attendance(session, sme, staff_user) -> Attendance:
    return services.attendance_add(
        session=session,
        person=services.Person(name="Nguyen Thi Lan", organisation_id=sme.pk),
        by=staff_user,
    )
