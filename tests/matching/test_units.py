"""Units: conversions within a dimension, periods, and capacity comparison."""

from __future__ import annotations

import pytest

from corridor.matching.units import Quantity, compare_capacity, normalise_period, normalise_unit


def q(amount, unit, per=None):
    return Quantity.parse({"amount": amount, "unit": unit, "per": per})


def test_aliases():
    assert normalise_unit("Tonnes") == "t"
    assert normalise_unit("pcs") == "piece"
    assert normalise_unit("m²") == "m2"
    assert normalise_unit("40HC") == "container_40ft"
    assert normalise_unit("furlong") is None
    assert normalise_period("monthly") == "month"


def test_conversions_and_periods():
    assert q(2, "t").base() == 2000
    assert q(500, "g").base() == pytest.approx(0.5)
    assert q(1, "dozen").base() == 12
    assert q(1, "t", "week").per_month() == pytest.approx(1000 * 52 / 12)
    assert q(12, "t", "year").per_month() == pytest.approx(1000)
    assert q(2, "l", "day").per_month() == pytest.approx(2 * 365 / 12)


def test_capacity_comparison():
    assert compare_capacity(q(20, "t", "month"), q(5, "t", "month")) is True
    assert compare_capacity(q(2000, "kg", "week"), q(5, "t", "month")) is True
    assert compare_capacity(q(1, "t", "month"), q(5000, "kg", "month")) is False
    assert compare_capacity(q(60, "t", "year"), q(6, "t", "month")) is False
    # pieces against kilograms: unknown, never a failure
    assert compare_capacity(q(1000, "piece", "month"), q(5, "t", "month")) is None
    assert compare_capacity(None, q(5, "t")) is None


def test_bad_quantities():
    assert Quantity.parse({"amount": "x", "unit": "t"}) is None
    assert Quantity.parse({"amount": 3, "unit": "parsec"}) is None
    assert Quantity.parse({"amount": -1, "unit": "t"}) is None
    assert q(20, "t", "month").render() == "20 t/month"
    assert q(2, "40ft").render() == "2 × 40ft"
