"""Training programmes, sessions and attendance (same permissions as the pages): programme
staff read and write everything; an organisation's people and its cluster's coordinator read
that organisation's attendance."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from corridor.api.auth import auth_required
from corridor.api.errors import ERRORS
from corridor.api.pagination import Page, PageParams, paginate
from corridor.training import permissions, selectors, services
from corridor.training.models import Session

router = Router(tags=["training"], auth=auth_required)


class ProgrammeOut(Schema):
    id: int
    name: str
    funder: str
    starts_on: datetime.date
    ends_on: datetime.date


class SessionOut(Schema):
    id: int
    module_id: int
    module: str = Field(alias="module.title")
    topic: str = Field(alias="module.topic")
    programme_id: int = Field(alias="module.programme_id")
    date: datetime.date
    place: str
    online: bool
    trainers: str
    event_id: int | None


class AttendanceOut(Schema):
    id: int
    session_id: int
    person_name: str
    organisation_id: int
    organisation: str = Field(alias="organisation.name")
    date: datetime.date = Field(alias="session.date")
    module: str = Field(alias="session.module.title")


class AttendanceIn(Schema):
    person_name: str = Field(min_length=1, max_length=200)
    organisation_id: int
    language: str = Field("", max_length=8)


def _staff(request: HttpRequest) -> None:
    if not permissions.can_manage(request.auth):
        raise PermissionDenied(_("Only programme staff may do this."))


@router.get("/training/programmes", response={200: Page[ProgrammeOut], **ERRORS})
def programme_list(request: HttpRequest, page: Query[PageParams]):
    if not (permissions.can_manage(request.auth) or permissions.can_view_outcomes(request.auth)):
        raise PermissionDenied(_("Only programme staff and programme viewers see programmes."))
    return paginate(selectors.programmes(), page)


@router.get("/training/sessions", response={200: Page[SessionOut], **ERRORS})
def session_list(request: HttpRequest, page: Query[PageParams], programme: int | None = None):
    _staff(request)
    qs = Session.objects.select_related("module").order_by("-date", "id")
    if programme:
        qs = qs.filter(module__programme_id=programme)
    return paginate(qs, page)


@router.get("/training/attendance", response={200: Page[AttendanceOut], **ERRORS})
def attendance_list(request: HttpRequest, page: Query[PageParams], session: int | None = None):
    """Attendance the caller may see: all for staff; their organisations' (and, for a
    coordinator, their cluster's members') for others."""
    qs = permissions.visible_attendance(request.auth).select_related(
        "organisation", "session__module"
    )
    if session:
        qs = qs.filter(session_id=session)
    return paginate(qs.order_by("-session__date", "person_name", "id"), page)


@router.post("/training/sessions/{session_id}/attendance", response={201: AttendanceOut, **ERRORS})
def attendance_add(request: HttpRequest, session_id: int, payload: AttendanceIn):
    _staff(request)
    session = get_object_or_404(Session, pk=session_id)
    a = services.attendance_add(
        session=session,
        person=services.Person(
            name=payload.person_name,
            organisation_id=payload.organisation_id,
            language=payload.language,
        ),
        by=request.auth,
    )
    return Status(201, selectors.attendance_detail(a.pk))
