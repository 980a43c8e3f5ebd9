"""Schemas of what organisations offer and seek: products, certifications, sourcing requests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from corridor.directory.vocab import CertificationKind, Currency, Frequency, Period, Unit

Amount = Decimal | None
OptUnit = Unit | Literal[""]


class ProductOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str = Field(alias="organisation.name")
    name: str
    local_name: str
    description: str
    hs_code: str | None = Field(None, alias="hs_code_id")
    capacity_amount: Amount
    capacity_unit: str
    capacity_period: str
    min_order_amount: Amount
    min_order_unit: str
    price_min: Amount
    price_max: Amount
    currency: str
    price_unit: str
    markets: list[str]
    is_active: bool
    updated_at: datetime


class ProductFilters(Schema):
    organisation: int | None = None
    hs: str | None = Field(None, pattern=r"^\d{2,6}$", description="HS code prefix.")
    country: str | None = Field(None, description="Country of the producer (ISO code).")
    q: str | None = Field(None, max_length=200, description="Words of the name or description.")


class ProductIn(Schema):
    organisation_id: int
    name: str = Field(min_length=1, max_length=200)
    local_name: str = Field("", max_length=200)
    description: str = ""
    hs_code: str | None = Field(None, pattern=r"^\d{2,6}$")
    capacity_amount: Amount = Field(None, ge=0)
    capacity_unit: OptUnit = ""
    capacity_period: Period = Period.MONTH
    min_order_amount: Amount = Field(None, ge=0)
    min_order_unit: OptUnit = ""
    price_min: Amount = Field(None, ge=0)
    price_max: Amount = Field(None, ge=0)
    currency: Currency = Currency.USD
    price_unit: OptUnit = ""
    markets: list[str] = []
    is_active: bool = True


class ProductPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    local_name: str | None = Field(None, max_length=200)
    description: str | None = None
    hs_code: str | None = Field(None, pattern=r"^\d{2,6}$")
    capacity_amount: Amount = Field(None, ge=0)
    capacity_unit: OptUnit | None = None
    capacity_period: Period | None = None
    min_order_amount: Amount = Field(None, ge=0)
    min_order_unit: OptUnit | None = None
    price_min: Amount = Field(None, ge=0)
    price_max: Amount = Field(None, ge=0)
    currency: Currency | None = None
    price_unit: OptUnit | None = None
    markets: list[str] | None = None
    is_active: bool | None = None


class CertificationOut(Schema):
    id: int
    organisation_id: int
    product_id: int | None
    kind: str
    issuer: str
    number: str
    valid_until: date | None
    is_valid: bool


class CertificationIn(Schema):
    organisation_id: int
    product_id: int | None = None
    kind: CertificationKind
    issuer: str = Field("", max_length=200)
    number: str = Field("", max_length=100)
    valid_until: date | None = None


class CertificationPatch(Schema):
    product_id: int | None = None
    kind: CertificationKind | None = None
    issuer: str | None = Field(None, max_length=200)
    number: str | None = Field(None, max_length=100)
    valid_until: date | None = None


class SourcingRequestOut(Schema):
    id: int
    buyer_id: int
    buyer_name: str = Field(alias="buyer.name")
    title: str
    description: str
    hs_code: str | None = Field(None, alias="hs_code_id")
    quantity_amount: Amount
    quantity_unit: str
    frequency: str
    target_price: Amount
    currency: str
    required_certifications: list[str]
    destination: str | None = Field(None, alias="destination_id")
    preferred_countries: list[str]
    deadline: date | None
    status: str
    created_at: datetime


class SourcingRequestFilters(Schema):
    buyer: int | None = None
    status: Literal["open", "closed"] | None = None
    hs: str | None = Field(None, pattern=r"^\d{2,6}$", description="HS code prefix.")


class SourcingRequestIn(Schema):
    buyer_id: int
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    hs_code: str | None = Field(None, pattern=r"^\d{2,6}$")
    quantity_amount: Amount = Field(None, ge=0)
    quantity_unit: OptUnit = ""
    frequency: Frequency = Frequency.ONCE
    target_price: Amount = Field(None, ge=0)
    currency: Currency = Currency.USD
    required_certifications: list[CertificationKind] = []
    destination: str | None = Field(None, min_length=2, max_length=2)
    preferred_countries: list[str] = []
    deadline: date | None = None
    status: Literal["open", "closed"] = "open"


class SourcingRequestPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    hs_code: str | None = Field(None, pattern=r"^\d{2,6}$")
    quantity_amount: Amount = Field(None, ge=0)
    quantity_unit: OptUnit | None = None
    frequency: Frequency | None = None
    target_price: Amount = Field(None, ge=0)
    currency: Currency | None = None
    required_certifications: list[CertificationKind] | None = None
    destination: str | None = Field(None, min_length=2, max_length=2)
    preferred_countries: list[str] | None = None
    deadline: date | None = None
    status: Literal["open", "closed"] | None = None
