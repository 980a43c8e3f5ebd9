"""Event journey on a phone-sized screen: a supplier and a buyer register, one asks for a
meeting and the other accepts; staff schedule the event; the supplier opens the agenda and
downloads the PDF and the .ics; staff check them in and mark the meeting held."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from icalendar import Calendar

from corridor.events import services
from corridor.events.models import Event, Meeting
from tests import factories
from tests.browser.conftest import login


def _seed():
    staff = factories.UserFactory(username="staffer", is_staff=True)
    event = services.event_create(by=staff, name="Mekong forum", venue="Phnom Penh", tables=4)
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(
        hour=2, minute=0, second=0, microsecond=0
    )
    services.session_add(
        event=event, by=staff, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    services.event_set_status(event=event, by=staff, status=Event.Status.REGISTRATION_OPEN)
    people = {}
    for username, name, kind in [
        ("supplier", "Kampot Pepper Co", "sme"),
        ("buyer", "Bangkok Spices", "buyer"),
    ]:
        user = factories.UserFactory(username=username)
        org = factories.OrganisationFactory(name=name, kind=kind)
        factories.MembershipFactory(user=user, organisation=org)
        people[username] = user
    return staff, event, people


def _register(page, event, org_name: str, offers: str) -> None:
    page.goto(f"/events/{event.slug}/")
    page.get_by_role("link", name="Register").click()
    page.select_option("#id_organisation", label=org_name)
    page.fill("#id_offers", offers)
    page.get_by_role("button", name="Register").click()
    page.locator(".msg.success", has_text="is registered: Approved").wait_for()


def test_event_journey_on_a_phone(page, live_server):
    staff, event, people = _seed()

    login(page, live_server, people["supplier"])
    _register(page, event, "Kampot Pepper Co", "Kampot pepper, black and red")
    page.context.clear_cookies()
    login(page, live_server, people["buyer"])
    _register(page, event, "Bangkok Spices", "We import spices")

    # The buyer asks the supplier for a meeting.
    page.get_by_role("link", name="Participants").click()
    card = page.locator(".participant", has_text="Kampot Pepper Co").last
    card.get_by_text("Ask for a meeting").click()
    card.locator("textarea").fill("Red Kampot pepper, 2 t a month")
    card.get_by_role("button", name="Send request").click()
    page.get_by_text("Request sent to Kampot Pepper Co.").wait_for()

    # The supplier accepts with their own priority.
    page.context.clear_cookies()
    login(page, live_server, people["supplier"])
    page.goto(f"/events/{event.slug}/requests/")
    page.get_by_text("Red Kampot pepper, 2 t a month").wait_for()
    page.select_option("select[name=priority]", "3")
    page.get_by_role("button", name="Accept").click()
    page.get_by_text("Accepted: the meeting will be scheduled.").wait_for()

    # Staff schedule the event and publish it.
    page.context.clear_cookies()
    login(page, live_server, staff)
    page.goto(f"/events/{event.slug}/manage/schedule/")
    page.fill("input[name=time_limit]", "1")
    page.get_by_role("button", name="Compute the schedule").click()
    page.get_by_text("1 of 1 meetings placed").wait_for()
    page.get_by_role("button", name="Publish and send agendas").click()
    page.get_by_text("Published").first.wait_for()

    # The supplier opens the agenda and downloads the PDF and the calendar file.
    page.context.clear_cookies()
    login(page, live_server, people["supplier"])
    page.goto(f"/events/{event.slug}/agenda/")
    next_card = page.locator(".next")
    next_card.get_by_text("Bangkok Spices").wait_for()
    assert next_card.get_by_text("Table").is_visible()
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF").click()
    assert Path(pdf.value.path()).read_bytes()[:4] == b"%PDF"
    with page.expect_download() as ics:
        page.get_by_role("link", name="Calendar file (.ics)").click()
    cal = Calendar.from_ical(Path(ics.value.path()).read_bytes())
    meeting = Meeting.objects.get()
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [f"{meeting.uid}@corridor"]
    assert page.locator("img[alt='QR code for check-in']").is_visible()

    # Staff check both in by name and mark the meeting held.
    page.context.clear_cookies()
    login(page, live_server, staff)
    for name in ("Kampot", "Bangkok"):
        page.goto(f"/events/{event.slug}/manage/checkin/")
        page.fill("input[name=q]", name)
        page.get_by_role("button", name="Search").click()
        page.get_by_role("button", name="Check in").click()
        page.get_by_text("is checked in").wait_for()
    assert event.registrations.filter(attendance__isnull=False).count() == 2
    page.goto(f"/events/{event.slug}/manage/schedule/")
    page.locator(f"#sm{meeting.pk} summary").click()
    page.locator(f"#sm{meeting.pk}").get_by_role("button", name="Kampot Pepper Co: held").click()
    page.get_by_text("Marked.").wait_for()
    assert services.meeting_outcome(meeting) == "held"
