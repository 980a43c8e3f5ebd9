"""Schemas of connections between organisations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema


class OrgRef(Schema):
    id: int
    name: str
    slug: str


class ConnectionOut(Schema):
    id: int
    from_org: OrgRef
    to_org: OrgRef
    status: str
    message: str
    source: str
    # The buyer's sourcing request this connection answers, if any.
    sourcing_request_id: int | None = None
    created_at: datetime
    responded_at: datetime | None


class ConnectionIn(Schema):
    from_org_id: int = Field(description="The organisation you act for.")
    to_org_id: int
    message: str = Field("", max_length=2000)


class ConnectionFilters(Schema):
    status: Literal["requested", "accepted", "declined", "withdrawn", "disconnected"] | None = None
