"""Pages over real HTTP (Django test client): permissions first, then the main journeys."""

from __future__ import annotations

import pytest
from django.urls import reverse
from icalendar import Calendar

from corridor.events import services
from corridor.events.models import Event, MeetingRequest, Registration
from tests import factories
from tests.events.conftest import make_participant, meet


@pytest.fixture
def scheduled(people, forum, staff):
    meeting = meet(people["Rice Mill"], people["Buyer Co"])
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    meeting.refresh_from_db()
    forum.refresh_from_db()
    return meeting


def test_draft_events_are_hidden_from_the_public(client, staff, db):
    event = services.event_create(by=staff, name="Secret forum")
    assert client.get(reverse("events:detail", args=[event.slug])).status_code == 404
    assert "Secret forum" not in client.get(reverse("events:list")).content.decode()
    client.force_login(staff)
    assert client.get(reverse("events:detail", args=[event.slug])).status_code == 200


def test_public_event_page_and_list(client, forum):
    page = client.get(reverse("events:detail", args=[forum.slug]))
    assert page.status_code == 200
    assert "Register" in page.content.decode()
    assert forum.name in client.get(reverse("events:list")).content.decode()


def test_registration_form_registers_own_organisation(client, forum):
    user = factories.UserFactory(username="newowner")
    org = factories.OrganisationFactory(name="Lao Coffee")
    factories.MembershipFactory(user=user, organisation=org)
    client.force_login(user)

    r = client.post(
        reverse("events:register", args=[forum.slug]),
        {"organisation": org.pk, "offers": "Arabica", "visible": "on", "rep_name": "Noy"},
    )

    assert r.status_code == 302
    reg = Registration.objects.get(organisation=org)
    assert (reg.status, reg.offers, reg.representatives.get().name) == (
        "approved",
        "Arabica",
        "Noy",
    )


def test_registration_form_creates_a_new_organisation(client, forum):
    user = factories.UserFactory(username="fresh")
    country = factories.CountryFactory(code="LA", name="Lao PDR")
    client.force_login(user)
    r = client.post(
        reverse("events:register", args=[forum.slug]),
        {"new_name": "Vientiane Silk", "new_kind": "sme", "new_country": country.pk},
    )
    assert r.status_code == 302
    reg = Registration.objects.get(organisation__name="Vientiane Silk")
    assert reg.organisation.memberships.get().user == user


def test_registration_form_cannot_register_someone_elses_organisation(client, forum):
    user = factories.UserFactory(username="sneaky")
    other = factories.OrganisationFactory(name="Other Co")
    client.force_login(user)
    r = client.post(reverse("events:register", args=[forum.slug]), {"organisation": other.pk})
    assert r.status_code == 200  # form error: not among the choices
    assert not Registration.objects.filter(organisation=other).exists()


def test_participants_page_needs_a_registration(client, people, forum):
    stranger = factories.UserFactory(username="nobody")
    client.force_login(stranger)
    assert client.get(reverse("events:participants", args=[forum.slug])).status_code == 403
    client.logout()
    assert client.get(reverse("events:participants", args=[forum.slug])).status_code == 302


def test_unpublished_organisation_without_consent_is_not_listed(client, people, forum, staff):
    hidden_org = factories.OrganisationFactory(name="Quiet Co", is_published=False)
    services.registration_create(
        event=forum, organisation=hidden_org, by=staff, visible_to_participants=False
    )
    client.force_login(people["Rice Mill"][0])
    page = client.get(reverse("events:participants", args=[forum.slug])).content.decode()
    assert "Buyer Co" in page
    assert "Quiet Co" not in page


def test_suggestions_give_reasons(client, people, forum):
    buyer = people["Buyer Co"][1]
    buyer.looks_for = "jasmine rice"
    buyer.save()
    rice = people["Rice Mill"][1]
    rice.offers = "Jasmine rice, parboiled"
    rice.save()
    client.force_login(people["Buyer Co"][0])
    page = client.get(reverse("events:participants", args=[forum.slug])).content.decode()
    assert "Suggested for you" in page
    assert "They offer: Jasmine, rice" in page  # the matching engine's words, as written


def test_request_and_accept_through_the_pages(client, people, forum):
    (ua, _ra), (ub, rb) = people["Rice Mill"], people["Buyer Co"]
    client.force_login(ua)
    client.post(
        reverse("events:request_send", args=[forum.slug, rb.pk]),
        {"message": "Jasmine rice", "priority": "3"},
    )
    req = MeetingRequest.objects.get()
    client.force_login(ub)
    assert (
        "Jasmine rice" in client.get(reverse("events:requests", args=[forum.slug])).content.decode()
    )
    client.post(
        reverse("events:request_answer", args=[forum.slug, req.pk, "accept"]), {"priority": "2"}
    )
    req.refresh_from_db()
    assert (req.status, req.meeting.weight) == ("accepted", 5)


def test_the_requester_cannot_accept_their_own_request(client, people, forum):
    (ua, ra), (_ub, rb) = people["Rice Mill"], people["Buyer Co"]
    req = services.request_send(from_registration=ra, to_registration=rb, by=ua)
    client.force_login(ua)
    client.post(
        reverse("events:request_answer", args=[forum.slug, req.pk, "accept"]), {"priority": "2"}
    )
    req.refresh_from_db()
    assert req.status == "pending"


def test_staff_pages_refuse_participants(client, scheduled, people, forum):
    client.force_login(people["Rice Mill"][0])
    for name in ("manage", "schedule", "checkin"):
        assert client.get(reverse(f"events:{name}", args=[forum.slug])).status_code == 403
    r = client.post(
        reverse("events:meeting_move", args=[forum.slug, scheduled.pk]),
        {"slot": forum.slots.last().pk},
    )
    assert r.status_code == 403
    assert client.get(reverse("events:staff_pdf", args=[forum.slug, "badges"])).status_code == 403


def test_event_organiser_manages_only_their_event(client, forum, staff):
    organiser = factories.UserFactory(username="organiser")
    forum.organisers.add(organiser)
    other = services.event_create(by=staff, name="Other forum")
    services.event_set_status(event=other, by=staff, status=Event.Status.PUBLISHED)
    client.force_login(organiser)
    assert client.get(reverse("events:manage", args=[forum.slug])).status_code == 200
    assert client.get(reverse("events:manage", args=[other.slug])).status_code == 403


def test_staff_schedule_page_moves_with_reasons(client, scheduled, people, forum, staff):
    other = services.meeting_add(
        event=forum,
        by=staff,
        registrations=[people["Silk House"][1], people["Buyer Co"][1]],
        version=forum.schedule_version,
    )
    forum.refresh_from_db()
    services.meeting_move(
        meeting=other,
        by=staff,
        slot=forum.slots.exclude(pk=scheduled.slot_id).first(),
        version=forum.schedule_version,
    )
    forum.refresh_from_db()
    client.force_login(staff)
    r = client.post(
        reverse("events:meeting_move", args=[forum.slug, other.pk]),
        {"slot": scheduled.slot_id, "version": forum.schedule_version},
        follow=True,
    )
    assert "This move is refused" in r.content.decode()
    assert "Buyer Co" in r.content.decode()


def test_agenda_page_ics_and_pdf(client, scheduled, people, forum):
    client.force_login(people["Rice Mill"][0])
    page = client.get(reverse("events:agenda", args=[forum.slug])).content.decode()
    assert "Next meeting" in page
    assert "Buyer Co" in page
    ics = client.get(reverse("events:agenda_ics", args=[forum.slug]))
    cal = Calendar.from_ical(ics.content)
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["UID"]) == f"{scheduled.uid}@corridor"
    pdf = client.get(reverse("events:agenda_pdf", args=[forum.slug]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_agenda_of_a_stranger_is_refused(client, scheduled, forum):
    client.force_login(factories.UserFactory(username="outsider"))
    assert client.get(reverse("events:agenda", args=[forum.slug])).status_code == 403
    assert client.get(reverse("events:agenda_ics", args=[forum.slug])).status_code == 403


def test_calendar_feed_by_token_only(client, scheduled, people):
    reg = people["Rice Mill"][1]
    reg.refresh_from_db()
    assert client.get(reverse("events:feed", args=["wrong-token"])).status_code == 404
    feed = client.get(reverse("events:feed", args=[reg.calendar_token]))
    assert feed.status_code == 200
    assert b"BEGIN:VEVENT" in feed.content


def test_checkin_by_search_and_by_qr_token(client, scheduled, people, forum, staff):
    client.force_login(staff)
    rice, buyer = people["Rice Mill"][1], people["Buyer Co"][1]
    page = client.get(reverse("events:checkin", args=[forum.slug]), {"q": "rice"}).content.decode()
    assert "Rice Mill" in page and "Buyer Co" not in page
    client.post(reverse("events:checkin", args=[forum.slug]), {"registration": rice.pk})
    buyer.refresh_from_db()
    client.post(
        reverse("events:checkin", args=[forum.slug]),
        {"token": f"corridor-checkin/{buyer.calendar_token}"},
    )
    assert sorted(
        forum.registrations.filter(attendance__isnull=False).values_list(
            "attendance__method", flat=True
        )
    ) == ["qr", "search"]


def test_participant_marks_held_from_the_agenda(client, scheduled, people, forum):
    client.force_login(people["Rice Mill"][0])
    client.post(reverse("events:meeting_mark", args=[scheduled.pk]), {"mark": "held"})
    assert services.meeting_outcome(scheduled) == "held"
    client.force_login(factories.UserFactory(username="notin"))
    r = client.post(
        reverse("events:meeting_mark", args=[scheduled.pk]),
        {"mark": "no_show"},
        HTTP_X_OFFLINE_QUEUE="1",
    )
    assert r.status_code == 400


def test_staff_badges_and_table_plan_render(client, scheduled, forum, staff):
    client.force_login(staff)
    for what in ("tables", "badges"):
        r = client.get(reverse("events:staff_pdf", args=[forum.slug, what]))
        assert r.content.startswith(b"%PDF")


def test_schedule_run_progress_fragment(client, forum, people, staff):
    meet(people["Rice Mill"], people["Buyer Co"])
    client.force_login(staff)
    client.post(
        reverse("events:schedule_run", args=[forum.slug]), {"kind": "solve", "time_limit": "1"}
    )
    run = forum.schedule_runs.get()
    frag = client.get(reverse("events:run_progress", args=[forum.slug, run.pk])).content.decode()
    assert "1 of 1 meetings placed" in frag


def test_myanmar_participant_sees_both_times(client, forum, people, staff):
    user, reg = make_participant(forum, "Yangon Tea", country="MM")
    reg.organisation.country.timezone = "Asia/Yangon"
    reg.organisation.country.save()
    meet((user, reg), people["Buyer Co"])
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    client.force_login(user)
    page = client.get(reverse("events:agenda", args=[forum.slug])).content.decode()
    meeting = reg.meetings.get()
    bangkok = meeting.slot.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Bangkok"))
    yangon = meeting.slot.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Yangon"))
    assert bangkok.strftime("%H:%M") in page
    assert f"{yangon:%H:%M} your time" in page
    assert bangkok.strftime("%H:%M") != yangon.strftime("%H:%M")
    # A participant in the event's own zone sees one time only.
    client.force_login(people["Buyer Co"][0])
    assert (
        "your time" not in client.get(reverse("events:agenda", args=[forum.slug])).content.decode()
    )


def test_staff_create_an_event_and_add_a_session_in_its_zone(client, staff):
    client.force_login(staff)
    r = client.post(
        reverse("events:create"),
        {
            "name": "Yangon forum",
            "mode": "in_person",
            "time_zone": "Asia/Yangon",
            "tables": 5,
            "request_expiry_days": 5,
        },
    )
    event = Event.objects.get(name="Yangon forum")
    assert r.status_code == 302 and event.status == "draft"
    client.post(
        reverse("events:session_add", args=[event.slug]),
        {
            "date": "2030-05-02",
            "starts": "09:00",
            "ends": "10:00",
            "slot_minutes": 25,
            "pause_minutes": 5,
        },
    )
    starts = list(event.slots.values_list("starts_at", flat=True))
    assert [s.strftime("%H:%M") for s in starts] == ["02:30", "03:00"]  # UTC of 09:00 +06:30


def test_only_staff_create_events(client, db):
    client.force_login(factories.UserFactory(username="plain"))
    assert client.get(reverse("events:create")).status_code == 403
    assert client.post(reverse("events:create"), {"name": "X"}).status_code == 403
    assert not Event.objects.exists()


def test_staff_add_a_meeting_and_reschedule_preview_names_it(
    client, scheduled, people, forum, staff
):
    client.force_login(staff)
    client.post(
        reverse("events:meeting_add", args=[forum.slug]),
        {
            "participant": ["silk house", "Pepper Farm", ""],
            "weight": "3",
            "version": forum.schedule_version,
        },
    )
    added = forum.meetings.get(weight=3)
    assert added.slot_id is None
    r = client.post(
        reverse("events:meeting_add", args=[forum.slug]),
        {"participant": ["Silk House", "Nobody Ltd"], "version": forum.schedule_version + 1},
        follow=True,
    )
    assert "“Nobody Ltd” is not exactly one approved participant" in r.content.decode()
    client.post(
        reverse("events:schedule_run", args=[forum.slug]), {"kind": "resolve", "time_limit": "1"}
    )
    page = client.get(reverse("events:schedule", args=[forum.slug])).content.decode()
    assert "Silk House – Pepper Farm" in page
    assert "Confirm these changes" in page


def test_participant_cancels_one_meeting_from_the_agenda(client, scheduled, people, forum):
    client.force_login(people["Buyer Co"][0])
    client.post(reverse("events:meeting_cancel", args=[scheduled.pk]))
    scheduled.refresh_from_db()
    assert scheduled.status == "cancelled"
    client.force_login(people["Pepper Farm"][0])
    r = client.post(reverse("events:meeting_cancel", args=[scheduled.pk]), follow=True)
    assert "You are not in this meeting." in r.content.decode()


def test_not_arrived_frees_the_rest_of_the_day(client, scheduled, people, forum, staff):
    client.force_login(staff)
    rice = people["Rice Mill"][1]
    client.post(
        reverse("events:checkin", args=[forum.slug]), {"registration": rice.pk, "no_show": "1"}
    )
    first_day = forum.slots.filter(session__day=forum.slots.first().session.day)
    assert set(rice.unavailable_slots.all()) == set(first_day)


def test_staff_exports_escape_formulas_and_refuse_participants(
    client, scheduled, people, forum, staff
):
    reg = people["Rice Mill"][1]
    reg.offers = '=HYPERLINK("http://evil")'
    reg.save()
    client.force_login(staff)
    r = client.get(reverse("events:staff_export", args=[forum.slug, "registrations", "csv"]))
    body = b"".join(r.streaming_content).decode()
    assert "Rice Mill" in body
    assert "'=HYPERLINK" in body
    r = client.get(reverse("events:staff_export", args=[forum.slug, "schedule", "xlsx"]))
    assert r.content[:2] == b"PK"
    client.force_login(people["Rice Mill"][0])
    url = reverse("events:staff_export", args=[forum.slug, "registrations", "csv"])
    assert client.get(url).status_code == 403


def test_control_characters_are_cleaned_from_request_messages(people, forum):
    (ua, ra), (_ub, rb) = people["Rice Mill"], people["Buyer Co"]
    req = services.request_send(
        from_registration=ra, to_registration=rb, by=ua, message="hello\x00\x1b world"
    )
    assert req.message == "hello world"


def test_marks_are_offered_only_once_a_meeting_has_started(client, scheduled, people, forum):
    client.force_login(people["Rice Mill"][0])
    page = client.get(reverse("events:agenda", args=[forum.slug])).content.decode()
    assert "They did not come" not in page  # the forum is in 2030
