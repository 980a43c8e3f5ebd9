"""Matchmaking events: events, registrations, meeting requests and a participant's agenda, with
the permissions of the pages (`events.permissions`); refusals answer 409 with the reason."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from corridor.accounts import permissions as account_permissions
from corridor.api.auth import auth_required
from corridor.api.errors import ERRORS, ApiError
from corridor.api.pagination import Page, PageParams, paginate
from corridor.directory.models import Organisation
from corridor.events import selectors, services
from corridor.events.models import Event, MeetingRequest, Registration
from corridor.events.permissions import can_manage_event, can_view_event, own_registration

router = Router(tags=["events"], auth=auth_required)


class EventOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    venue: str
    address: str
    mode: str
    time_zone: str
    status: str
    registration_deadline: datetime | None
    registration_open: bool


class OrgRef(Schema):
    id: int
    name: str
    kind: str
    country: str


class RegistrationOut(Schema):
    id: int
    organisation: OrgRef
    status: str
    offers: str
    looks_for: str


class RegistrationIn(Schema):
    organisation_id: int
    offers: str = Field("", max_length=2000)
    looks_for: str = Field("", max_length=2000)
    offer_hs_codes: list[str] = []
    wanted_hs_codes: list[str] = []
    max_meetings: int | None = Field(None, ge=0, le=99)
    visible_to_participants: bool = True


class RequestOut(Schema):
    id: int
    from_registration_id: int
    to_registration_id: int
    from_organisation: str
    to_organisation: str
    status: str
    message: str
    from_priority: int
    to_priority: int | None
    expires_at: datetime


class RequestIn(Schema):
    to_registration_id: int
    message: str = Field("", max_length=1000)
    priority: int = Field(2, ge=1, le=3)
    invitee_ids: list[int] = Field([], max_length=5)


class AcceptIn(Schema):
    priority: int = Field(2, ge=1, le=3)


class AgendaItemOut(Schema):
    meeting_id: int
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    local_time: str | None
    own_time: str | None
    table: int | None
    partners: list[str]
    video_link: str
    outcome: str


def _event_out(event: Event) -> dict:
    return {
        **{k: getattr(event, k) for k in EventOut.model_fields if hasattr(event, k)},
        "registration_open": services.registration_is_open(event),
    }


def _event(request: HttpRequest, slug: str) -> Event:
    event = get_object_or_404(Event, slug=slug)
    if not can_view_event(request.user, event):
        raise Http404
    return event


def _reg_out(reg: Registration) -> dict:
    org = reg.organisation
    return {
        "id": reg.pk,
        "organisation": {
            "id": org.pk,
            "name": org.name,
            "kind": org.kind,
            "country": org.country_id,
        },
        "status": reg.status,
        "offers": reg.offers,
        "looks_for": reg.looks_for,
    }


def _req_out(r: MeetingRequest) -> dict:
    return {
        "id": r.pk,
        "from_registration_id": r.from_registration_id,
        "to_registration_id": r.to_registration_id,
        "from_organisation": r.from_registration.organisation.name,
        "to_organisation": r.to_registration.organisation.name,
        "status": r.status,
        "message": r.message,
        "from_priority": r.from_priority,
        "to_priority": r.to_priority,
        "expires_at": r.expires_at,
    }


def _refused(exc: services.EventError) -> ApiError:
    code = "stale_schedule" if isinstance(exc, services.StaleSchedule) else "refused"
    return ApiError(409, " ".join(exc.messages), code=code)


@router.get("/events", response={200: Page[EventOut], **ERRORS}, auth=None)
def event_list(request: HttpRequest, page: Query[PageParams]):
    """Events the caller may see (drafts only for staff), soonest first."""
    upcoming, past = selectors.events_for(request.user)
    data = paginate(upcoming + past, page)
    data["items"] = [_event_out(e) for e in data["items"]]
    return data


@router.get("/events/{slug}", response={200: EventOut, **ERRORS}, auth=None)
def event_detail(request: HttpRequest, slug: str):
    return _event_out(_event(request, slug))


@router.get("/events/{slug}/registrations", response={200: Page[RegistrationOut], **ERRORS})
def registration_list(request: HttpRequest, slug: str, page: Query[PageParams]):
    """Organisers see every registration; participants see the listed approved participants."""
    event = _event(request, slug)
    if can_manage_event(request.user, event):
        qs = event.registrations.select_related("organisation").order_by("created_at")
    elif own_registration(request.user, event) is not None:
        qs = selectors.participants(event, request.user)
    else:
        raise PermissionDenied(_("Only participants see who else takes part."))
    data = paginate(qs, page)
    data["items"] = [_reg_out(r) for r in data["items"]]
    return data


@router.post("/events/{slug}/registrations", response={201: RegistrationOut, **ERRORS})
def registration_create(request: HttpRequest, slug: str, payload: RegistrationIn):
    event = _event(request, slug)
    org = get_object_or_404(Organisation, pk=payload.organisation_id)
    if not account_permissions.can_act_for_org(request.user, org) and not can_manage_event(
        request.user, event
    ):
        raise PermissionDenied(_("You do not act for this organisation."))
    try:
        reg = services.registration_create(
            event=event,
            organisation=org,
            by=request.user,
            offers=payload.offers,
            looks_for=payload.looks_for,
            offer_hs_codes=payload.offer_hs_codes,
            wanted_hs_codes=payload.wanted_hs_codes,
            max_meetings=payload.max_meetings,
            visible_to_participants=payload.visible_to_participants,
        )
    except services.EventError as exc:
        raise _refused(exc) from exc
    return Status(201, _reg_out(reg))


def _mine(request: HttpRequest, event: Event) -> Registration:
    me = own_registration(request.user, event)
    if me is None:
        raise PermissionDenied(_("You are not registered for this event."))
    return me


@router.get("/events/{slug}/requests", response={200: list[RequestOut], **ERRORS})
def request_list(request: HttpRequest, slug: str):
    """The caller's meeting requests, received and sent."""
    me = _mine(request, _event(request, slug))
    boxes = selectors.inbox(me)
    return [_req_out(r) for r in boxes["received"] + boxes["sent"]]


@router.post("/events/{slug}/requests", response={201: RequestOut, **ERRORS})
def request_send(request: HttpRequest, slug: str, payload: RequestIn):
    event = _event(request, slug)
    me = _mine(request, event)
    target = get_object_or_404(Registration, pk=payload.to_registration_id, event=event)
    invitees = [get_object_or_404(Registration, pk=i, event=event) for i in payload.invitee_ids]
    try:
        req = services.request_send(
            from_registration=me,
            to_registration=target,
            by=request.user,
            message=payload.message,
            priority=payload.priority,
            invitees=invitees,
        )
    except services.EventError as exc:
        raise _refused(exc) from exc
    return Status(201, _req_out(req))


def _request(
    request: HttpRequest, slug: str, request_id: int
) -> tuple[Registration, MeetingRequest]:
    event = _event(request, slug)
    me = _mine(request, event)
    req = get_object_or_404(
        MeetingRequest.objects.select_related(
            "from_registration__organisation", "to_registration__organisation"
        ),
        pk=request_id,
        event=event,
    )
    involved = {req.from_registration_id, req.to_registration_id} | set(
        req.invitees.values_list("registration_id", flat=True)
    )
    if me.pk not in involved:
        raise Http404
    return me, req


@router.post("/events/{slug}/requests/{request_id}/accept", response={200: RequestOut, **ERRORS})
def request_accept(request: HttpRequest, slug: str, request_id: int, payload: AcceptIn):
    me, req = _request(request, slug, request_id)
    try:
        services.request_accept(
            request=req, by=request.user, priority=payload.priority, registration=me
        )
    except services.EventError as exc:
        raise _refused(exc) from exc
    req.refresh_from_db()
    return _req_out(req)


@router.post("/events/{slug}/requests/{request_id}/decline", response={200: RequestOut, **ERRORS})
def request_decline(request: HttpRequest, slug: str, request_id: int):
    me, req = _request(request, slug, request_id)
    try:
        services.request_decline(request=req, by=request.user, registration=me)
    except services.EventError as exc:
        raise _refused(exc) from exc
    req.refresh_from_db()
    return _req_out(req)


@router.get("/events/{slug}/agenda", response={200: list[AgendaItemOut], **ERRORS})
def agenda(request: HttpRequest, slug: str):
    """The caller's meetings in time order, with the event's local time and theirs if different."""
    me = _mine(request, _event(request, slug))
    data = selectors.agenda(me, request.user)
    return [
        {
            "meeting_id": i.meeting.pk,
            "status": i.meeting.status,
            "starts_at": i.meeting.slot.starts_at if i.meeting.slot else None,
            "ends_at": i.meeting.slot.ends_at if i.meeting.slot else None,
            "local_time": i.local.isoformat() if i.local else None,
            "own_time": i.own.isoformat() if i.own else None,
            "table": i.meeting.table,
            "partners": [p.organisation.name for p in i.partners],
            "video_link": i.meeting.video_link,
            "outcome": i.outcome,
        }
        for i in data["all"]
    ]


class CheckinIn(Schema):
    """One of: `code` (a scanned QR code: a person's badge or the organisation's),
    `representative_id` (a person picked by name) or `registration_id` (the organisation)."""

    code: str = Field("", max_length=200)
    representative_id: int | None = None
    registration_id: int | None = None


class CheckinOut(Schema):
    registration_id: int
    organisation: str
    representative_id: int | None
    representative: str | None
    method: str
    arrived_at: datetime
    checked_in_at: datetime | None


@router.post("/events/{slug}/checkin", response={200: CheckinOut, **ERRORS})
def checkin(request: HttpRequest, slug: str, payload: CheckinIn):
    """Check a person (or an organisation) in on arrival: the event's organisers and staff only,
    as on the check-in page. A second check-in keeps the first time."""
    event = _event(request, slug)
    if not can_manage_event(request.user, event):
        raise PermissionDenied(_("Only the event's organisers check people in."))
    if not (payload.code.strip() or payload.representative_id or payload.registration_id):
        raise ApiError(422, _("Give a code, a representative or a registration."))
    reg, rep, method = selectors.checkin_target(
        event,
        code=payload.code.strip(),
        representative_id=payload.representative_id,
        registration_id=payload.registration_id,
    )
    if reg is None:
        raise ApiError(404, _("Unknown code: this person is not registered for this event."))
    try:
        attendance, rep = services.arrival_check_in(
            registration=reg, representative=rep, by=request.user, method=method
        )
    except services.EventError as exc:
        raise _refused(exc) from exc
    return {
        "registration_id": reg.pk,
        "organisation": reg.organisation.name,
        "representative_id": rep.pk if rep else None,
        "representative": rep.name if rep else None,
        "method": rep.checkin_method if rep else attendance.method,
        "arrived_at": attendance.checked_in_at,
        "checked_in_at": rep.checked_in_at if rep else None,
    }
