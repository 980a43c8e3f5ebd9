"""No double booking under concurrent changes: threads with their own database connections
(run on SQLite and, with DATABASE_URL, on PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, close_old_connections, connection

from corridor.events import services
from corridor.events.models import Meeting, MeetingRequest, MeetingSeat, Slot
from tests.events.conftest import make_participant

pytestmark = pytest.mark.django_db(transaction=True)


def _in_threads(funcs) -> list:
    """Start every function at once (a barrier) and collect what each returned or raised."""
    barrier = threading.Barrier(len(funcs))
    results: list = [None] * len(funcs)

    def run(i, func):
        try:
            barrier.wait()
            for _attempt in range(200):
                try:
                    results[i] = func()
                    break
                except OperationalError as exc:
                    # The in-memory test database of SQLite uses a shared cache, whose table
                    # locks fail at once instead of waiting as a file database with a busy
                    # timeout does in production: wait and retry, as the busy timeout would.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except Exception as exc:  # collected: the test asserts on them
            results[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(funcs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _no_double_booking(event) -> None:
    seats = list(
        MeetingSeat.objects.filter(meeting__event=event, slot__isnull=False).values_list(
            "registration_id", "slot_id"
        )
    )
    assert len(seats) == len(set(seats))
    tables = list(
        Meeting.objects.filter(event=event, status="scheduled", slot__isnull=False).values_list(
            "slot_id", "table"
        )
    )
    assert len(tables) == len(set(tables))
    for m in Meeting.objects.filter(event=event, status="scheduled"):
        assert set(m.seats.values_list("slot_id", flat=True)) == {m.slot_id}


def test_concurrent_hand_moves_into_one_slot_book_the_buyer_once(forum, staff):
    forum.tables = 5
    forum.save()
    buyer = make_participant(forum, "Buyer Co", "buyer")[1]
    suppliers = [make_participant(forum, f"Supplier {i}")[1] for i in range(4)]
    meetings = [
        services.meeting_add(event=forum, by=staff, registrations=[buyer, s]) for s in suppliers
    ]
    slot = Slot.objects.filter(event=forum).order_by("starts_at").first()

    # No version given: only the transaction (event row lock, unique constraints) protects.
    results = _in_threads(
        [
            lambda m=m, t=t: services.meeting_move(meeting=m, by=staff, slot=slot, table=t)
            for t, m in enumerate(meetings, start=1)
        ]
    )

    ok = [r for r in results if isinstance(r, Meeting)]
    refused = [r for r in results if isinstance(r, services.EventError)]
    assert len(ok) == 1, results
    assert len(refused) == 3, results
    assert Meeting.objects.filter(event=forum, slot=slot).count() == 1
    _no_double_booking(forum)


def test_concurrent_moves_with_the_same_version_keep_only_the_first(forum, staff):
    a = make_participant(forum, "A Co")[1]
    b = make_participant(forum, "B Co")[1]
    c = make_participant(forum, "C Co")[1]
    m1 = services.meeting_add(event=forum, by=staff, registrations=[a, b])
    m2 = services.meeting_add(event=forum, by=staff, registrations=[a, c])
    forum.refresh_from_db()
    seen = forum.schedule_version
    s1, s2 = list(Slot.objects.filter(event=forum).order_by("starts_at")[:2])

    results = _in_threads(
        [
            lambda: services.meeting_move(meeting=m1, by=staff, slot=s1, version=seen),
            lambda: services.meeting_move(meeting=m2, by=staff, slot=s2, version=seen),
        ]
    )

    assert sum(isinstance(r, Meeting) for r in results) == 1, results
    assert sum(isinstance(r, services.StaleSchedule) for r in results) == 1, results
    _no_double_booking(forum)


def test_concurrent_acceptance_after_publication_never_double_books(forum, staff):
    buyer_user, buyer = make_participant(forum, "Buyer Co", "buyer")
    pairs = [make_participant(forum, f"Seller {i}") for i in range(5)]
    first = services.meeting_add(event=forum, by=staff, registrations=[buyer, pairs[0][1]])
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    services.schedule_publish(event=forum, by=staff)
    forum.refresh_from_db()
    forum.requests_close_at = None
    forum.scheduling_started_at = None  # let requests in again for the test
    forum.save()
    requests = [
        services.request_send(from_registration=reg, to_registration=buyer, by=user)
        for user, reg in pairs[1:]
    ]

    results = _in_threads(
        [lambda r=r: services.request_accept(request=r, by=buyer_user) for r in requests]
    )

    assert all(isinstance(r, MeetingRequest) for r in results), results
    first.refresh_from_db()
    assert first.slot_id is not None
    assert Meeting.objects.filter(event=forum, status="scheduled").count() == 5
    _no_double_booking(forum)
    buyer_slots = MeetingSeat.objects.filter(registration=buyer, slot__isnull=False).count()
    assert buyer_slots == 5  # 8 slots: every late meeting found room
