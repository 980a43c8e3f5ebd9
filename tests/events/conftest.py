"""Fixtures for the events app: a forum with two sessions, organisations and their people."""

from __future__ import annotations

import datetime as dt

import pytest

from corridor.events import services
from corridor.events.models import Event, Registration
from tests import factories

DAY = dt.date(2030, 3, 12)


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A time on the event day in Bangkok (UTC+07:00), as an aware UTC datetime."""
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour - 7, minute, tzinfo=dt.UTC)


@pytest.fixture
def staff(db):
    return factories.UserFactory(username="eventstaff", is_staff=True)


@pytest.fixture
def forum(staff):
    """Registration open, 2 sessions of 4 slots of 20 minutes (+5 min pause), 3 tables."""
    event = services.event_create(
        by=staff,
        name="Mekong SME cluster promotion and investor forum",
        venue="Hotel Cambodiana",
        address="Phnom Penh",
        time_zone="Asia/Bangkok",
        tables=3,
    )
    services.session_add(event=event, by=staff, starts_at=at(9), ends_at=at(10, 40), name="AM")
    services.session_add(event=event, by=staff, starts_at=at(14), ends_at=at(15, 40), name="PM")
    services.event_set_status(event=event, by=staff, status=Event.Status.REGISTRATION_OPEN)
    return event


def make_participant(event, name: str, kind: str = "sme", country: str = "KH", **reg):
    """An organisation, its owner, and an approved registration (registered by staff)."""
    user = factories.UserFactory(username=name.lower().replace(" ", ""))
    org = factories.OrganisationFactory(
        kind=kind, name=name, country=factories.CountryFactory(code=country)
    )
    factories.MembershipFactory(user=user, organisation=org, role="owner")
    from corridor.accounts.models import User

    staff = User.objects.get(username="eventstaff")
    registration = services.registration_create(event=event, organisation=org, by=staff, **reg)
    assert registration.status == Registration.Status.APPROVED
    return user, registration


@pytest.fixture
def people(forum):
    """Four participants: a buyer and three suppliers."""
    return {
        name: make_participant(forum, name, kind)
        for name, kind in [
            ("Buyer Co", "buyer"),
            ("Rice Mill", "sme"),
            ("Silk House", "sme"),
            ("Pepper Farm", "sme"),
        ]
    }


def meet(a, b, *, priority: int = 2, their_priority: int = 2):
    """a asks b, b accepts: returns the meeting."""
    (ua, ra), (ub, rb) = a, b
    request = services.request_send(
        from_registration=ra, to_registration=rb, by=ua, priority=priority
    )
    services.request_accept(request=request, by=ub, priority=their_priority)
    request.refresh_from_db()
    return request.meeting


@pytest.fixture(autouse=True)
def _on_commit_now(monkeypatch):
    """pytest-django keeps each test inside one transaction, so on_commit callbacks (messages,
    queued tasks) would never run: run them at once, as a commit right after the service would."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture(autouse=True)
def _suggestion_indexes(settings, tmp_path):
    """Each test's suggestion indexes in its own folder, with no pointers or copies left from
    another test."""
    from django.core.cache import cache

    from corridor.events import suggest

    settings.DATA_DIR = tmp_path
    cache.clear()
    suggest.forget()
    yield
    suggest.forget()
