"""The demo forum: built on the demo directory, scheduled by the engine, idempotent."""

from __future__ import annotations

from collections import Counter

from corridor.directory.demo import load_demo
from corridor.events.demo import SLUG, load_event_demo
from corridor.events.models import Event, Meeting, MeetingOutcome, MeetingSeat


def test_demo_event_is_complete_and_idempotent(db):
    load_demo()
    first = load_event_demo()
    again = load_event_demo()

    event = Event.objects.get(slug=SLUG)
    assert (first["created"], again["created"]) == (1, 0)
    assert Event.objects.count() == 1
    kinds = Counter(event.registrations.values_list("organisation__kind", flat=True))
    assert kinds == {"cluster": 16, "buyer": 12}
    states = set(event.meeting_requests.values_list("status", flat=True))
    assert states == {"pending", "accepted", "declined", "expired", "cancelled"}
    assert event.schedule_runs.get().status == "applied"
    assert Meeting.objects.filter(event=event, slot__isnull=True).count() == 0
    assert MeetingOutcome.objects.filter(meeting__event=event, mark="held").exists()
    assert (
        MeetingSeat.objects.filter(meeting__event=event).values("meeting").distinct().count() == 30
    )
    assert any(m.seats.count() == 4 for m in Meeting.objects.filter(event=event))
