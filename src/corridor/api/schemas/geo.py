"""Schemas of the reference data: countries, provinces, corridors, border crossings, HS codes."""

from __future__ import annotations

from ninja import Field, Schema


class CountryOut(Schema):
    code: str
    name: str
    local_name: str
    timezone: str


class ProvinceOut(Schema):
    code: str
    country: str = Field(alias="country_id")
    name: str
    local_name: str
    kind: str
    is_current: bool
    successor: str | None = Field(None, alias="successor_id")


class CorridorOut(Schema):
    slug: str
    name: str
    description: str
    provinces: list[str]

    @staticmethod
    def resolve_provinces(obj) -> list[str]:
        return [p.code for p in obj.provinces.all()]


class BorderCrossingOut(Schema):
    id: int
    name: str
    province_a: str = Field(alias="province_a_id")
    province_b: str = Field(alias="province_b_id")
    mode: str


class HSCodeOut(Schema):
    code: str
    dotted: str
    description: str
    level: int
    parent: str | None = Field(None, alias="parent_id")
    section: str
