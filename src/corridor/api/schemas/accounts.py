"""Schemas of the caller's account and API tokens."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class MembershipOut(Schema):
    organisation_id: int
    organisation_name: str = Field(alias="organisation.name")
    role: str


class MeOut(Schema):
    id: int
    username: str
    email: str
    full_name: str
    language: str
    is_staff: bool = Field(alias="is_programme_staff")
    memberships: list[MembershipOut]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret, shown only this once: store it now.")


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
