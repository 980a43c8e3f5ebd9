"""Quantity units: a small vocabulary, conversions within a dimension, periods → per month."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# unit code -> (dimension, factor to the dimension's base unit). Base units: kg, m, m2, l, piece.
UNITS: dict[str, tuple[str, float]] = {
    "mg": ("mass", 1e-6),
    "g": ("mass", 1e-3),
    "kg": ("mass", 1.0),
    "t": ("mass", 1000.0),
    "lb": ("mass", 0.45359237),
    "mm": ("length", 1e-3),
    "cm": ("length", 1e-2),
    "m": ("length", 1.0),
    "km": ("length", 1000.0),
    "m2": ("area", 1.0),
    "ha": ("area", 10_000.0),
    "ml": ("volume", 1e-3),
    "l": ("volume", 1.0),
    "m3": ("volume", 1000.0),
    "piece": ("count", 1.0),
    "pair": ("count", 2.0),
    "dozen": ("count", 12.0),
    "set": ("set", 1.0),
    # Containers are a volume of goods whose weight depends on the product: their own dimension.
    "container_20ft": ("container", 1.0),
    "container_40ft": ("container", 2.0),  # in TEU, the usual way to compare boxes
}
# Spellings seen in forms and spreadsheets of the region -> unit code.
ALIASES: dict[str, str] = {
    "milligram": "mg",
    "milligrams": "mg",
    "gram": "g",
    "grams": "g",
    "gr": "g",
    "kgs": "kg",
    "kilo": "kg",
    "kilos": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "tonne": "t",
    "tonnes": "t",
    "ton": "t",
    "tons": "t",
    "mt": "t",
    "metric ton": "t",
    "tấn": "t",
    "tan": "t",
    "ตัน": "t",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "meter": "m",
    "meters": "m",
    "metre": "m",
    "metres": "m",
    "sqm": "m2",
    "m²": "m2",
    "square meter": "m2",
    "square metre": "m2",
    "square meters": "m2",
    "square metres": "m2",
    "hectare": "ha",
    "hectares": "ha",
    "litre": "l",
    "liter": "l",
    "litres": "l",
    "liters": "l",
    "ltr": "l",
    "millilitre": "ml",
    "milliliter": "ml",
    "cbm": "m3",
    "m³": "m3",
    "pc": "piece",
    "pcs": "piece",
    "pieces": "piece",
    "unit": "piece",
    "units": "piece",
    "item": "piece",
    "items": "piece",
    "pairs": "pair",
    "doz": "dozen",
    "dozens": "dozen",
    "sets": "set",
    "container": "container_20ft",
    "containers": "container_20ft",
    "20ft": "container_20ft",
    "20'": "container_20ft",
    "teu": "container_20ft",
    "fcl": "container_20ft",
    "40ft": "container_40ft",
    "40'": "container_40ft",
    "feu": "container_40ft",
    "40hc": "container_40ft",
}
# Display symbols for reasons ("20 t/month").
SYMBOLS: dict[str, str] = {
    "m2": "m²",
    "m3": "m³",
    "piece": "pcs",
    "pair": "pairs",
    "dozen": "dozen",
    "set": "sets",
    "container_20ft": "× 20ft",
    "container_40ft": "× 40ft",
}
# period -> how many of them make a month (a year is 12 months, a month 52/12 weeks).
PERIODS: dict[str, float] = {
    "day": 365.0 / 12.0,
    "week": 52.0 / 12.0,
    "month": 1.0,
    "quarter": 1.0 / 3.0,
    "year": 1.0 / 12.0,
}
_PERIOD_ALIASES = {
    "d": "day",
    "daily": "day",
    "days": "day",
    "wk": "week",
    "weekly": "week",
    "weeks": "week",
    "mo": "month",
    "monthly": "month",
    "months": "month",
    "quarterly": "quarter",
    "y": "year",
    "yr": "year",
    "annual": "year",
    "annually": "year",
    "yearly": "year",
    "years": "year",
}


def normalise_unit(unit: str | None) -> str | None:
    """A unit code from a spelling ('Tonnes' -> 't', 'pcs' -> 'piece'), None when unknown."""
    if not unit:
        return None
    key = re.sub(r"\s+", " ", str(unit).strip().casefold()).rstrip(".")
    if key in UNITS:
        return key
    return ALIASES.get(key)


def normalise_period(per: str | None) -> str | None:
    """A period code ('monthly' -> 'month'); None for a one-off quantity or an unknown period."""
    if not per:
        return None
    key = str(per).strip().casefold().lstrip("/")
    if key in PERIODS:
        return key
    return _PERIOD_ALIASES.get(key)


@dataclass(frozen=True, slots=True)
class Quantity:
    """An amount of a unit, optionally per period: 20 t per month."""

    amount: float
    unit: str
    per: str | None = None

    @classmethod
    def parse(cls, data: dict | Quantity | None) -> Quantity | None:
        """From {"amount": 20, "unit": "t", "per": "month"}; None when absent or unusable."""
        if data is None or isinstance(data, Quantity):
            return data
        try:
            amount = float(data["amount"])
        except (KeyError, TypeError, ValueError):
            return None
        unit = normalise_unit(data.get("unit"))
        if unit is None or not math.isfinite(amount) or amount < 0:
            return None
        return cls(amount, unit, normalise_period(data.get("per")))

    @property
    def dimension(self) -> str:
        return UNITS[self.unit][0]

    def base(self) -> float:
        """The amount in the dimension's base unit (kg, m, m², l, pieces, sets, TEU)."""
        return self.amount * UNITS[self.unit][1]

    def per_month(self) -> float:
        """Base amount per month; a quantity without period is taken as it is."""
        return self.base() * PERIODS[self.per] if self.per else self.base()

    def render(self) -> str:
        """'20 t/month', '1,500 kg', '2 × 20ft/week'."""
        amount = f"{self.amount:,.0f}" if self.amount == int(self.amount) else f"{self.amount:,g}"
        symbol = SYMBOLS.get(self.unit, self.unit)
        text = f"{amount}{symbol}" if symbol.startswith("×") else f"{amount} {symbol}"
        text = text.replace("× ", " × ")
        return f"{text}/{self.per}" if self.per else text


def compare_capacity(capacity: Quantity | None, requested: Quantity | None) -> bool | None:
    """True if capacity covers the request, False if it clearly does not, None when unknown.

    Unknown covers a missing side and units of different dimensions (pieces vs kg): a missing
    fact is not a failure. A periodic capacity against a one-off request compares one month of
    capacity with the whole request, the usual lead time for an SME's order.
    """
    if capacity is None or requested is None or capacity.dimension != requested.dimension:
        return None
    if requested.per is None or capacity.per is None:
        return capacity.per_month() >= requested.base() * (1 - 1e-9)
    return capacity.per_month() >= requested.per_month() * (1 - 1e-9)
