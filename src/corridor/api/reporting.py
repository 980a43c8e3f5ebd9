"""Bottleneck reports: file one (a messaging bot, an association's system), read one's own,
move the status (focal points, staff), assign (staff), and the anonymised public list.

Every post needs an `Idempotency-Key` header (see api/idempotency.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from corridor.api.auth import auth_optional, auth_required
from corridor.api.errors import ERRORS, ApiError
from corridor.api.idempotency import idempotent
from corridor.api.pagination import Page, PageParams, paginate
from corridor.directory.models import (
    BorderCrossing,
    EconomicCorridor,
    HSCode,
    Organisation,
    Province,
)
from corridor.directory.vocab import OrgKind
from corridor.reporting import permissions, selectors, services
from corridor.reporting.models import BottleneckReport

router = Router(tags=["reporting"], auth=auth_required)

CategoryName = Literal["customs", "transport", "standards", "payment", "information", "other"]
StatusName = Literal["open", "acknowledged", "in_progress", "resolved", "closed"]


class ReportIn(Schema):
    category: CategoryName
    description: str = Field(min_length=1, max_length=4000, description="What happened.")
    crossing_id: int | None = Field(None, description="A border crossing (/border-crossings).")
    province: str | None = Field(None, description="A province code, e.g. KH-20.")
    corridor: str | None = Field(None, description="A corridor slug: sec, ewec, clmv.")
    hs_code: str | None = Field(None, description="HS code: 0804, 0804.50 or 080450.")
    occurred_on: date | None = None
    delay_days: int | None = Field(None, ge=0, le=3650)
    cost_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    cost_currency: str = Field("USD", min_length=3, max_length=3)
    organisation_id: int | None = Field(
        None, description="The organisation you report for (one you act for)."
    )
    on_behalf: bool = Field(
        False,
        description="An association or cluster reporting for one of its SMEs without naming it.",
    )
    order_id: int | None = Field(
        None, description="The order it hit (a side of the order only; once orders exist)."
    )


class StatusIn(Schema):
    status: StatusName
    public_note: str | None = Field(None, max_length=2000)


class AssignIn(Schema):
    focal_point_id: int
    deadline: date | None = None


class Ref(Schema):
    id: int
    name: str


class ReportOut(Schema):
    """A report as its reporter, focal point or staff see it."""

    id: int
    category: str
    status: str
    crossing: Ref | None
    province: str | None = None
    corridor: str | None = None
    hs_code: str | None = None
    hs_chapter: str
    description: str
    occurred_on: date
    delay_days: int | None
    cost_amount: Decimal | None
    cost_currency: str
    cost_usd: Decimal | None
    focal_point: Ref | None
    deadline: date | None
    overdue: bool
    public_note: str
    reported_for: Ref | None = None
    on_behalf: bool
    created_at: datetime
    closed_at: datetime | None


class PublicReportOut(Schema):
    """A report as anyone sees it: nothing about who reported, or their words."""

    month: str
    category: str
    crossing: str | None
    hs_chapter: str
    status: str
    light: str
    focal_point: str | None
    public_note: str


class PublicFilters(Schema):
    status: StatusName | None = None
    category: CategoryName | None = None
    crossing_id: int | None = None


def _ref(org) -> dict | None:
    return None if org is None else {"id": org.pk, "name": org.name}


def _out(request: HttpRequest, r: BottleneckReport) -> dict:
    """The JSON body of a report (also what an Idempotency-Key replay returns)."""
    shown_for = r.reporter_org if permissions.can_see_reporter(request.user, r) else None
    data = {
        "id": r.pk,
        "category": r.category,
        "status": r.status,
        "crossing": _ref(r.crossing),
        "province": r.province_id,
        "corridor": r.corridor.slug if r.corridor_id else None,
        "hs_code": r.hs_code_id,
        "hs_chapter": r.hs_chapter,
        "description": r.description,
        "occurred_on": r.occurred_on,
        "delay_days": r.delay_days,
        "cost_amount": r.cost_amount,
        "cost_currency": r.cost_currency,
        "cost_usd": r.cost_usd,
        "focal_point": _ref(r.focal_point),
        "deadline": r.deadline,
        "overdue": r.is_overdue,
        "public_note": r.public_note,
        "reported_for": _ref(shown_for),
        "on_behalf": r.on_behalf,
        "created_at": r.created_at,
        "closed_at": r.closed_at,
    }
    return ReportOut(**data).model_dump(mode="json")


def _lookup(model, value, field: str, **extra):
    if value in (None, ""):
        return None
    found = model.objects.filter(**{field: value}, **extra).first()
    if found is None:
        raise ValidationError({field.split("__")[0]: _("Unknown value: %(v)s.") % {"v": value}})
    return found


def _report(request: HttpRequest, report_id: int) -> BottleneckReport:
    report = selectors.report_detail(report_id)
    if report is None or not permissions.can_view_report(request.user, report):
        raise Http404
    return report


@router.post("/reports", response={201: ReportOut, 200: ReportOut, **ERRORS})
def report_create(request: HttpRequest, payload: ReportIn, response: HttpResponse):
    """File a bottleneck report. An association's token reports for its member SMEs under the
    association's name: `organisation_id` = the association, `on_behalf` = true."""

    def run() -> tuple[int, dict]:
        org = None
        if payload.organisation_id is not None:
            org = Organisation.objects.filter(
                pk=payload.organisation_id, merged_into__isnull=True
            ).first()
            if org is None:
                raise ValidationError({"organisation_id": _("No such organisation.")})
        hs = None
        if payload.hs_code:
            hs = _lookup(HSCode, payload.hs_code.replace(".", "").strip(), "code")
        data = {
            "category": payload.category,
            "description": payload.description,
            "crossing": _lookup(BorderCrossing, payload.crossing_id, "pk"),
            "province": _lookup(Province, (payload.province or "").upper(), "code"),
            "corridor": _lookup(EconomicCorridor, (payload.corridor or "").lower(), "slug"),
            "hs_code": hs,
            "occurred_on": payload.occurred_on,
            "delay_days": payload.delay_days,
            "cost_amount": payload.cost_amount,
            "cost_currency": payload.cost_currency,
        }
        order = None
        if payload.order_id is not None:
            if not apps.is_installed("corridor.reporting.timeline"):
                raise ValidationError({"order_id": _("Orders are not available yet.")})
            from corridor.followup.models import Order

            order = Order.objects.filter(pk=payload.order_id).first()
            if order is None:
                raise ValidationError({"order_id": _("No such order.")})
        report = services.report_create(
            by=request.user,
            data=data,
            org=org,
            on_behalf=payload.on_behalf,
            source="api",
            order=order,
        )
        return 201, _out(request, selectors.report_detail(report.pk))

    return idempotent(request, response, run)


@router.get("/reports", response={200: Page[ReportOut], **ERRORS})
def report_list(
    request: HttpRequest,
    page: Query[PageParams],
    status: StatusName | Literal["overdue"] | None = None,
):
    """Reports the caller filed (or their organisations did), those assigned to their
    focal-point organisation, or all (staff)."""
    qs = selectors.reports_for_user(request.user, status=status).select_related(
        "reporter_org", "corridor"
    )
    result = paginate(qs, page)
    result["items"] = [_out(request, r) for r in result["items"]]
    return result


@router.get("/reports/{report_id}", response={200: ReportOut, **ERRORS})
def report_detail(request: HttpRequest, report_id: int):
    return _out(request, _report(request, report_id))


@router.post("/reports/{report_id}/status", response={200: ReportOut, **ERRORS})
def report_status(request: HttpRequest, report_id: int, payload: StatusIn, response: HttpResponse):
    """Move the status (the focal point's members, staff). Refused moves answer 409."""
    report = _report(request, report_id)
    if not permissions.can_update_status(request.user, report):
        raise PermissionDenied(_("Only the focal point and staff change a report's status."))

    def run() -> tuple[int, dict]:
        try:
            services.report_set_status(
                report=report,
                to_status=payload.status,
                by=request.user,
                public_note=payload.public_note,
            )
        except services.TransitionNotAllowed as exc:
            raise ApiError(409, str(exc), code="transition_not_allowed") from exc
        return 200, _out(request, selectors.report_detail(report.pk))

    return idempotent(request, response, run)


@router.post("/reports/{report_id}/assign", response={200: ReportOut, **ERRORS})
def report_assign(request: HttpRequest, report_id: int, payload: AssignIn, response: HttpResponse):
    """Assign a focal point (staff)."""
    report = _report(request, report_id)
    if not permissions.can_assign(request.user):
        raise PermissionDenied(_("Only programme staff assign focal points."))

    def run() -> tuple[int, dict]:
        focal = Organisation.objects.filter(pk=payload.focal_point_id, kind=OrgKind.SUPPORT).first()
        if focal is None:
            raise ValidationError({"focal_point_id": _("No such support organisation.")})
        services.report_assign(
            report=report, focal_point=focal, by=request.user, deadline=payload.deadline
        )
        return 200, _out(request, selectors.report_detail(report.pk))

    return idempotent(request, response, run)


@router.get("/public/reports", response={200: Page[PublicReportOut], **ERRORS}, auth=auth_optional)
def public_report_list(
    request: HttpRequest, filters: Query[PublicFilters], page: Query[PageParams]
):
    """The anonymised public list: category, crossing, HS chapter, month, status and the focal
    point's public note; combinations of crossing, HS chapter and month with fewer than three
    reports are left out."""
    qs = selectors.public_reports(
        status=filters.status or "",
        category=filters.category or "",
        crossing_id=filters.crossing_id,
    )
    result = paginate(qs, page)
    result["items"] = [
        {
            "month": r.occurred_on.strftime("%Y-%m"),
            "category": r.category,
            "crossing": r.crossing.name if r.crossing_id else None,
            "hs_chapter": r.hs_chapter,
            "status": r.status,
            "light": r.light,
            "focal_point": r.focal_point.name if r.focal_point_id else None,
            "public_note": r.public_note,
        }
        for r in result["items"]
    ]
    return result


# --- Order timelines (once the timeline app is installed) ---------------------------------------


class OrderUpdateIn(Schema):
    step: (
        Literal[
            "placed",
            "in_production",
            "ready",
            "shipped",
            "at_border",
            "cleared",
            "delivered",
            "paid",
        ]
        | None
    ) = None
    shipment: int | None = Field(None, ge=1, description="Shipment number (default: the last).")
    actual_on: date | None = Field(None, description="When the step was done.")
    expected_on: date | None = Field(None, description="When the step is now expected.")
    note: str = Field("", max_length=2000)
    crossing_id: int | None = None
    transport_mode: Literal["road", "rail", "river", "sea", "air", ""] = ""


class OrderStepOut(Schema):
    step: str
    shipment: int | None
    expected_on: date | None
    actual_on: date | None
    late: bool


class ShipmentOut(Schema):
    number: int
    crossing: str | None
    transport_mode: str


class TimelineOut(Schema):
    order_id: int
    domestic: bool
    cancelled: bool
    cancel_reason: str
    shipments: list[ShipmentOut]
    steps: list[OrderStepOut]


class OrderUpdateOut(Schema):
    id: int
    order_id: int
    side: str
    step: OrderStepOut | None
    note: str
    created_at: datetime


def _order_routes() -> None:
    from corridor.followup.models import Order
    from corridor.reporting.timeline import services as timeline

    @router.get("/orders/{order_id}/timeline", response={200: TimelineOut, **ERRORS})
    def order_timeline(request: HttpRequest, order_id: int):
        """The order's steps (expected and actual dates, late flag) and shipments: the
        supplier's and the buyer's people, and staff."""
        order = Order.objects.select_related("supplier", "buyer").filter(pk=order_id).first()
        if order is None or not timeline.can_view_order(request.user, order):
            raise Http404
        t = timeline.timeline_for(order)
        return {
            "order_id": order.pk,
            "domestic": t.domestic,
            "cancelled": t.is_cancelled,
            "cancel_reason": t.cancel_reason,
            "shipments": [
                {
                    "number": s.number,
                    "crossing": s.crossing.name if s.crossing_id else None,
                    "transport_mode": s.transport_mode,
                }
                for s in t.shipments.select_related("crossing")
            ],
            "steps": [
                {
                    "step": s.kind,
                    "shipment": s.shipment.number if s.shipment_id else None,
                    "expected_on": s.expected_on,
                    "actual_on": s.actual_on,
                    "late": s.is_late,
                }
                for s in t.steps.select_related("shipment")
            ],
        }

    @router.post(
        "/orders/{order_id}/updates", response={201: OrderUpdateOut, 200: OrderUpdateOut, **ERRORS}
    )
    def order_update_create(
        request: HttpRequest, order_id: int, payload: OrderUpdateIn, response: HttpResponse
    ):
        """Post a step of the order's timeline (the supplier's or the buyer's people, staff).
        The other side is told; a late step is flagged to both sides and staff."""
        order = Order.objects.select_related("supplier", "buyer").filter(pk=order_id).first()
        if order is None or not timeline.can_view_order(request.user, order):
            raise Http404

        def run() -> tuple[int, dict]:
            update = timeline.step_record(
                order=order,
                by=request.user,
                kind=payload.step or "",
                shipment_number=payload.shipment,
                actual_on=payload.actual_on,
                expected_on=payload.expected_on,
                note=payload.note,
                crossing=_lookup(BorderCrossing, payload.crossing_id, "pk"),
                transport_mode=payload.transport_mode,
                source="api",
            )
            step = update.step
            body = {
                "id": update.pk,
                "order_id": order.pk,
                "side": update.side,
                "step": None
                if step is None
                else {
                    "step": step.kind,
                    "shipment": step.shipment.number if step.shipment_id else None,
                    "expected_on": step.expected_on,
                    "actual_on": step.actual_on,
                    "late": step.is_late,
                },
                "note": update.note,
                "created_at": update.created_at,
            }
            return 201, OrderUpdateOut(**body).model_dump(mode="json")

        return idempotent(request, response, run)


if apps.is_installed("corridor.reporting.timeline"):
    _order_routes()
