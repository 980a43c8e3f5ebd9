"""Locale-aware formatting of numbers, money, quantities and dates (CLDR data through Babel).

Django's own l10n covers numbers for some of the region's languages only and knows nothing of
currencies; Babel carries the Unicode CLDR data for all of them (vi, th, km, lo, my). Every
function formats for the active Django language unless a language is passed, and always uses
Latin digits, which is what business documents in the region use.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django.conf import settings
from django.utils import timezone, translation

Number = int | float | Decimal | str


def babel_locale(language: str | None = None) -> Locale:
    """The Babel locale for a Django language code ('vi', 'en-us'), else the active language."""
    return _babel_locale(
        translation.to_locale(language or translation.get_language() or settings.LANGUAGE_CODE)
    )


@functools.lru_cache(maxsize=32)
def _babel_locale(code: str) -> Locale:
    for candidate in (code, code.split("_")[0], "en"):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    raise AssertionError("Babel always knows English")  # pragma: no cover


def format_countries(codes, language: str | None = None) -> str:
    """ISO alpha-2 codes (one, or a list) as country names in the language ('TH' -> 'Thái Lan')."""
    if not codes:
        return ""
    names = babel_locale(language).territories
    items = [codes] if isinstance(codes, str) else list(codes)
    return ", ".join(names.get(str(c).upper(), str(c)) for c in items)


def country_name(code: str, stored: str = "", language: str | None = None) -> str:
    """A country's name for the reader: the stored (English, ISO) name in English, else CLDR's
    name in the language ('VN' -> 'Việt Nam' in vi); the stored name when CLDR has none."""
    lang = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    if stored and lang.split("-")[0] == "en":
        return stored
    return babel_locale(language).territories.get(str(code).upper()) or stored or str(code)


def _decimal(value: Number | None) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def format_number(
    value: Number | None, decimals: int | None = None, language: str | None = None
) -> str:
    """'1234.5' -> '1,234.5' (en, th) or '1.234,5' (vi); `decimals` fixes the fraction digits."""
    number = _decimal(value)
    if number is None:
        return ""
    pattern = None
    if decimals is not None:
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return babel_numbers.format_decimal(
        number,
        format=pattern,
        locale=babel_locale(language),
        decimal_quantization=decimals is not None,
    )


def format_money(value: Number | None, currency: str = "", language: str | None = None) -> str:
    """An amount with its currency: VND 1234500 -> '1.234.500 ₫' (vi), THB -> '฿1,234.50' (th).

    The number of decimals is the currency's (none for VND, LAK, MMK; two for USD, THB).
    """
    number = _decimal(value)
    if number is None:
        return ""
    if not currency:
        return format_number(number, language=language)
    return babel_numbers.format_currency(number, currency.upper(), locale=babel_locale(language))


def format_money_range(
    low: Number | None, high: Number | None, currency: str = "", language: str | None = None
) -> str:
    """'฿20.00 – ฿35.00', or one amount when only one end is known (or both are equal)."""
    low_text = format_money(low, currency, language)
    high_text = format_money(high, currency, language)
    if low_text and high_text and low_text != high_text:
        return f"{low_text} – {high_text}"
    return low_text or high_text


def format_percent(value: Number | None, language: str | None = None) -> str:
    """A ratio as a percentage: 0.255 -> '26%' (en), '26 %' where the locale spaces it."""
    number = _decimal(value)
    if number is None:
        return ""
    return babel_numbers.format_percent(number, locale=babel_locale(language))


def _zone(tz: str | dt.tzinfo | None) -> dt.tzinfo:
    if isinstance(tz, dt.tzinfo):
        return tz
    if tz:
        try:
            return zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_current_timezone()


def _aware_in(value: dt.datetime, tz: str | dt.tzinfo | None) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value.astimezone(_zone(tz))


def format_date(
    value: dt.date | dt.datetime | None,
    tz: str | dt.tzinfo | None = None,
    length: str = "medium",
    language: str | None = None,
) -> str:
    """A calendar date for the locale: '25 thg 11, 2025' (vi), '25 พ.ย. 2025' (th).

    A datetime is first converted to `tz` (a zone name such as an event's), else the active zone.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = _aware_in(value, tz).date()
    return babel_dates.format_date(value, format=length, locale=babel_locale(language))


def format_datetime(
    value: dt.datetime | None,
    tz: str | dt.tzinfo | None = None,
    length: str = "medium",
    language: str | None = None,
) -> str:
    """Date and time (hours and minutes) in `tz` or the active zone: 'Nov 25, 2025, 14:30'."""
    if value is None or value == "":
        return ""
    locale = babel_locale(language)
    local = _aware_in(value, tz)
    date_text = babel_dates.format_date(local.date(), format=length, locale=locale)
    time_text = babel_dates.format_time(local, format="short", tzinfo=local.tzinfo, locale=locale)
    pattern = str(locale.datetime_formats.get(length, "{1} {0}"))
    return pattern.replace("{1}", date_text).replace("{0}", time_text)


def format_time(
    value: dt.datetime | dt.time | None,
    tz: str | dt.tzinfo | None = None,
    language: str | None = None,
) -> str:
    """Hours and minutes for the locale, a datetime first converted to `tz` or the active zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = _aware_in(value, tz)
        return babel_dates.format_time(
            value, format="short", tzinfo=value.tzinfo, locale=babel_locale(language)
        )
    return babel_dates.format_time(value, format="short", locale=babel_locale(language))
