"""Costs in US dollars through core.money's dated exchange rates."""

from __future__ import annotations

import datetime
from decimal import Decimal

from corridor.core.money import to_usd


def usd(amount: Decimal | None, currency: str, on_date: datetime.date) -> Decimal | None:
    """The amount in US dollars at the rate of `on_date`, or None when no rate is known."""
    return to_usd(amount, currency, on_date)
