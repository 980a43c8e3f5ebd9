"""Leads, their stages, orders and survey answers, and the impact figures (same rules as pages)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from corridor.accounts import permissions
from corridor.api.auth import auth_required
from corridor.api.errors import ERRORS
from corridor.api.pagination import Page, PageParams, paginate
from corridor.followup import selectors, services
from corridor.followup.models import Lead, LeadKind, Stage

router = Router(tags=["follow-up"], auth=auth_required)


class OrgRef(Schema):
    id: int
    name: str


class LeadOut(Schema):
    id: int
    kind: str
    supplier: OrgRef
    buyer: OrgRef
    product: str
    hs_code: str | None = Field(None, alias="hs_code_id")
    stage: str
    drop_reason: str
    source: str
    started_on: datetime.date
    stage_changed_at: datetime.datetime
    in_conflict: bool


class ChangeOut(Schema):
    from_stage: str
    to_stage: str
    drop_reason: str
    changed_on: datetime.date
    side: str
    via: str
    note: str


class OrderOut(Schema):
    id: int
    kind: str
    ordered_on: datetime.date
    value: Decimal | None
    currency: str
    volume: Decimal | None
    unit: str
    product: str


class LeadDetailOut(LeadOut):
    history: list[ChangeOut]
    orders: list[OrderOut]


class AnswerOut(Schema):
    id: int
    side: str
    stage: str
    drop_reason: str
    order_value: Decimal | None
    currency: str
    comment: str
    via: str
    answered_at: datetime.datetime
    step_months: int = Field(alias="invitation.step.offset_months")


class StageIn(Schema):
    stage: str = Field(description="A stage of the lead's kind, or 'dropped'.")
    drop_reason: str = Field("", description="Required when the stage is 'dropped'.")
    note: str = Field("", max_length=300)
    on: datetime.date | None = Field(None, description="The day it happened (default today).")


class LeadFilters(Schema):
    stage: str | None = None
    kind: str | None = None


def _lead(request: HttpRequest, lead_id: int) -> Lead:
    lead = get_object_or_404(Lead.objects.select_related("supplier", "buyer"), pk=lead_id)
    if not permissions.can_view_lead(request.user, lead):
        raise Http404
    return lead


def _detail(lead: Lead) -> dict:
    lead = selectors.lead_detail(lead.pk)
    return {
        **LeadOut.from_orm(lead).dict(by_alias=False),
        "supplier": lead.supplier,
        "buyer": lead.buyer,
        "history": list(lead.changes.all()),
        "orders": list(lead.orders.all()),
    }


@router.get("/leads", response={200: Page[LeadOut], **ERRORS})
def lead_list(request: HttpRequest, filters: Query[LeadFilters], page: Query[PageParams]):
    """Leads of the organisations the caller acts for (staff: all). Programme viewers see none:
    they read /impact."""
    stage = filters.stage if filters.stage in Stage.values else ""
    kind = filters.kind if filters.kind in LeadKind.values else ""
    return paginate(selectors.leads_for(request.user, stage=stage, kind=kind), page)


@router.get("/leads/{lead_id}", response={200: LeadDetailOut, **ERRORS})
def lead_detail(request: HttpRequest, lead_id: int):
    return _detail(_lead(request, lead_id))


@router.post("/leads/{lead_id}/stage", response={200: LeadDetailOut, **ERRORS})
def lead_stage(request: HttpRequest, lead_id: int, payload: StageIn):
    """Report a new stage (kept in the history with the caller's side). A stage of the other
    kind, a drop without a reason or a future date answer 422 with the reason."""
    lead = _lead(request, lead_id)
    if not permissions.can_update_lead(request.user, lead):
        raise PermissionDenied(_("You cannot update this lead."))
    services.lead_set_stage(
        lead=lead,
        stage=payload.stage,
        drop_reason=payload.drop_reason,
        note=payload.note,
        on=payload.on,
        by=request.user,
        via="api",
    )
    return _detail(lead)


@router.get("/leads/{lead_id}/answers", response={200: list[AnswerOut], **ERRORS})
def lead_answers(request: HttpRequest, lead_id: int):
    lead = _lead(request, lead_id)
    return list(lead.answers.select_related("invitation__step").order_by("answered_at", "id"))


class ImpactRowOut(Schema):
    key: str
    label: str
    leads: int
    deals: int
    orders: int
    value_usd: Decimal | None
    unconverted: int


class FunnelOut(Schema):
    stage: str
    reached: int
    conversion: float | None


class ImpactOut(Schema):
    meetings_held: int
    leads: int
    deals: int
    dropped: int
    orders: int
    value_usd: Decimal | None
    unconverted: int
    funnel: list[FunnelOut]
    by_event: list[ImpactRowOut]
    by_country: list[ImpactRowOut]
    by_province: list[ImpactRowOut]
    by_cluster: list[ImpactRowOut]
    by_hs_chapter: list[ImpactRowOut]
    by_month: list[ImpactRowOut]


class ImpactFilters(Schema):
    event: int | None = None
    country: str = ""
    hs_chapter: str = ""
    cluster: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@router.get("/impact", response={200: ImpactOut, **ERRORS})
def impact(request: HttpRequest, filters: Query[ImpactFilters]):
    """The impact figures (docs/followup.md defines each). Staff and programme viewers; a viewer
    gets null for any value resting on fewer than three supplier–buyer pairs."""
    if not permissions.can_view_impact(request.user):
        raise PermissionDenied(_("Only programme staff and programme viewers see impact figures."))
    data = selectors.impact_cached(
        selectors.Filters(
            event=filters.event,
            country=filters.country[:2].upper(),
            hs_chapter=filters.hs_chapter[:2] if filters.hs_chapter[:2].isdigit() else "",
            cluster=filters.cluster,
            date_from=filters.date_from,
            date_to=filters.date_to,
        ),
        viewer=not permissions.is_staff(request.user),
    )
    return {
        **{
            k: getattr(data, k)
            for k in ("meetings_held", "leads", "deals", "dropped", "orders", "value_usd")
        },
        "unconverted": data.unconverted,
        "funnel": [{"stage": s, "reached": n, "conversion": c} for s, _l, n, c in data.funnel],
        **{f"by_{k}": v for k, v in data.by.items()},
        "by_month": data.by_month,
    }
