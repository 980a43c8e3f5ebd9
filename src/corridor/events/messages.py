"""Every message the events app sends, in one place.

Each function names a notification kind and a deduplication key and hands the message to
`corridor.notifications.notify` (queued, in the recipient's language, deduplicated, opt-out per
kind), or to `notify_address` for a representative without an account. Attachments (the
cancellation's calendar file) travel with the queued message.
"""

from __future__ import annotations

import contextlib
import threading

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Membership
from corridor.accounts.services import site_url
from corridor.events.models import Meeting, MeetingRequest, Registration

KINDS = {
    "events.registration": (_("Event registration decisions"), True),
    "events.request_received": (_("Meeting requests received"), True),
    "events.request_answered": (_("Answers to my meeting requests"), True),
    "events.request_expired": (_("Meeting requests that expired"), True),
    "events.meeting_waiting": (_("Accepted meetings waiting for a slot"), True),
    "events.agenda": (_("My agenda when the schedule is published"), True),
    "events.meeting_moved": (_("Changes to my meetings"), True),
    "events.meeting_cancelled": (_("Cancelled meetings"), True),
    "events.feedback": (_("Questions after a meeting"), True),
}


_muted = threading.local()


@contextlib.contextmanager
def muted():
    """Send nothing inside this block (the demo loader builds a forum without mailing anyone)."""
    _muted.on = True
    try:
        yield
    finally:
        _muted.on = False


def register_kinds() -> None:
    """Declare the kinds to the notifications app (called from AppConfig.ready)."""
    from corridor.notifications import kinds

    for kind, (label, default) in KINDS.items():
        kinds.register(kind, label=label, email_default=default)


def _recipients(registration: Registration):
    """Users acting for the organisation; (None, email) for representatives without an account."""
    users = [
        m.user
        for m in Membership.objects.filter(
            organisation_id=registration.organisation_id, user__is_active=True
        ).select_related("user")
    ]
    out = [(u, u.email) for u in users]
    seen = {u.email for u in users}
    for rep in registration.representatives.all():
        if rep.user_id is None and rep.email and rep.email not in seen:
            out.append((None, rep.email))
            seen.add(rep.email)
    return out


def _send(
    *,
    registration: Registration,
    kind: str,
    key: str,
    subject,
    template: str,
    context: dict,
    url: str,
    attachments: list[tuple[str, bytes, str]] | None = None,
    subject_args: dict | None = None,
) -> None:
    # The subject stays lazy and its placeholders are filled when it is rendered, so that each
    # recipient reads it in their own language (the context's objects win: str(event) is its name).
    if getattr(_muted, "on", False):
        return
    from corridor.notifications.services import notify, notify_address

    for user, email in _recipients(registration):
        ctx = {
            **(subject_args or {}),
            **context,
            "registration": registration,
            "url": url,
            **_times(context, user, registration),
        }
        if user is not None:
            notify(
                user=user,
                kind=kind,
                key=f"{key}:u{user.pk}",
                subject=subject,
                body_template=template,
                context=ctx,
                url=url,
                attachments=attachments,
            )
        else:
            notify_address(
                email=email,
                language="",
                kind=kind,
                key=f"{key}:e{email}",
                subject=subject,
                body_template=template,
                context=ctx,
                url=url,
                attachments=attachments,
            )


def _times(context: dict, user, registration: Registration) -> dict:
    """The meeting's time in the event's zone, and in the recipient's when it differs."""
    from corridor.events import selectors

    meeting = context.get("meeting")
    if meeting is None or meeting.slot_id is None:
        return {}
    event_zone = selectors.event_zone(meeting.event)
    local, own = selectors.both_times(
        meeting.slot.starts_at, event_zone, selectors.user_zone(user, registration)
    )
    return {
        "when_event": f"{local:%Y-%m-%d %H:%M} ({meeting.event.time_zone})",
        "when_own": f"{own:%H:%M} ({own.tzinfo})" if own else "",
    }


def _event_url(registration: Registration, name: str = "events:agenda") -> str:
    return site_url() + reverse(name, args=[registration.event.slug])


def registration_decided(registration: Registration) -> None:
    _send(
        registration=registration,
        kind="events.registration",
        key=f"events.registration:{registration.pk}:{registration.status}",
        subject=_("Your registration for %(event)s"),
        subject_args={"event": registration.event.name},
        template="events/email/registration.txt",
        context={"event": registration.event},
        url=site_url() + reverse("events:detail", args=[registration.event.slug]),
    )


def request_received(request: MeetingRequest, registration: Registration) -> None:
    _send(
        registration=registration,
        kind="events.request_received",
        key=f"events.request:{request.pk}:received:{registration.pk}",
        subject=_("%(org)s asks to meet you at %(event)s"),
        subject_args={
            "org": request.from_registration.organisation.name,
            "event": request.event.name,
        },
        template="events/email/request_received.txt",
        context={"request": request, "event": request.event},
        url=_event_url(registration, "events:requests"),
    )


def request_answered(request: MeetingRequest) -> None:
    _send(
        registration=request.from_registration,
        kind="events.request_answered",
        key=f"events.request:{request.pk}:{request.status}",
        subject=_("Your meeting request to %(org)s: %(status)s"),
        subject_args={
            "org": request.to_registration.organisation.name,
            "status": request.get_status_display(),
        },
        template="events/email/request_answered.txt",
        context={"request": request, "event": request.event},
        url=_event_url(request.from_registration, "events:requests"),
    )


def request_expired(request: MeetingRequest) -> None:
    """Both sides are told, so that nobody keeps a slot for a request that will not come."""
    for registration in (request.from_registration, request.to_registration):
        _send(
            registration=registration,
            kind="events.request_expired",
            key=f"events.request:{request.pk}:expired:{registration.pk}",
            subject=_("A meeting request expired: %(a)s and %(b)s"),
            subject_args={
                "a": request.from_registration.organisation.name,
                "b": request.to_registration.organisation.name,
            },
            template="events/email/request_expired.txt",
            context={"request": request, "event": request.event},
            url=_event_url(registration, "events:requests"),
        )


def meeting_waiting(meeting: Meeting) -> None:
    """An accepted meeting found no free slot in the published schedule."""
    for seat in meeting.seats.all():
        _send(
            registration=seat.registration,
            kind="events.meeting_waiting",
            key=f"events.meeting:{meeting.pk}:waiting:{meeting.sequence}",
            subject=_("Your meeting at %(event)s is waiting for a free slot"),
            subject_args={"event": meeting.event.name},
            template="events/email/meeting_waiting.txt",
            context={"meeting": meeting, "event": meeting.event},
            url=_event_url(seat.registration),
        )


def agenda_published(registration: Registration) -> None:
    _send(
        registration=registration,
        kind="events.agenda",
        key=f"events.agenda:{registration.pk}:{registration.event.schedule_version}",
        subject=_("Your agenda for %(event)s"),
        subject_args={"event": registration.event.name},
        template="events/email/agenda.txt",
        context={"event": registration.event},
        url=_event_url(registration),
    )


def meeting_changed(registration: Registration, meeting: Meeting) -> None:
    _send(
        registration=registration,
        kind="events.meeting_moved",
        key=f"events.meeting:{meeting.pk}:seq{meeting.sequence}:r{registration.pk}",
        subject=_("A meeting at %(event)s has changed"),
        subject_args={"event": meeting.event.name},
        template="events/email/meeting_changed.txt",
        context={"meeting": meeting, "event": meeting.event},
        url=_event_url(registration),
    )


def meeting_cancelled(registration: Registration, meeting: Meeting, ics: bytes) -> None:
    """The one message that carries METHOD:CANCEL, so calendars remove the meeting."""
    _send(
        registration=registration,
        kind="events.meeting_cancelled",
        key=f"events.meeting:{meeting.pk}:cancelled:r{registration.pk}",
        subject=_("A meeting at %(event)s was cancelled"),
        subject_args={"event": meeting.event.name},
        template="events/email/meeting_cancelled.txt",
        context={"meeting": meeting, "event": meeting.event},
        url=_event_url(registration),
        attachments=[("cancel.ics", ics, "text/calendar; method=CANCEL")],
    )
