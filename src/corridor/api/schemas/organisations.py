"""Schemas of organisations (SMEs, clusters, buyers, support organisations) and their contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from corridor.api.auth import may_see_contacts
from corridor.directory.vocab import BuyerType, OrgKind, SupportType


def _request(context) -> object | None:
    return (context or {}).get("request")


def _allowed(obj, context) -> bool:
    """Whether the caller may see the organisation's contact details."""
    request = _request(context)
    return request is not None and may_see_contacts(request, obj.id)


class ContactPersonOut(Schema):
    name: str
    position: str
    email: str
    phone: str
    languages: str
    is_primary: bool


class OrganisationOut(Schema):
    """A profile. `email`, `phone`, `address` and `contacts` are null unless the caller may see
    them (programme staff, the organisation's own people, and accepted connections): the rule
    of the profile page."""

    id: int
    kind: str
    name: str
    local_name: str
    slug: str
    description: str
    local_description: str
    country: str = Field(alias="country_id")
    province: str | None = Field(None, alias="province_id")
    address: str | None = None
    website: str
    founded_year: int | None
    employees: int | None
    cluster_id: int | None
    product_focus: str
    is_export_consortium: bool
    buyer_type: str
    support_type: str
    is_published: bool
    is_verified: bool
    updated_at: datetime
    email: str | None = None
    phone: str | None = None
    contacts: list[ContactPersonOut] | None = None

    @staticmethod
    def resolve_email(obj, context) -> str | None:
        return obj.email if _allowed(obj, context) else None

    @staticmethod
    def resolve_address(obj, context) -> str | None:
        return obj.address if _allowed(obj, context) else None

    @staticmethod
    def resolve_phone(obj, context) -> str | None:
        return obj.phone if _allowed(obj, context) else None

    @staticmethod
    def resolve_contacts(obj, context) -> list | None:
        return list(obj.contacts.all()) if _allowed(obj, context) else None


class ClusterOut(OrganisationOut):
    member_count: int = Field(0, description="Published member enterprises.")


class OrganisationFilters(Schema):
    kind: OrgKind | None = None
    country: str | None = Field(None, description="ISO country code, e.g. VN.")
    province: str | None = Field(None, description="Province code, e.g. VN-2025-01.")
    cluster: int | None = Field(None, description="Members of this cluster (id).")
    hs: str | None = Field(None, pattern=r"^\d{2,6}$", description="HS code prefix of a product.")
    certification: str | None = Field(None, description="Holds this valid certification.")
    q: str | None = Field(None, max_length=200, description="Full-text search.")


class OrganisationIn(Schema):
    kind: OrgKind
    name: str = Field(min_length=1, max_length=200)
    local_name: str = Field("", max_length=200)
    description: str = ""
    local_description: str = ""
    country: str = Field(min_length=2, max_length=2)
    province: str | None = None
    address: str = Field("", max_length=300)
    website: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    founded_year: int | None = Field(None, ge=1800, le=2100)
    employees: int | None = Field(None, ge=0)
    cluster_id: int | None = None
    product_focus: str = Field("", max_length=200)
    is_export_consortium: bool = False
    buyer_type: BuyerType | Literal[""] = ""
    support_type: SupportType | Literal[""] = ""
    is_published: bool = Field(False, description="The owner consents to a public profile.")


class OrganisationPatch(Schema):
    """Fields to change; absent fields stay as they are."""

    name: str | None = Field(None, min_length=1, max_length=200)
    local_name: str | None = Field(None, max_length=200)
    description: str | None = None
    local_description: str | None = None
    province: str | None = None
    address: str | None = Field(None, max_length=300)
    website: str | None = None
    email: str | None = None
    phone: str | None = Field(None, max_length=40)
    founded_year: int | None = Field(None, ge=1800, le=2100)
    employees: int | None = Field(None, ge=0)
    cluster_id: int | None = None
    product_focus: str | None = Field(None, max_length=200)
    is_export_consortium: bool | None = None
    buyer_type: BuyerType | Literal[""] | None = None
    support_type: SupportType | Literal[""] | None = None
    is_published: bool | None = None
    consent_note: str = Field(
        "",
        max_length=300,
        description="Staff changing is_published for an owner: how the owner gave consent.",
    )
