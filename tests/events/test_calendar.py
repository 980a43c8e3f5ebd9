"""Calendar files parsed back with icalendar: stable UIDs, SEQUENCE raised, cancellations."""

from __future__ import annotations

from django.core import mail
from icalendar import Calendar

from corridor.events import calendar, selectors, services
from corridor.notifications.models import Notification
from tests.events.conftest import meet


def _events(registration):
    cal = Calendar.from_ical(calendar.agenda(registration, selectors.agenda_meetings(registration)))
    assert cal.get("METHOD") is None  # the agenda itself never carries METHOD:CANCEL
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_uid_stable_and_sequence_raised_on_a_move(people, forum, staff):
    meeting = meet(people["Rice Mill"], people["Buyer Co"])
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    forum.refresh_from_db()
    meeting.refresh_from_db()
    rice = people["Rice Mill"][1]
    ((uid, first),) = _events(rice).items()
    target = forum.slots.exclude(pk=meeting.slot_id).last()

    services.meeting_move(meeting=meeting, by=staff, slot=target, version=forum.schedule_version)

    ((uid2, second),) = _events(rice).items()
    assert uid2 == uid == f"{meeting.uid}@corridor"
    assert int(second["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert second.decoded("DTSTART") == target.starts_at
    assert str(second["STATUS"]) == "CONFIRMED"


def test_cancelled_meeting_is_kept_and_the_email_carries_method_cancel(people, forum, staff):
    meeting = meet(people["Rice Mill"], people["Buyer Co"])
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    services.schedule_publish(event=forum, by=staff)
    forum.refresh_from_db()
    meeting.refresh_from_db()
    before = int(next(iter(_events(people["Rice Mill"][1]).values()))["SEQUENCE"])
    mail.outbox.clear()

    services.meeting_cancel(meeting=meeting, by=people["Buyer Co"][0])

    (event,) = _events(people["Rice Mill"][1]).values()
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == before + 1
    assert len(mail.outbox) == 2
    # Sent through the notifications module (queued, deduplicated, in-app entry too).
    sent = Notification.objects.filter(kind="events.meeting_cancelled")
    assert sorted(sent.values_list("to_email", flat=True)) == sorted(m.to[0] for m in mail.outbox)
    assert set(sent.values_list("email_status", flat=True)) == {"sent"}
    name, content, mimetype = mail.outbox[0].attachments[0]
    assert (name, mimetype.split(";")[0]) == ("cancel.ics", "text/calendar")
    notice = Calendar.from_ical(content)
    assert str(notice["METHOD"]) == "CANCEL"
    (cancelled,) = notice.walk("VEVENT")
    assert str(cancelled["UID"]) == f"{meeting.uid}@corridor"
    assert str(cancelled["STATUS"]) == "CANCELLED"
