"""iCalendar output: a participant's agenda (file and private feed) and cancellation notices.

UIDs are the meetings' stable `uid`; SEQUENCE is the meeting's `sequence`, raised by every change
of time, table or status; a cancelled meeting stays in the agenda with STATUS:CANCELLED, and only
the email announcing a cancellation carries METHOD:CANCEL.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as VEvent

from corridor.events.models import Meeting, Registration

PRODID = "-//Corridor//Matchmaking events//EN"


def _calendar(method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


def _vevent(meeting: Meeting, registration: Registration, *, cancelled: bool = False) -> VEvent:
    event = meeting.event
    partners = [
        s.registration.organisation.name
        for s in meeting.seats.all()
        if s.registration_id != registration.pk
    ]
    ev = VEvent()
    ev.add("uid", f"{meeting.uid}@corridor")
    ev.add("sequence", meeting.sequence)
    ev.add("dtstamp", meeting.updated_at or timezone.now())
    ev.add("dtstart", meeting.slot.starts_at)
    ev.add("dtend", meeting.slot.ends_at)
    ev.add("summary", f"{event.name}: {', '.join(partners)}")
    where = event.venue or ""
    if meeting.table:
        where = f"{where}, table {meeting.table}" if where else f"table {meeting.table}"
    if where:
        ev.add("location", where)
    if meeting.video_link:
        ev.add("url", meeting.video_link)
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return ev


def agenda(registration: Registration, meetings: Iterable[Meeting]) -> bytes:
    """The agenda as a calendar: scheduled meetings and cancelled ones (STATUS:CANCELLED)."""
    cal = _calendar()
    cal.add("x-wr-calname", registration.event.name)
    for meeting in meetings:
        if meeting.slot_id is None:
            continue
        cal.add_component(
            _vevent(meeting, registration, cancelled=meeting.status == Meeting.Status.CANCELLED)
        )
    return cal.to_ical()


def cancellation(meeting: Meeting, registration: Registration) -> bytes:
    """The notice attached to the cancellation email (METHOD:CANCEL)."""
    cal = _calendar("CANCEL")
    cal.add_component(_vevent(meeting, registration, cancelled=True))
    return cal.to_ical()
