"""Matching: ranked suppliers for a request, ranked requests for a supplier, HS suggestions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from corridor.accounts import permissions
from corridor.api.auth import auth_optional, auth_required
from corridor.api.errors import ERRORS
from corridor.directory.models import Organisation, SourcingRequest
from corridor.matching import selectors
from corridor.matching.hs import format_code
from corridor.matching.selectors import SupplierFilters

router = Router(tags=["matching"])


class ReasonOut(Schema):
    code: str
    params: dict[str, Any]
    text: str
    is_failure: bool


class MatchedOrg(Schema):
    id: int
    name: str
    slug: str
    kind: str
    country: str
    email: str | None = None
    phone: str | None = None


class SupplierOut(Schema):
    organisation: MatchedOrg
    product_id: int
    product_name: str
    score: float
    meets_requirements: bool
    verdict: str = Field(
        ...,
        description="what to conclude: meets (all requirements), partial (weak match), check "
        "(a requirement cannot be compared), near (same product, misses a requirement), "
        "other (a different product)",
    )
    reasons: list[ReasonOut]
    other_matching_products: int


class SupplierFiltersIn(Schema):
    country: str = Field("", description="ISO code of the supplier's country")
    certification: str = Field("", description="a certification the supplier holds")
    min_score: float = Field(0.0, ge=0, le=1)
    only_passing: bool = Field(False, description="only suppliers meeting every requirement")
    limit: int = Field(20, ge=1, le=100)


class RequestMatchOut(Schema):
    request_id: int
    title: str
    buyer_id: int
    buyer_name: str
    product_id: int
    product_name: str
    score: float
    meets_requirements: bool
    verdict: str = Field(
        ...,
        description="what to conclude: meets (all requirements), partial (weak match), check "
        "(a requirement cannot be compared), near (same product, misses a requirement), "
        "other (a different product)",
    )
    reasons: list[ReasonOut]


class HsSuggestionOut(Schema):
    code: str
    formatted: str
    description: str
    confidence: float


class HsSuggestIn(Schema):
    text: str = Field(..., min_length=1, max_length=1000)
    top: int = Field(5, ge=1, le=20)


def _reasons(reasons) -> list[dict]:
    return [{**r.as_dict(), "is_failure": r.is_failure} for r in reasons]


@router.get(
    "/matching/requests/{request_id}/suppliers",
    response={200: list[SupplierOut], **ERRORS},
    auth=auth_required,
)
def request_suppliers(request: HttpRequest, request_id: int, filters: Query[SupplierFiltersIn]):
    """Suppliers ranked for a sourcing request (best product per organisation); contact
    details only for organisations whose contacts the caller may see."""
    req = get_object_or_404(SourcingRequest.objects.select_related("buyer"), pk=request_id)
    if not permissions.can_view_request(request.user, req):
        raise Http404
    if not permissions.can_view_request_ranking(request.user, req):  # competitors' scores
        raise PermissionDenied
    found = selectors.request_suppliers(
        user=request.user,
        req=req,
        filters=SupplierFilters(
            country=filters.country.upper(),
            certification=filters.certification,
            min_score=filters.min_score,
            only_passing=filters.only_passing,
        ),
        limit=filters.limit,
    )
    return [
        {
            "organisation": {
                "id": s.org.pk,
                "name": s.org.name,
                "slug": s.org.slug,
                "kind": s.org.kind,
                "country": s.org.country_id,
                "email": s.org.email if s.show_contacts else None,
                "phone": s.org.phone if s.show_contacts else None,
            },
            "product_id": s.product_id,
            "product_name": s.product_name,
            "score": round(s.score, 4),
            "meets_requirements": s.passes,
            "verdict": s.verdict,
            "reasons": _reasons(s.reasons),
            "other_matching_products": s.others,
        }
        for s in found
    ]


@router.get(
    "/matching/organisations/{organisation_id}/requests",
    response={200: list[RequestMatchOut], **ERRORS},
    auth=auth_required,
)
def organisation_requests(request: HttpRequest, organisation_id: int, limit: int = 20):
    """Open sourcing requests ranked for an SME's or a cluster's products (its own people)."""
    org = get_object_or_404(Organisation, pk=organisation_id, merged_into__isnull=True)
    if not permissions.can_view_org(request.user, org):
        raise Http404
    if not permissions.can_edit_org(request.user, org):
        raise PermissionDenied(_("You do not act for this organisation."))
    matches = selectors.org_requests(user=request.user, org=org, limit=min(max(limit, 1), 100))
    return [
        {
            "request_id": m.request.pk,
            "title": m.request.title,
            "buyer_id": m.request.buyer_id,
            "buyer_name": m.request.buyer.name,
            "product_id": m.product_id,
            "product_name": m.product_name,
            "score": round(m.score, 4),
            "meets_requirements": m.passes,
            "verdict": m.verdict,
            "reasons": _reasons(m.reasons),
        }
        for m in matches
    ]


def _suggestions(text: str, top: int) -> list[dict]:
    return [
        {
            "code": s.code,
            "formatted": format_code(s.code),
            "description": s.description,
            "confidence": round(s.score, 4),
        }
        for s in selectors.hs_suggestions(text, top=top)
    ]


@router.get(
    "/hs/suggest",
    response={200: list[HsSuggestionOut], **ERRORS},
    auth=auth_optional,
    tags=["hs"],
)
def hs_suggest(request: HttpRequest, text: str, top: int = 5):
    """The most likely HS 2022 subheadings for a product description, in any of the region's
    languages, with a confidence in [0, 1]."""
    return _suggestions(text[:1000], min(max(top, 1), 20))


@router.post(
    "/hs/suggest",
    response={200: list[HsSuggestionOut], **ERRORS},
    auth=auth_optional,
    tags=["hs"],
)
def hs_suggest_post(request: HttpRequest, payload: HsSuggestIn):
    """As GET, for long descriptions."""
    return _suggestions(payload.text, payload.top)
