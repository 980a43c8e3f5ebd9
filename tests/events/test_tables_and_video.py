"""Staff fix a host to a table and set a meeting's video link; participants cannot."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from corridor.events import calendar, selectors, services
from corridor.events.models import Event, Meeting, Table
from tests.events.conftest import meet


@pytest.fixture
def scheduled(people, forum, staff):
    meeting = meet(people["Rice Mill"], people["Buyer Co"])
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    meeting.refresh_from_db()
    forum.refresh_from_db()
    return meeting


def test_staff_fix_a_host_to_a_table_and_the_engine_seats_their_meetings_there(
    client, forum, staff, people
):
    buyer = people["Buyer Co"][1]
    for seller in ("Rice Mill", "Silk House", "Pepper Farm"):
        meet(people[seller], people["Buyer Co"])
    client.force_login(staff)

    r = client.post(
        reverse("events:table_host", args=[forum.slug]),
        {"number": "3", "host": "buyer co"},
        follow=True,
    )

    assert "Buyer Co stays at table 3." in r.content.decode()
    assert Table.objects.get(event=forum, number=3).host == buyer
    page = client.get(reverse("events:manage", args=[forum.slug])).content.decode()
    assert "Table 3: Buyer Co" in page
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    tables = set(
        Meeting.objects.filter(seats__registration=buyer, slot__isnull=False).values_list(
            "table", flat=True
        )
    )
    assert tables == {3}


def test_staff_free_a_table_and_unknown_names_are_refused(client, forum, staff, people):
    services.table_fix_host(event=forum, by=staff, number=2, registration=people["Buyer Co"][1])
    client.force_login(staff)

    r = client.post(
        reverse("events:table_host", args=[forum.slug]), {"number": "1", "host": "Nobody"}
    )
    assert r.status_code == 302
    assert not Table.objects.filter(event=forum, number=1, host__isnull=False).exists()

    client.post(reverse("events:table_host", args=[forum.slug]), {"number": "2", "host": ""})
    assert not Table.objects.filter(event=forum, host__isnull=False).exists()


def test_table_number_beyond_the_event_is_refused(client, forum, staff, people):
    client.force_login(staff)
    r = client.post(
        reverse("events:table_host", args=[forum.slug]),
        {"number": "9", "host": "Buyer Co"},
        follow=True,
    )
    assert "Table 9 does not exist (tables 1 to 3)." in r.content.decode()
    assert not Table.objects.filter(event=forum).exists()


def test_participants_cannot_fix_hosts(client, forum, people):
    user, _buyer = people["Buyer Co"]
    client.force_login(user)
    r = client.post(
        reverse("events:table_host", args=[forum.slug]), {"number": "1", "host": "Buyer Co"}
    )
    assert r.status_code == 403
    with pytest.raises(services.EventError):
        services.table_fix_host(event=forum, by=user, number=1, registration=people["Buyer Co"][1])
    assert not Table.objects.filter(event=forum).exists()


def _hybrid(forum):
    Event.objects.filter(pk=forum.pk).update(mode=Event.Mode.HYBRID)
    forum.refresh_from_db()


def test_staff_set_a_video_link_shown_on_the_agenda_and_in_the_calendar(
    client, forum, staff, people, scheduled
):
    _hybrid(forum)
    services.schedule_publish(event=forum, by=staff)
    before = scheduled.sequence
    client.force_login(staff)
    actions = client.get(reverse("events:meeting_actions", args=[forum.slug, scheduled.pk]))
    assert 'name="video_link"' in actions.content.decode()
    mail.outbox.clear()

    client.post(
        reverse("events:meeting_video", args=[forum.slug, scheduled.pk]),
        {"video_link": "https://meet.example.org/forum-table-1"},
    )

    scheduled.refresh_from_db()
    assert scheduled.video_link == "https://meet.example.org/forum-table-1"
    assert scheduled.sequence == before + 1
    rice_user, rice = people["Rice Mill"]
    cal = Calendar.from_ical(calendar.agenda(rice, selectors.agenda_meetings(rice)))
    (event,) = cal.walk("VEVENT")
    assert str(event["URL"]) == "https://meet.example.org/forum-table-1"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [rice_user.email, people["Buyer Co"][0].email]
    )
    client.force_login(rice_user)
    agenda = client.get(reverse("events:agenda", args=[forum.slug])).content.decode()
    assert 'href="https://meet.example.org/forum-table-1"' in agenda


def test_video_link_is_refused_for_in_person_events_and_bad_addresses(forum, staff, scheduled):
    with pytest.raises(services.EventError, match="online and hybrid"):
        services.meeting_set_video_link(
            meeting=scheduled, by=staff, url="https://meet.example.org/x"
        )
    _hybrid(forum)
    with pytest.raises(services.EventError, match="full address"):
        services.meeting_set_video_link(meeting=scheduled, by=staff, url="javascript:alert(1)")
    scheduled.refresh_from_db()
    assert scheduled.video_link == ""


def test_participants_cannot_set_video_links(client, forum, people, scheduled):
    _hybrid(forum)
    user = people["Rice Mill"][0]
    client.force_login(user)
    r = client.post(
        reverse("events:meeting_video", args=[forum.slug, scheduled.pk]),
        {"video_link": "https://evil.example.org/"},
    )
    assert r.status_code == 403
    with pytest.raises(services.EventError):
        services.meeting_set_video_link(meeting=scheduled, by=user, url="https://e.example.org/")
    scheduled.refresh_from_db()
    assert scheduled.video_link == ""
