"""The agenda keeps working without the venue's Wi-Fi: once opened, the page and its QR code
come from the service worker, and a mark made offline is sent when the connection returns."""

from __future__ import annotations

import datetime as dt

from corridor.events import services
from corridor.events.models import Event, Meeting, MeetingOutcome
from tests import factories
from tests.browser.conftest import login, wait_for


def _scheduled_event():
    staff = factories.UserFactory(username="offstaff", is_staff=True)
    event = services.event_create(by=staff, name="Offline forum", tables=2)
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    services.session_add(
        event=event, by=staff, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )
    services.event_set_status(event=event, by=staff, status=Event.Status.REGISTRATION_OPEN)
    regs = []
    users = []
    for name in ("Mekong Rattan", "Hanoi Buyer"):
        user = factories.UserFactory(username=name.split()[0].lower())
        org = factories.OrganisationFactory(name=name)
        factories.MembershipFactory(user=user, organisation=org)
        regs.append(services.registration_create(event=event, organisation=org, by=staff))
        users.append(user)
    meeting = services.meeting_add(event=event, by=staff, registrations=regs)
    event.refresh_from_db()
    services.meeting_move(
        meeting=meeting, by=staff, slot=event.slots.first(), version=event.schedule_version
    )
    return event, users[0], meeting


def test_agenda_offline_and_queued_mark(page, live_server):
    event, supplier, meeting = _scheduled_event()
    login(page, live_server, supplier)
    page.goto(f"/events/{event.slug}/agenda/")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, which keeps a copy
    page.locator("img[alt='QR code for check-in']").wait_for()
    wait_for(
        lambda: page.evaluate(
            "caches.open('corridor-agenda-v1').then(c => c.keys()).then(k => k.length >= 2)"
        ),
        30,
    )

    page.context.set_offline(True)
    page.reload()
    page.get_by_text("Hanoi Buyer").first.wait_for()
    wait_for(
        lambda: page.evaluate(
            "document.querySelector(\"img[alt='QR code for check-in']\").naturalWidth > 0"
        ),
        30,
    )
    page.locator(f"#m{meeting.pk}").get_by_role("button", name="Held").click()
    page.get_by_text("Saved; it will be sent when you are online.").wait_for()
    assert not MeetingOutcome.objects.filter(meeting=meeting).exists()

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    # The queue is emptied only after the server answered: wait for that, not a fixed time (a
    # busy machine took longer than five seconds).
    wait_for(lambda: page.evaluate("localStorage.getItem('corridor-offline-marks') === '[]'"), 30)
    assert services.meeting_outcome(Meeting.objects.get(pk=meeting.pk)) == "held"
    assert page.evaluate("localStorage.getItem('corridor-offline-marks')") == "[]"
