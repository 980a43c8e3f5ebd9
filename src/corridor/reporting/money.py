"""The one place the reporting app converts money (core.money once it lands)."""

from __future__ import annotations

import datetime
from decimal import Decimal


def usd(amount: Decimal | None, currency: str, on_date: datetime.date) -> Decimal | None:
    """The amount in US dollars at the rate of `on_date`, or None when no rate is known."""
    if amount is None:
        return None
    try:
        from corridor.core.money import to_usd  # type: ignore[import-not-found]
    except ImportError:
        return amount if currency == "USD" else None
    value = to_usd(amount, currency, on_date)
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))
