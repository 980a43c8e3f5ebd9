"""Event life cycle: set-up, registration, meeting requests, meetings, scheduling, check-in, marks.

Every function that changes the schedule runs in one transaction that locks the event row and
compares the schedule version the caller saw (optimistic locking): a second concurrent change is
refused with `StaleSchedule`, never applied over the first. The database itself refuses a
participant or a table in two meetings of one slot (see models.MeetingSeat).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from corridor.accounts import permissions as account_permissions
from corridor.connections.models import Connection
from corridor.core.hygiene import clean_text
from corridor.directory.models import HSCode, Organisation
from corridor.events import messages
from corridor.events.models import (
    Attendance,
    Day,
    Event,
    Meeting,
    MeetingOutcome,
    MeetingRequest,
    MeetingSeat,
    Registration,
    Representative,
    RequestInvitee,
    ScheduleRun,
    Session,
    Slot,
    Table,
)
from corridor.events.permissions import (
    acts_for_registration,
    can_change_registration,
    can_manage_event,
)


class EventError(ValidationError):
    """An event action refused, with a message to show to the user."""


class StaleSchedule(EventError):
    """The schedule changed since the caller loaded it; reload and try again."""


def _require_manager(user, event: Event) -> None:
    if not can_manage_event(user, event):
        raise EventError(_("Only the organisers of this event can do this."))


def _lock_event(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _check_version(event: Event, version: int | None) -> None:
    if version is not None and version != event.schedule_version:
        raise StaleSchedule(
            _(
                "The schedule was changed by someone else in the meantime (version %(now)d, you "
                "saw %(saw)d). Reload the page and try again."
            )
            % {"now": event.schedule_version, "saw": version}
        )


def _bump(event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(schedule_version=event.schedule_version + 1)
    event.schedule_version += 1


# --- events -------------------------------------------------------------------------------------


def _unique_event_slug(name: str) -> str:
    base = slugify(name)[:200] or "event"
    slug, n = base, 1
    while Event.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


EVENT_FIELDS = {
    "name",
    "description",
    "venue",
    "address",
    "mode",
    "time_zone",
    "registration_deadline",
    "capacity",
    "requires_approval",
    "requests_close_at",
    "request_expiry_days",
    "tables",
}


def _check_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise EventError(_("Unknown time zone: %(zone)s") % {"zone": name}) from exc


@transaction.atomic
def event_create(*, by, name: str, **fields: Any) -> Event:
    """Programme staff create an event (in draft)."""
    if not account_permissions.is_staff(by):
        raise EventError(_("Only programme staff can create events."))
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise EventError(f"unknown fields: {sorted(unknown)}")
    if not name.strip():
        raise EventError(_("An event needs a name."))
    _check_zone(fields.get("time_zone", "Asia/Bangkok"))
    event = Event(name=name.strip(), slug=_unique_event_slug(name), created_by=by, **fields)
    event.full_clean(exclude=["slug"])
    event.save()
    return event


@transaction.atomic
def event_update(*, event: Event, by, **fields: Any) -> Event:
    _require_manager(by, event)
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise EventError(f"unknown fields: {sorted(unknown)}")
    if "time_zone" in fields:
        _check_zone(fields["time_zone"])
    for key, value in fields.items():
        setattr(event, key, value)
    event.full_clean()
    event.save()
    return event


ALLOWED_STATUS = {
    Event.Status.DRAFT: {Event.Status.PUBLISHED, Event.Status.REGISTRATION_OPEN},
    Event.Status.PUBLISHED: {Event.Status.DRAFT, Event.Status.REGISTRATION_OPEN},
    Event.Status.REGISTRATION_OPEN: {Event.Status.PUBLISHED, Event.Status.REGISTRATION_CLOSED},
    Event.Status.REGISTRATION_CLOSED: {Event.Status.REGISTRATION_OPEN, Event.Status.RUNNING},
    Event.Status.RUNNING: {Event.Status.FINISHED, Event.Status.REGISTRATION_CLOSED},
    Event.Status.FINISHED: {Event.Status.RUNNING},
}


@transaction.atomic
def event_set_status(*, event: Event, by, status: str) -> Event:
    _require_manager(by, event)
    original, event = event, _lock_event(event)
    if status not in ALLOWED_STATUS.get(event.status, set()):
        raise EventError(
            _("An event cannot go from “%(a)s” to “%(b)s”.")
            % {"a": event.get_status_display(), "b": Event.Status(status).label}
        )
    if (
        status == Event.Status.REGISTRATION_OPEN
        and event.registration_deadline
        and event.registration_deadline <= timezone.now()
    ):
        raise EventError(_("The registration deadline has passed: move it first."))
    event.status = original.status = status
    event.save(update_fields=["status", "updated_at"])
    return event


def registration_is_open(event: Event, now: dt.datetime | None = None) -> bool:
    """The deadline governs: after it, registration is closed whatever the stored status says."""
    now = now or timezone.now()
    if event.status != Event.Status.REGISTRATION_OPEN:
        return False
    return event.registration_deadline is None or now < event.registration_deadline


def events_close_registration(*, now: dt.datetime | None = None) -> int:
    """Move events whose deadline passed to "registration closed" (periodic task)."""
    now = now or timezone.now()
    return Event.objects.filter(
        status=Event.Status.REGISTRATION_OPEN, registration_deadline__lte=now
    ).update(status=Event.Status.REGISTRATION_CLOSED)


@transaction.atomic
def session_add(
    *,
    event: Event,
    by,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    slot_minutes: int = 20,
    pause_minutes: int = 5,
    name: str = "",
) -> Session:
    """A session and its slots; times are aware datetimes (stored in UTC)."""
    _require_manager(by, event)
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise EventError(_("Session times need a time zone."))
    if ends_at <= starts_at:
        raise EventError(_("A session must end after it starts."))
    if slot_minutes < 5:
        raise EventError(_("A slot lasts at least 5 minutes."))
    local_date = starts_at.astimezone(zoneinfo.ZoneInfo(event.time_zone)).date()
    day, _created = Day.objects.get_or_create(event=event, date=local_date)
    overlapping = Session.objects.filter(
        day__event=event, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists()
    if overlapping:
        raise EventError(_("This session overlaps another session of the event."))
    session = Session.objects.create(
        day=day,
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        slot_minutes=slot_minutes,
        pause_minutes=pause_minutes,
    )
    length = dt.timedelta(minutes=slot_minutes)
    step = length + dt.timedelta(minutes=pause_minutes)
    start = starts_at
    slots = []
    while start + length <= ends_at:
        utc = start.astimezone(dt.UTC)
        slots.append(
            Slot(
                event=event,
                session=session,
                starts_at=start,
                ends_at=start + length,
                key=utc.strftime("S%Y%m%dT%H%M"),
            )
        )
        start += step
    if not slots:
        raise EventError(_("The session is too short for one slot."))
    Slot.objects.bulk_create(slots)
    return session


@transaction.atomic
def table_fix_host(*, event: Event, by, number: int, registration: Registration | None) -> Table:
    """Fix a host (a buyer who stays put) to table `number`, or free the table (None)."""
    _require_manager(by, event)
    if not 1 <= number <= event.tables:
        raise EventError(
            _("Table %(n)d does not exist (tables 1 to %(max)d).")
            % {"n": number, "max": event.tables}
        )
    if registration is not None and registration.event_id != event.pk:
        raise EventError(_("This organisation is not registered for this event."))
    if registration is not None:
        Table.objects.filter(event=event, host=registration).exclude(number=number).update(
            host=None
        )
    table, _created = Table.objects.update_or_create(
        event=event, number=number, defaults={"host": registration}
    )
    return table


# --- registration -------------------------------------------------------------------------------


def _counted(event: Event) -> int:
    return event.registrations.filter(
        status__in=[Registration.Status.APPROVED, Registration.Status.PENDING]
    ).count()


def organisation_create_for_event(*, by, name: str, kind: str, country) -> Organisation:
    """Create an organisation in the registration flow (the signed-in person owns it)."""
    from corridor.accounts.services import organisation_register

    return organisation_register(user=by, name=name, kind=kind, country=country, publish=False)


@transaction.atomic
def registration_create(
    *,
    event: Event,
    organisation: Organisation,
    by,
    offers: str = "",
    looks_for: str = "",
    offer_hs_codes: Iterable[str] = (),
    wanted_hs_codes: Iterable[str] = (),
    max_meetings: int | None = None,
    unavailable_slots: Iterable[Slot] = (),
    visible_to_participants: bool = True,
    representatives: Sequence[dict[str, Any]] = (),
) -> Registration:
    """Register an organisation. Staff may register anyone, any time; others only their own
    organisation while registration is open. Full events put newcomers on the waiting list."""
    manager = can_manage_event(by, event)
    if not manager and not account_permissions.can_act_for_org(by, organisation):
        raise EventError(_("You do not act for %(org)s.") % {"org": organisation.name})
    event = _lock_event(event)  # serialises the capacity count
    if not manager and not registration_is_open(event):
        if event.registration_deadline and timezone.now() >= event.registration_deadline:
            deadline = timezone.localtime(
                event.registration_deadline, zoneinfo.ZoneInfo(event.time_zone)
            )
            raise EventError(
                _("Registration for %(event)s closed on %(date)s. Please contact the organisers.")
                % {"event": event.name, "date": deadline.strftime("%Y-%m-%d %H:%M")}
            )
        raise EventError(_("Registration for %(event)s is not open.") % {"event": event.name})
    if organisation.merged_into_id:
        raise EventError(_("This profile was merged into another one."))
    if (
        Registration.objects.filter(event=event, organisation=organisation)
        .exclude(status=Registration.Status.CANCELLED)
        .exists()
    ):
        raise EventError(_("%(org)s is already registered.") % {"org": organisation.name})
    if max_meetings is not None and max_meetings < 0:
        raise EventError(_("The number of meetings cannot be negative."))
    if event.capacity is not None and _counted(event) >= event.capacity:
        status = Registration.Status.WAITLISTED
    elif event.requires_approval and not manager:
        status = Registration.Status.PENDING
    else:
        status = Registration.Status.APPROVED
    registration = Registration.objects.create(
        event=event,
        organisation=organisation,
        status=status,
        offers=clean_text(offers).strip()[:2000],
        looks_for=clean_text(looks_for).strip()[:2000],
        max_meetings=max_meetings,
        visible_to_participants=visible_to_participants or organisation.is_published,
        registered_by=by,
    )
    _set_hs(registration, offer_hs_codes, wanted_hs_codes)
    slots = list(unavailable_slots)
    if any(s.event_id != event.pk for s in slots):
        raise EventError(_("An unavailable slot belongs to another event."))
    registration.unavailable_slots.set(slots)
    for rep in representatives:
        representative_add(registration=registration, by=by, **rep)
    if not representatives and by.is_authenticated and not manager:
        Representative.objects.create(
            registration=registration, user=by, name=str(by), email=by.email
        )
    if status == Registration.Status.APPROVED:
        _suggestions_outdated(event)
    return registration


def _set_hs(registration: Registration, offered: Iterable[str], wanted: Iterable[str]) -> None:
    from corridor.directory.reference import normalise_hs_code

    for field, codes in (("offer_hs_codes", offered), ("wanted_hs_codes", wanted)):
        clean = []
        for raw in codes:
            code = normalise_hs_code(raw) if raw else None
            if not code:
                raise EventError(_("“%(code)s” is not an HS code.") % {"code": raw})
            clean.append(code)
        found = list(HSCode.objects.filter(code__in=clean))
        missing = set(clean) - {h.code for h in found}
        if missing:
            raise EventError(
                _("Unknown HS code(s): %(codes)s") % {"codes": ", ".join(sorted(missing))}
            )
        getattr(registration, field).set(found)


def representative_add(
    *,
    registration: Registration,
    by,
    name: str,
    email: str = "",
    languages: str = "",
    needs_interpreter: bool = False,
    user=None,
) -> Representative:
    if not can_change_registration(by, registration):
        raise EventError(_("You cannot change this registration."))
    if not name.strip():
        raise EventError(_("A representative needs a name."))
    return Representative.objects.create(
        registration=registration,
        user=user,
        name=clean_text(name, multiline=False).strip()[:200],
        email=email.strip(),
        languages=clean_text(languages, multiline=False).strip()[:100],
        needs_interpreter=needs_interpreter,
    )


@transaction.atomic
def registration_approve(*, registration: Registration, by) -> Registration:
    _require_manager(by, registration.event)
    event = _lock_event(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.APPROVED:
        return registration
    if registration.status == Registration.Status.CANCELLED:
        raise EventError(_("This registration was cancelled."))
    if registration.status == Registration.Status.WAITLISTED and event.capacity is not None:
        if _counted(event) >= event.capacity:
            raise EventError(_("The event is full: raise its capacity or free a place first."))
    registration.status = Registration.Status.APPROVED
    registration.decided_at = timezone.now()
    registration.decided_by = by
    registration.save(update_fields=["status", "decided_at", "decided_by"])
    transaction.on_commit(lambda: messages.registration_decided(registration))
    _suggestions_outdated(event)
    return registration


@transaction.atomic
def registration_reject(*, registration: Registration, by) -> Registration:
    _require_manager(by, registration.event)
    return _cancel_registration(registration, by, notify=True)


@transaction.atomic
def registration_cancel(*, registration: Registration, by) -> Registration:
    """The participant (or staff) cancels: its meetings and pending requests are freed and the
    first organisation on the waiting list moves up."""
    if not can_change_registration(by, registration):
        raise EventError(_("You cannot change this registration."))
    return _cancel_registration(registration, by, notify=False)


def _cancel_registration(registration: Registration, by, *, notify: bool) -> Registration:
    event = _lock_event(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        return registration
    was_counted = registration.status in (
        Registration.Status.APPROVED,
        Registration.Status.PENDING,
    )
    registration.status = Registration.Status.CANCELLED
    registration.decided_at = timezone.now()
    registration.decided_by = by
    registration.save(update_fields=["status", "decided_at", "decided_by"])
    MeetingRequest.objects.filter(
        Q(from_registration=registration) | Q(to_registration=registration),
        status=MeetingRequest.Status.PENDING,
    ).update(status=MeetingRequest.Status.CANCELLED, responded_at=timezone.now())
    meetings = Meeting.objects.filter(
        seats__registration=registration, status=Meeting.Status.SCHEDULED
    ).distinct()
    for meeting in meetings:
        _meeting_cancel(meeting, event, by)
    if meetings:
        _bump(event)
    if was_counted and event.capacity is not None:
        nxt = (
            event.registrations.filter(status=Registration.Status.WAITLISTED)
            .order_by("created_at")
            .first()
        )
        if nxt is not None:
            nxt.status = (
                Registration.Status.PENDING
                if event.requires_approval
                else Registration.Status.APPROVED
            )
            nxt.save(update_fields=["status"])
            transaction.on_commit(lambda: messages.registration_decided(nxt))
    if notify:
        transaction.on_commit(lambda: messages.registration_decided(registration))
    _suggestions_outdated(event)
    return registration


def _suggestions_outdated(event: Event) -> None:
    """Participants changed: queue a build of the event's suggestion indexes once committed."""
    from corridor.events import suggest

    transaction.on_commit(lambda: suggest.index_outdated(event.pk))


@transaction.atomic
def registration_set_unavailable(
    *, registration: Registration, by, slots: Iterable[Slot]
) -> Registration:
    if not can_change_registration(by, registration):
        raise EventError(_("You cannot change this registration."))
    slots = list(slots)
    if any(s.event_id != registration.event_id for s in slots):
        raise EventError(_("An unavailable slot belongs to another event."))
    registration.unavailable_slots.set(slots)
    return registration


# --- meeting requests ---------------------------------------------------------------------------


def requests_are_open(event: Event, now: dt.datetime | None = None) -> bool:
    """Until the time staff set, by default until scheduling starts."""
    now = now or timezone.now()
    if event.status in (Event.Status.DRAFT, Event.Status.FINISHED):
        return False
    if event.requests_close_at is not None:
        return now < event.requests_close_at
    return event.scheduling_started_at is None


def is_visible_to_participants(registration: Registration) -> bool:
    return registration.organisation.is_published or registration.visible_to_participants


@transaction.atomic
def request_send(
    *,
    from_registration: Registration,
    to_registration: Registration,
    by,
    message: str = "",
    priority: int = 2,
    invitees: Sequence[Registration] = (),
) -> MeetingRequest:
    event = Event.objects.get(pk=from_registration.event_id)  # fresh: scheduling may have started
    if not acts_for_registration(by, from_registration) and not can_manage_event(by, event):
        raise EventError(_("You do not act for %(org)s.") % {"org": from_registration.organisation})
    if not requests_are_open(event):
        raise EventError(_("Meeting requests for this event are closed."))
    if priority not in (1, 2, 3):
        raise EventError(_("The priority is 1, 2 or 3."))
    everyone = [to_registration, *invitees]
    if from_registration.status != Registration.Status.APPROVED:
        raise EventError(_("Your registration is not approved yet."))
    for reg in everyone:
        if reg.event_id != event.pk or reg.status != Registration.Status.APPROVED:
            raise EventError(
                _("%(org)s is not a participant of this event.") % {"org": reg.organisation}
            )
        if reg.pk == from_registration.pk:
            raise EventError(_("You cannot ask yourselves for a meeting."))
        if not is_visible_to_participants(reg):
            raise EventError(_("This participant is not listed."))
    if len({r.pk for r in everyone}) != len(everyone):
        raise EventError(_("An organisation is invited twice."))
    Registration.objects.select_for_update().filter(pk=from_registration.pk).first()
    live = MeetingRequest.objects.filter(
        Q(from_registration=from_registration, to_registration=to_registration)
        | Q(from_registration=to_registration, to_registration=from_registration),
        status__in=[MeetingRequest.Status.PENDING, MeetingRequest.Status.ACCEPTED],
    ).first()
    if live is not None:
        if live.status == MeetingRequest.Status.ACCEPTED:
            raise EventError(
                _("You already have a meeting with %(org)s.")
                % {"org": to_registration.organisation}
            )
        if live.from_registration_id == from_registration.pk:
            raise EventError(
                _("Your request to %(org)s is still waiting for an answer.")
                % {"org": to_registration.organisation}
            )
        raise EventError(
            _("%(org)s has already asked to meet you: answer their request instead.")
            % {"org": to_registration.organisation}
        )
    try:
        with transaction.atomic():
            request = MeetingRequest.objects.create(
                event=event,
                from_registration=from_registration,
                to_registration=to_registration,
                message=clean_text(message).strip()[:1000],
                from_priority=priority,
                expires_at=timezone.now() + dt.timedelta(days=event.request_expiry_days),
                created_by=by,
            )
    except IntegrityError as exc:
        raise EventError(_("Your request is still waiting for an answer.")) from exc
    for reg in invitees:
        RequestInvitee.objects.create(request=request, registration=reg)
    for reg in everyone:
        transaction.on_commit(lambda reg=reg: messages.request_received(request, reg))
    return request


def _lock_request(request: MeetingRequest) -> MeetingRequest:
    return (
        MeetingRequest.objects.select_for_update()
        .select_related("event", "from_registration__organisation", "to_registration__organisation")
        .get(pk=request.pk)
    )


def _responder(by, request: MeetingRequest, registration: Registration | None) -> Registration:
    """Which invited registration `by` answers for (the main recipient unless named)."""
    if registration is None:
        registration = request.to_registration
    invited = {request.to_registration_id} | set(
        request.invitees.values_list("registration_id", flat=True)
    )
    if registration.pk not in invited:
        raise EventError(_("This organisation is not invited to this meeting."))
    if not acts_for_registration(by, registration) and not can_manage_event(by, request.event):
        raise EventError(
            _("Only %(org)s can answer this request.") % {"org": registration.organisation}
        )
    return registration


@transaction.atomic
def request_accept(
    *,
    request: MeetingRequest,
    by,
    priority: int = 2,
    registration: Registration | None = None,
) -> MeetingRequest:
    """Accept with one's own priority. When every invitee has answered, the meeting exists
    (weight = requester's priority + recipient's) and the organisations are connected."""
    request = _lock_request(request)
    responder = _responder(by, request, registration)
    if request.status != MeetingRequest.Status.PENDING:
        raise EventError(_("This request is no longer waiting for an answer."))
    if request.expires_at <= timezone.now():
        raise EventError(_("This request has expired."))
    if priority not in (1, 2, 3):
        raise EventError(_("The priority is 1, 2 or 3."))
    now = timezone.now()
    if responder.pk == request.to_registration_id:
        if request.to_priority is not None:
            raise EventError(_("You have already accepted this request."))
        request.to_priority = priority
        request.responded_by = by
        request.responded_at = now
        request.save(update_fields=["to_priority", "responded_by", "responded_at"])
    else:
        invitee = request.invitees.select_for_update().get(registration=responder)
        if invitee.status != RequestInvitee.Status.PENDING:
            raise EventError(_("You have already answered this request."))
        invitee.status = RequestInvitee.Status.ACCEPTED
        invitee.priority = priority
        invitee.responded_at = now
        invitee.save(update_fields=["status", "priority", "responded_at"])
    _maybe_complete(request, by)
    return request


@transaction.atomic
def request_decline(
    *, request: MeetingRequest, by, registration: Registration | None = None
) -> MeetingRequest:
    request = _lock_request(request)
    responder = _responder(by, request, registration)
    if request.status != MeetingRequest.Status.PENDING:
        raise EventError(_("This request is no longer waiting for an answer."))
    now = timezone.now()
    if responder.pk == request.to_registration_id:
        request.status = MeetingRequest.Status.DECLINED
        request.responded_by = by
        request.responded_at = now
        request.save(update_fields=["status", "responded_by", "responded_at"])
        transaction.on_commit(lambda: messages.request_answered(request))
        return request
    request.invitees.filter(registration=responder).update(
        status=RequestInvitee.Status.DECLINED, responded_at=now
    )
    _maybe_complete(request, by)
    return request


def _maybe_complete(request: MeetingRequest, by) -> None:
    if request.to_priority is None:
        return
    if request.invitees.filter(status=RequestInvitee.Status.PENDING).exists():
        return
    request.status = MeetingRequest.Status.ACCEPTED
    request.save(update_fields=["status"])
    event = _lock_event(request.event)
    people = [request.from_registration, request.to_registration] + [
        inv.registration
        for inv in request.invitees.filter(status=RequestInvitee.Status.ACCEPTED).select_related(
            "registration__organisation"
        )
    ]
    meeting = Meeting.objects.create(
        event=event,
        request=request,
        weight=request.from_priority + request.to_priority,
        created_by=by,
    )
    MeetingSeat.objects.bulk_create(
        [MeetingSeat(meeting=meeting, registration=reg) for reg in people]
    )
    _bump(event)
    for other in people[1:]:
        _connect(people[0].organisation, other.organisation, by=by, event=event)
    transaction.on_commit(lambda: messages.request_answered(request))
    if event.schedule_published_at is not None:
        from corridor.events import tasks

        transaction.on_commit(lambda: tasks.place_meeting(meeting.pk))


def _connect(a: Organisation, b: Organisation, *, by, event: Event) -> Connection:
    """Accepting a meeting accepts a connection (what reveals contacts), sourced to the event."""
    live = (
        Connection.objects.select_for_update()
        .filter(
            Q(from_org=a, to_org=b) | Q(from_org=b, to_org=a),
            status__in=[Connection.Status.REQUESTED, Connection.Status.ACCEPTED],
        )
        .first()
    )
    if live is not None:
        if live.status == Connection.Status.REQUESTED:
            live.status = Connection.Status.ACCEPTED
            live.responded_by = by
            live.responded_at = timezone.now()
            live.save(update_fields=["status", "responded_by", "responded_at"])
        return live
    return Connection.objects.create(
        from_org=a,
        to_org=b,
        status=Connection.Status.ACCEPTED,
        source=event.connection_source[:40],
        requested_by=by,
        responded_by=by,
        responded_at=timezone.now(),
    )


@transaction.atomic
def request_cancel(*, request: MeetingRequest, by) -> MeetingRequest:
    request = _lock_request(request)
    if not acts_for_registration(by, request.from_registration) and not can_manage_event(
        by, request.event
    ):
        raise EventError(_("Only the requester can withdraw this request."))
    if request.status != MeetingRequest.Status.PENDING:
        raise EventError(_("This request is no longer waiting for an answer."))
    request.status = MeetingRequest.Status.CANCELLED
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "responded_at"])
    return request


def requests_expire(*, now: dt.datetime | None = None) -> int:
    """Expire unanswered requests past their date and tell both sides (periodic task)."""
    now = now or timezone.now()
    expired = 0
    ids = list(
        MeetingRequest.objects.filter(
            status=MeetingRequest.Status.PENDING, expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            request = MeetingRequest.objects.select_for_update().get(pk=pk)
            if request.status != MeetingRequest.Status.PENDING:
                continue
            request.status = MeetingRequest.Status.EXPIRED
            request.responded_at = now
            request.save(update_fields=["status", "responded_at"])
            expired += 1
            transaction.on_commit(lambda request=request: messages.request_expired(request))
    return expired


# --- meetings -----------------------------------------------------------------------------------


@transaction.atomic
def meeting_add(
    *,
    event: Event,
    by,
    registrations: Sequence[Registration],
    weight: int = 2,
    version: int | None = None,
) -> Meeting:
    """Staff add a meeting (it waits for a slot until scheduled or moved by hand)."""
    _require_manager(by, event)
    event = _lock_event(event)
    _check_version(event, version)
    if len({r.pk for r in registrations}) < 2:
        raise EventError(_("A meeting needs at least two different participants."))
    for reg in registrations:
        if reg.event_id != event.pk or reg.status != Registration.Status.APPROVED:
            raise EventError(
                _("%(org)s is not a participant of this event.") % {"org": reg.organisation}
            )
    if not 0 <= weight <= 9:
        raise EventError(_("The weight is between 0 and 9."))
    meeting = Meeting.objects.create(event=event, weight=weight, created_by=by)
    MeetingSeat.objects.bulk_create(
        [MeetingSeat(meeting=meeting, registration=reg) for reg in registrations]
    )
    _bump(event)
    return meeting


def _meeting_cancel(meeting: Meeting, event: Event, by) -> None:
    was_placed = meeting.slot_id is not None
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancelled_at = timezone.now()
    meeting.sequence += 1
    meeting.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
    MeetingSeat.objects.filter(meeting=meeting).update(slot=None)
    if was_placed and event.schedule_published_at is not None:
        from corridor.events import calendar

        regs = list(
            Registration.objects.filter(seats__meeting=meeting).select_related(
                "organisation", "event"
            )
        )
        for reg in regs:
            ics = calendar.cancellation(meeting, reg)
            transaction.on_commit(
                lambda reg=reg, ics=ics: messages.meeting_cancelled(reg, meeting, ics)
            )


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by, version: int | None = None) -> Meeting:
    """Staff, or one of the participants, call a single meeting off (its slot is freed)."""
    event = _lock_event(meeting.event)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    manager = can_manage_event(by, event)
    if not manager and not any(
        acts_for_registration(by, seat.registration) for seat in meeting.seats.all()
    ):
        raise EventError(_("You are not in this meeting."))
    if manager:
        _check_version(event, version)
    if meeting.status == Meeting.Status.CANCELLED:
        raise EventError(_("This meeting is already cancelled."))
    _meeting_cancel(meeting, event, by)
    if meeting.request_id:
        MeetingRequest.objects.filter(pk=meeting.request_id).update(
            status=MeetingRequest.Status.CANCELLED
        )
    _bump(event)
    return meeting


@transaction.atomic
def meeting_set_video_link(*, meeting: Meeting, by, url: str) -> Meeting:
    """Set (or clear, with "") the video link of a meeting of an online or hybrid event. Its
    calendar entry changes (SEQUENCE raised) and, once the schedule is published, its
    participants are told."""
    from django.core.validators import URLValidator

    event = _lock_event(meeting.event)
    _require_manager(by, event)
    if event.mode == Event.Mode.IN_PERSON:
        raise EventError(_("Video links are for online and hybrid events."))
    url = clean_text(url or "", multiline=False).strip()
    if url:
        try:
            URLValidator(schemes=["https", "http"])(url)
        except ValidationError as exc:
            raise EventError(_("Give the full address of the video call (https://…).")) from exc
        if len(url) > 200:
            raise EventError(_("This address is too long."))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise EventError(_("This meeting is cancelled."))
    if meeting.video_link == url:
        return meeting
    meeting.video_link = url
    meeting.sequence += 1
    meeting.save(update_fields=["video_link", "sequence", "updated_at"])
    if event.schedule_published_at is not None and meeting.slot_id is not None:
        _tell_changed(event, [meeting.pk])
    return meeting


@transaction.atomic
def meeting_lock(*, meeting: Meeting, by, locked: bool, version: int | None = None) -> Meeting:
    event = _lock_event(meeting.event)
    _require_manager(by, event)
    _check_version(event, version)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked and meeting.slot_id is None:
        raise EventError(_("Only a scheduled meeting can be locked in its slot."))
    meeting.locked = locked
    meeting.save(update_fields=["locked", "updated_at"])
    _bump(event)
    return meeting


@transaction.atomic
def meeting_move(
    *,
    meeting: Meeting,
    by,
    slot: Slot,
    table: int | None = None,
    version: int | None = None,
) -> Meeting:
    """Move one meeting by hand; a move that breaks a constraint is refused with the engine's
    reasons (clash, unavailability, table taken, lock, max_meetings...)."""
    from corridor.events import scheduling
    from corridor.events.engine import current_schedule, engine_input, reasons_for_people

    event = _lock_event(meeting.event)
    _require_manager(by, event)
    _check_version(event, version)
    if slot.event_id != event.pk:
        raise EventError(_("This slot belongs to another event."))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise EventError(_("This meeting is cancelled."))
    raw, names = engine_input(event)
    instance = scheduling.parse_instance(raw)
    schedule = current_schedule(event)
    reasons = scheduling.check_move(instance, schedule, meeting.engine_id, slot.key, table)
    if reasons:
        raise EventError(
            _("This move is refused: %(reasons)s")
            % {"reasons": "; ".join(reasons_for_people(reasons, names))}
        )
    assignments = scheduling.apply_move(instance, schedule, meeting.engine_id, slot.key, table)
    placed = next(a for a in assignments if a.meeting == meeting.engine_id)
    _save_assignments(event, {meeting.pk: (slot.pk, placed.table)}, only={meeting.pk})
    _bump(event)
    meeting.refresh_from_db()
    if event.schedule_published_at is not None:
        _tell_changed(event, [meeting.pk])
    return meeting


def _save_assignments(
    event: Event, placed: dict[int, tuple[int, int]], only: set[int] | None = None
) -> list[int]:
    """Write slots and tables; meetings absent from `placed` (among `only`, else all scheduled
    meetings of the event) lose their slot. Returns the ids whose slot or table changed.

    Two passes (clear, then set) so that swaps never trip the unique constraints midway; the
    constraints still refuse any state where two meetings share a participant or a table."""
    qs = Meeting.objects.filter(event=event, status=Meeting.Status.SCHEDULED)
    if only is not None:
        qs = qs.filter(pk__in=only)
    # Plain tuples, not model instances: at a forum's size this read is most of the save.
    current = {
        pk: (slot_id, table, locked)
        for pk, slot_id, table, locked in qs.order_by()
        .select_for_update(of=("self",))
        .values_list("pk", "slot_id", "table", "locked")
    }
    changed = [pk for pk, m in current.items() if m[:2] != placed.get(pk, (None, None))]
    if not changed:
        return []
    unknown = set(placed) - set(current)
    if unknown:
        raise EventError(_("The schedule names meetings that no longer exist; run it again."))
    rows = []
    for pk in changed:
        slot_id, table = placed.get(pk, (None, None))
        rows.append((pk, slot_id, table, current[pk][2] and slot_id is not None))
    # Only meetings that have a place now need clearing (a first save clears nothing).
    placed_now = [pk for pk in changed if current[pk][0] is not None]
    now = timezone.now()
    try:
        with transaction.atomic():
            # Every clear before any set, across chunks: a swap between two chunks would
            # otherwise meet the other meeting still in place.
            for i in range(0, len(placed_now), CHUNK):
                chunk = placed_now[i : i + CHUNK]
                MeetingSeat.objects.filter(meeting_id__in=chunk).update(slot=None)
                Meeting.objects.filter(pk__in=chunk).update(slot=None, table=None)
            for i in range(0, len(rows), CHUNK):
                _write_slots(rows[i : i + CHUNK], now)
    except IntegrityError as exc:
        raise EventError(
            _("This change would put a participant or a table in two meetings at once.")
        ) from exc
    return changed


# Rows per UPDATE ... FROM (VALUES ...): within SQLite's 32,766 parameters at four per row.
CHUNK = 2000


def _write_slots(rows: list[tuple[int, int | None, int | None, bool]], now) -> None:
    """Set (slot, table, locked) of a chunk of already cleared meetings, raise their SEQUENCE
    and copy the slot to their seats: one UPDATE ... FROM (VALUES ...) for the meetings and one
    for the seats of those that got a slot (bulk_update's CASE expressions and executemany's
    row-by-row statements are several times slower at the size of a forum)."""
    meetings = Meeting._meta.db_table
    seats = MeetingSeat._meta.db_table
    table = connection.ops.quote_name("table")
    params: list = []
    for row in rows:
        params.extend(row)
    slotted = [(r[0], r[1]) for r in rows if r[1] is not None]
    seat_params = [v for pair in slotted for v in pair]
    if connection.vendor == "postgresql":
        values = ", ".join(["(%s::bigint, %s::bigint, %s::integer, %s::boolean)"] * len(rows))
        sql = (
            f"UPDATE {meetings} AS m SET slot_id = v.slot_id, {table} = v.tbl, "
            "sequence = m.sequence + 1, locked = v.locked, updated_at = %s "
            f"FROM (VALUES {values}) AS v(id, slot_id, tbl, locked) WHERE m.id = v.id"
        )
        seat_sql = (
            f"UPDATE {seats} AS s SET slot_id = v.slot_id FROM (VALUES "
            + ", ".join(["(%s::bigint, %s::bigint)"] * len(slotted))
            + ") AS v(meeting_id, slot_id) WHERE s.meeting_id = v.meeting_id"
        )
    else:
        values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
        sql = (
            f"UPDATE {meetings} SET slot_id = v.column2, {table} = v.column3, "
            "sequence = sequence + 1, locked = v.column4, updated_at = %s "
            f"FROM (VALUES {values}) AS v WHERE {meetings}.id = v.column1"
        )
        seat_sql = (
            f"UPDATE {seats} SET slot_id = v.column2 FROM (VALUES "
            + ", ".join(["(%s, %s)"] * len(slotted))
            + f") AS v WHERE {seats}.meeting_id = v.column1"
        )
    with connection.cursor() as cur:
        cur.execute(sql, [now, *params])
        if slotted:
            cur.execute(seat_sql, seat_params)


def _tell_changed(event: Event, meeting_ids: Iterable[int]) -> None:
    """Tell the participants of these meetings (and only them) that their meeting changed."""
    meetings = Meeting.objects.filter(pk__in=list(meeting_ids)).prefetch_related(
        "seats__registration__organisation", "seats__registration__event"
    )
    for meeting in meetings:
        for seat in meeting.seats.all():
            transaction.on_commit(
                lambda reg=seat.registration, m=meeting: messages.meeting_changed(reg, m)
            )


@transaction.atomic
def schedule_publish(*, event: Event, by) -> Event:
    """Publish the schedule: every approved participant with a meeting gets their agenda."""
    event = _lock_event(event)
    _require_manager(by, event)
    if not Meeting.objects.filter(event=event, slot__isnull=False).exists():
        raise EventError(_("There is no schedule to publish yet."))
    event.schedule_published_at = timezone.now()
    event.save(update_fields=["schedule_published_at", "updated_at"])
    regs = event.registrations.filter(status=Registration.Status.APPROVED).select_related(
        "organisation", "event"
    )
    for reg in regs:
        transaction.on_commit(lambda reg=reg: messages.agenda_published(reg))
    return event


# --- scheduling runs ----------------------------------------------------------------------------


@transaction.atomic
def schedule_run_start(
    *, event: Event, by, kind: str = ScheduleRun.Kind.SOLVE, time_limit: float = 10.0
) -> ScheduleRun:
    """Queue a run of the engine; the page polls its progress. Requests close by default."""
    from corridor.events import tasks

    event = _lock_event(event)
    _require_manager(by, event)
    if not 1 <= time_limit <= 120:
        raise EventError(_("The time limit is between 1 and 120 seconds."))
    busy = event.schedule_runs.filter(
        status__in=[ScheduleRun.Status.QUEUED, ScheduleRun.Status.RUNNING]
    ).exists()
    if busy:
        raise EventError(_("The engine is already working on this event."))
    if not event.slots.exists():
        raise EventError(_("The event has no slots: add a session first."))
    if event.scheduling_started_at is None:
        event.scheduling_started_at = timezone.now()
        event.save(update_fields=["scheduling_started_at"])
    run = ScheduleRun.objects.create(
        event=event,
        kind=kind,
        time_limit=time_limit,
        base_version=event.schedule_version,
        started_by=by,
    )
    transaction.on_commit(lambda: tasks.schedule_run(run.pk))
    return run


def schedule_run_execute(*, run: ScheduleRun, now: dt.datetime | None = None) -> ScheduleRun:
    """Run the engine (called by the task). A solve is applied at once when nobody changed the
    schedule meanwhile; a re-schedule waits for staff to confirm its list of moves."""
    from corridor.events.engine import run_engine

    ScheduleRun.objects.filter(pk=run.pk).update(
        status=ScheduleRun.Status.RUNNING, progress=1, message=""
    )
    try:
        result = run_engine(run, now=now)
    except Exception as exc:  # reported on the page; the schedule is untouched
        ScheduleRun.objects.filter(pk=run.pk).update(
            status=ScheduleRun.Status.FAILED, message=str(exc)[:300], finished_at=timezone.now()
        )
        run.refresh_from_db()
        return run
    assignments = result.pop("assignments", [])
    ScheduleRun.objects.filter(pk=run.pk).update(
        status=ScheduleRun.Status.DONE,
        progress=100,
        result=result,
        assignments=assignments,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    if run.kind == ScheduleRun.Kind.SOLVE:
        try:
            schedule_run_apply(run=run, by=run.started_by, check_permission=False)
        except EventError as exc:
            ScheduleRun.objects.filter(pk=run.pk).update(message=str(exc.message)[:300])
        run.refresh_from_db()
    return run


@transaction.atomic
def schedule_run_apply(*, run: ScheduleRun, by, check_permission: bool = True) -> list[int]:
    """Save a computed schedule. Refused when the schedule changed since the run started.
    After a re-schedule only the participants whose meetings moved (or were added or dropped)
    are told. Returns the ids of meetings that changed."""
    event = _lock_event(run.event)
    if check_permission:
        _require_manager(by, event)
    run = ScheduleRun.objects.select_for_update().get(pk=run.pk)
    if run.status != ScheduleRun.Status.DONE:
        raise EventError(_("This run cannot be applied (it is %(s)s).") % {"s": run.status})
    _check_version(event, run.base_version)
    slot_pk = dict(event.slots.values_list("key", "pk"))
    placed = {int(a["meeting"][1:]): (slot_pk[a["slot"]], a["table"]) for a in run.assignments}
    changed = _save_assignments(event, placed)
    _bump(event)
    run.status = ScheduleRun.Status.APPLIED
    run.save(update_fields=["status"])
    if event.schedule_published_at is not None:
        _tell_changed(event, changed)
    return changed


@transaction.atomic
def schedule_run_discard(*, run: ScheduleRun, by) -> ScheduleRun:
    _require_manager(by, run.event)
    if run.status == ScheduleRun.Status.DONE:
        run.status = ScheduleRun.Status.DISCARDED
        run.save(update_fields=["status"])
    return run


# --- at the event -------------------------------------------------------------------------------


def _arrived(registration: Registration, by, method: str) -> Attendance:
    if registration.status != Registration.Status.APPROVED:
        raise EventError(
            _("%(org)s is not an approved participant.") % {"org": registration.organisation}
        )
    attendance, _created = Attendance.objects.get_or_create(
        registration=registration, defaults={"checked_in_by": by, "method": method[:10]}
    )
    return attendance


@transaction.atomic
def check_in(*, registration: Registration, by, method: str = "search") -> Attendance:
    """The organisation has arrived (its own QR code, or a registration naming nobody). When it
    named a single representative, that person is the one who came."""
    _require_manager(by, registration.event)
    attendance = _arrived(registration, by, method)
    reps = list(registration.representatives.all()[:2])
    if len(reps) == 1 and reps[0].checked_in_at is None:
        Representative.objects.filter(pk=reps[0].pk, checked_in_at__isnull=True).update(
            checked_in_at=timezone.now(), checked_in_by=by, checkin_method=method[:10]
        )
    return attendance


@transaction.atomic
def representative_check_in(
    *, representative: Representative, by, method: str = "search"
) -> Representative:
    """One person has arrived (their badge's QR code, or their name). The registration's
    "arrived" (Attendance) follows from its first representative checked in."""
    registration = representative.registration
    _require_manager(by, registration.event)
    _arrived(registration, by, method)
    # Checked in once: a second scan keeps the first time and who made it.
    Representative.objects.filter(pk=representative.pk, checked_in_at__isnull=True).update(
        checked_in_at=timezone.now(), checked_in_by=by, checkin_method=method[:10]
    )
    representative.refresh_from_db()
    return representative


@transaction.atomic
def arrival_check_in(
    *, registration: Registration, representative: Representative | None, by, method: str
) -> tuple[Attendance, Representative | None]:
    """What the check-in page and the API do with what a scan or a pick found: the person when
    one was identified, else the organisation. Returns its attendance and the person checked in."""
    if representative is None:
        return check_in(registration=registration, by=by, method=method), None
    representative = representative_check_in(representative=representative, by=by, method=method)
    return Attendance.objects.get(registration=registration), representative


@transaction.atomic
def mark_no_show(*, registration: Registration, by, from_slot: Slot) -> list[Slot]:
    """A participant has not arrived: unavailable from `from_slot` to the end of that day, so a
    re-schedule frees their meetings and places the partners in what is left of the day."""
    event = _lock_event(registration.event)
    _require_manager(by, event)
    if from_slot.event_id != event.pk:
        raise EventError(_("This slot belongs to another event."))
    day = from_slot.session.day_id
    rest = list(
        Slot.objects.filter(event=event, session__day_id=day, starts_at__gte=from_slot.starts_at)
    )
    registration.unavailable_slots.add(*rest)
    _bump(event)
    return rest


def _side(by, meeting: Meeting, registration: Registration | None) -> Registration:
    seats = {
        s.registration_id: s.registration for s in meeting.seats.select_related("registration")
    }
    if registration is None:
        own = account_permissions.member_org_ids(by)
        mine = [r for r in seats.values() if r.organisation_id in own]
        if not mine:
            raise EventError(_("You are not in this meeting."))
        return mine[0]
    if registration.pk not in seats:
        raise EventError(_("This organisation is not in this meeting."))
    if not acts_for_registration(by, registration) and not can_manage_event(by, meeting.event):
        raise EventError(_("You are not in this meeting."))
    return seats[registration.pk]


@transaction.atomic
def meeting_mark(
    *, meeting: Meeting, by, mark: str, registration: Registration | None = None
) -> MeetingOutcome:
    """One side marks the meeting held or no-show (staff may mark for either side)."""
    if mark not in Meeting.Outcome.values:
        raise EventError(_("The mark is “held” or “no-show”."))
    if meeting.status != Meeting.Status.SCHEDULED or meeting.slot_id is None:
        raise EventError(_("Only a scheduled meeting can be marked."))
    side = _side(by, meeting, registration)
    outcome, _created = MeetingOutcome.objects.select_for_update().get_or_create(
        meeting=meeting, registration=side
    )
    outcome.mark = mark
    outcome.marked_by = by
    outcome.save(update_fields=["mark", "marked_by", "updated_at"])
    return outcome


@transaction.atomic
def meeting_settle(*, meeting: Meeting, by, outcome: str) -> Meeting:
    """Staff decide when the two sides disagree."""
    _require_manager(by, meeting.event)
    if outcome not in Meeting.Outcome.values:
        raise EventError(_("The mark is “held” or “no-show”."))
    meeting.settled_outcome = outcome
    meeting.save(update_fields=["settled_outcome", "updated_at"])
    return meeting


def meeting_outcome(meeting: Meeting, marks: Iterable[str] | None = None) -> str:
    """Staff's decision, else "held" when either side says so, else "no_show" when one does."""
    if meeting.settled_outcome:
        return meeting.settled_outcome
    if marks is None:
        marks = [o.mark for o in meeting.outcomes.all()]
    marks = set(marks)
    if Meeting.Outcome.HELD in marks:
        return Meeting.Outcome.HELD
    if Meeting.Outcome.NO_SHOW in marks:
        return Meeting.Outcome.NO_SHOW
    return ""


@transaction.atomic
def meeting_feedback(
    *,
    meeting: Meeting,
    by,
    rating: int | None,
    wants_follow_up: bool | None,
    comment: str = "",
    registration: Registration | None = None,
) -> MeetingOutcome:
    """After a held meeting: a quick rating and "do you want to follow up?" (kept for leads)."""
    side = _side(by, meeting, registration)
    if meeting_outcome(meeting) != Meeting.Outcome.HELD:
        raise EventError(_("Only a held meeting can be rated."))
    if rating is not None and not 1 <= rating <= 5:
        raise EventError(_("The rating is between 1 and 5."))
    outcome, _created = MeetingOutcome.objects.select_for_update().get_or_create(
        meeting=meeting, registration=side
    )
    outcome.rating = rating
    outcome.wants_follow_up = wants_follow_up
    outcome.comment = clean_text(comment).strip()[:1000]
    outcome.marked_by = by
    outcome.save()
    if wants_follow_up:  # a lead to follow up (imported here: followup imports this app)
        from corridor.followup.services import lead_from_meeting

        lead_from_meeting(meeting=meeting)
    return outcome


def meeting_place_late(*, meeting_id: int, attempts: int = 3) -> bool:
    """A meeting accepted after the schedule was published: the engine's minimal-change
    `resolve` places it when there is room (others move only to make room, and are told);
    otherwise it waits and its participants are told. Returns whether it was placed."""
    from corridor.events import scheduling
    from corridor.events.engine import current_schedule, engine_input, frozen_slot

    for _attempt in range(attempts):
        meeting = Meeting.objects.select_related("event").filter(pk=meeting_id).first()
        if meeting is None or meeting.status != Meeting.Status.SCHEDULED or meeting.slot_id:
            return False
        event = meeting.event
        version = event.schedule_version
        frozen = frozen_slot(event, timezone.now())
        if frozen is None and event.slots.filter(starts_at__lte=timezone.now()).exists():
            messages.meeting_waiting(meeting)  # the event is over: no slot is left
            return False
        raw, _names = engine_input(event, frozen_before=frozen)
        previous = current_schedule(event)
        known = {m["id"] for m in raw["meetings"]}
        previous["assignments"] = [a for a in previous["assignments"] if a["meeting"] in known]
        changes = {"frozen_before": frozen.key} if frozen else {}
        out = scheduling.resolve(raw, previous, changes, time_limit=2.0).to_json()
        if meeting.engine_id not in out.get("added", []):
            messages.meeting_waiting(meeting)
            return False
        slot_pk = dict(event.slots.values_list("key", "pk"))
        placed = {
            int(a["meeting"][1:]): (slot_pk[a["slot"]], a["table"]) for a in out["assignments"]
        }
        try:
            with transaction.atomic():
                event = _lock_event(event)
                _check_version(event, version)
                changed = _save_assignments(event, placed)
                _bump(event)
                _tell_changed(event, changed)
            return True
        except StaleSchedule:
            continue  # someone changed the schedule meanwhile: compute again from the new state
    return False
