"""Money in US dollars: a dated exchange-rate table that staff keep (no internet needed).

`to_usd(amount, currency, on_date)` converts one amount with the rate valid on that day (the
latest rate whose `valid_from` is on or before it). Summing many amounts, load a `RateTable`
once (two queries at most) and call its `to_usd`. A currency with no rate on or before the date
gives None: callers count such amounts as "not converted" rather than guess.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

USD = "USD"
CENT = Decimal("0.01")


class RateTable:
    """Every exchange rate in memory, for converting many amounts with no query each."""

    def __init__(self, rows: Iterable[tuple[str, datetime.date, Decimal]]) -> None:
        self._dates: dict[str, list[datetime.date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, valid_from, rate in sorted(rows, key=lambda r: (r[0], r[1])):
            self._dates.setdefault(currency, []).append(valid_from)
            self._rates.setdefault(currency, []).append(Decimal(rate))

    @classmethod
    def load(cls, currencies: Iterable[str] | None = None) -> RateTable:
        from corridor.followup.models import ExchangeRate

        qs = ExchangeRate.objects.order_by()
        if currencies is not None:
            qs = qs.filter(currency__in=[c for c in currencies if c != USD])
        return cls(qs.values_list("currency", "valid_from", "usd_per_unit"))

    def rate(self, currency: str, on_date: datetime.date) -> Decimal | None:
        """US dollars per unit of `currency` on `on_date`, or None when no rate is known."""
        if currency == USD:
            return Decimal(1)
        dates = self._dates.get(currency)
        if not dates:
            return None
        i = bisect.bisect_right(dates, on_date)
        return self._rates[currency][i - 1] if i else None

    def to_usd(
        self, amount: Decimal | int | float | None, currency: str, on_date: datetime.date
    ) -> Decimal | None:
        if amount is None:
            return None
        rate = self.rate(currency, on_date)
        if rate is None:
            return None
        return (Decimal(str(amount)) * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def rate_on(currency: str, on_date: datetime.date) -> Decimal | None:
    """The rate valid on `on_date` (one query), or None."""
    if currency == USD:
        return Decimal(1)
    from corridor.followup.models import ExchangeRate

    row = (
        ExchangeRate.objects.filter(currency=currency, valid_from__lte=on_date)
        .order_by("-valid_from")
        .values_list("usd_per_unit", flat=True)
        .first()
    )
    return row


def to_usd(
    amount: Decimal | int | float | None, currency: str, on_date: datetime.date
) -> Decimal | None:
    """`amount` of `currency` in US dollars at the rate valid on `on_date`, rounded to cents;
    None when the amount is unknown or no rate was valid on that day."""
    if amount is None:
        return None
    rate = rate_on(currency, on_date)
    if rate is None:
        return None
    return (Decimal(str(amount)) * rate).quantize(CENT, rounding=ROUND_HALF_UP)
