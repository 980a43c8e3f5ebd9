"""corridor.core.money: conversion to US dollars with the rate valid on the day."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from corridor.core import money
from corridor.followup.models import ExchangeRate

D = datetime.date


@pytest.fixture
def rates(db):
    ExchangeRate.objects.create(currency="THB", valid_from=D(2025, 1, 1), usd_per_unit="0.029")
    ExchangeRate.objects.create(currency="THB", valid_from=D(2025, 7, 1), usd_per_unit="0.031")
    ExchangeRate.objects.create(currency="VND", valid_from=D(2025, 1, 1), usd_per_unit="0.00004")


def test_to_usd_uses_the_rate_valid_on_the_day(rates):
    assert money.to_usd(Decimal("1000"), "THB", D(2025, 6, 30)) == Decimal("29.00")
    assert money.to_usd(Decimal("1000"), "THB", D(2025, 7, 1)) == Decimal("31.00")
    assert money.to_usd(Decimal("1000"), "THB", D(2026, 1, 1)) == Decimal("31.00")


def test_to_usd_before_the_first_rate_or_unknown_currency_is_none(rates):
    assert money.to_usd(Decimal("1000"), "THB", D(2024, 12, 31)) is None
    assert money.to_usd(Decimal("1000"), "LAK", D(2025, 6, 1)) is None
    assert money.to_usd(None, "THB", D(2025, 6, 1)) is None


def test_to_usd_dollars_need_no_rate(db):
    assert money.to_usd(Decimal("12.345"), "USD", D(2020, 1, 1)) == Decimal("12.35")


def test_rate_table_matches_single_conversions(rates, django_assert_num_queries):
    with django_assert_num_queries(1):
        table = money.RateTable.load()
    with django_assert_num_queries(0):
        got = [
            table.to_usd(Decimal("25000000"), "VND", D(2025, 3, 1)),
            table.to_usd(Decimal("1000"), "THB", D(2025, 6, 30)),
            table.to_usd(Decimal("1000"), "THB", D(2025, 7, 2)),
            table.to_usd(Decimal("1000"), "THB", D(2024, 1, 1)),
        ]
    assert got == [Decimal("1000.00"), Decimal("29.00"), Decimal("31.00"), None]
