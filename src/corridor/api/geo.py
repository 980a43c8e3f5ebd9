"""Reference data, open to everyone: countries, provinces, corridors, border crossings, HS codes."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from corridor.api.auth import auth_optional
from corridor.api.errors import ERRORS
from corridor.api.pagination import Page, PageParams, paginate
from corridor.api.schemas.geo import (
    BorderCrossingOut,
    CorridorOut,
    CountryOut,
    HSCodeOut,
    ProvinceOut,
)
from corridor.core.text import fold
from corridor.directory.models import (
    BorderCrossing,
    Country,
    EconomicCorridor,
    HSCode,
    Province,
)

router = Router(tags=["reference data"], auth=auth_optional)


class ProvinceFilters(Schema):
    country: str | None = Field(None, description="ISO country code.")
    current: bool | None = Field(None, description="Only current (or only abolished) units.")


class HSFilters(Schema):
    prefix: str | None = Field(None, pattern=r"^\d{1,6}$", description="Codes starting with.")
    level: int | None = Field(None, description="2 chapters, 4 headings, 6 subheadings.")
    q: str | None = Field(None, max_length=100, description="Words of the description.")


@router.get("/countries", response={200: list[CountryOut], **ERRORS})
def country_list(request: HttpRequest):
    return Country.objects.order_by("name")


@router.get("/provinces", response={200: list[ProvinceOut], **ERRORS})
def province_list(request: HttpRequest, filters: Query[ProvinceFilters]):
    qs = Province.objects.order_by("country_id", "name")
    if filters.country:
        qs = qs.filter(country_id=filters.country.upper())
    if filters.current is not None:
        qs = qs.filter(is_current=filters.current)
    return qs


@router.get("/corridors", response={200: list[CorridorOut], **ERRORS})
def corridor_list(request: HttpRequest):
    return EconomicCorridor.objects.prefetch_related("provinces").order_by("name")


@router.get("/border-crossings", response={200: list[BorderCrossingOut], **ERRORS})
def border_crossing_list(request: HttpRequest):
    return BorderCrossing.objects.order_by("name")


@router.get("/hs-codes", response={200: Page[HSCodeOut], **ERRORS})
def hs_code_list(request: HttpRequest, filters: Query[HSFilters], page: Query[PageParams]):
    """Look up HS 2022 codes by prefix and by words of their description."""
    qs = HSCode.objects.order_by("code")
    if filters.prefix:
        qs = qs.filter(code__startswith=filters.prefix)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.q:
        # Descriptions are English; fold() only lowers case and strips accents here.
        for word in fold(filters.q).split():
            qs = qs.filter(Q(description__icontains=word))
    return paginate(qs, page)


@router.get("/hs-codes/{code}", response={200: HSCodeOut, **ERRORS})
def hs_code_detail(request: HttpRequest, code: str):
    return get_object_or_404(HSCode, pk=code)
