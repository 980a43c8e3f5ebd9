"""Limit/offset pagination with a total count and a maximum page size."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_OFFSET = 1_000_000_000

T = TypeVar("T")


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (max 100).")
    # Bounded: a 64-bit overflow in the database's OFFSET would be a server error, not a 422.
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


class Page(Schema, Generic[T]):
    """One page of a list: `count` is the total over all pages."""

    count: int
    limit: int
    offset: int
    items: list[T]


def paginate(qs: QuerySet | list, params: PageParams) -> dict[str, Any]:
    """Slice a queryset (two queries: the count and the page) into the Page shape."""
    count = qs.count() if isinstance(qs, QuerySet) else len(qs)
    items = list(qs[params.offset : params.offset + params.limit]) if count else []
    return {"count": count, "limit": params.limit, "offset": params.offset, "items": items}
