"""Template filters that format numbers, money, quantities and dates for the active language.

{% load corridor_format %}
{{ product.price_min|money:product.currency }}         1.234.500 ₫ (vi)   ฿1,234.50 (th)
{% money_range product.price_min product.price_max product.currency %}
{{ product.capacity_amount|quantity:product.capacity_unit }}   1.234,5 kg (vi)
{{ figure|number }}  {{ ratio|percent }}
{{ product.markets|countries }}   Japon, Thaïlande...: country names in the active language
{{ request.required_certifications|certifications }}   the translated labels
{{ event.starts_at|local_datetime:event.timezone }}   in the event's zone
{{ obj.created_at|local_date }}                       in the active (user's) zone
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from corridor.core import formatting
from corridor.directory.vocab import CertificationKind, Unit

register = template.Library()


@register.filter
def number(value, decimals=None) -> str:
    """`{{ x|number }}` groups digits for the locale; `{{ x|number:2 }}` fixes two decimals."""
    try:
        places = int(decimals) if decimals not in (None, "") else None
    except (TypeError, ValueError):
        places = None
    return formatting.format_number(value, places)


@register.filter
def money(value, currency="") -> str:
    """`{{ amount|money:"VND" }}`: the amount with the currency's symbol and decimals."""
    return formatting.format_money(value, currency or "")


@register.simple_tag
def money_range(low, high, currency="") -> str:
    """`{% money_range p.price_min p.price_max p.currency %}`: '฿20.00 – ฿35.00' or one end."""
    return formatting.format_money_range(low, high, currency or "")


@register.filter
def quantity(value, unit="") -> str:
    """`{{ amount|quantity:"kg" }}`: the number for the locale and the translated unit label."""
    text = formatting.format_number(value)
    if not text or not unit:
        return text
    label = Unit(unit).label if unit in Unit.values else unit
    return f"{text}\N{NO-BREAK SPACE}{label}"


@register.filter
def countries(codes) -> str:
    """ISO alpha-2 codes (a list or one) as country names in the active language."""
    return formatting.format_countries(codes)


@register.filter
def certifications(kinds) -> str:
    """Certification kinds (a list) as their translated labels."""
    labels = dict(CertificationKind.choices)
    return ", ".join(str(labels.get(k, k)) for k in kinds or [])


@register.filter
def percent(value) -> str:
    """`{{ 0.25|percent }}` -> '25%' with the locale's sign placement."""
    return formatting.format_percent(value)


@register.filter
def local_date(value, tz="") -> str:
    """`{{ dt|local_date }}` in the active zone, or `{{ dt|local_date:"Asia/Yangon" }}`."""
    return formatting.format_date(value, tz or None)


@register.filter
def local_datetime(value, tz="") -> str:
    """`{{ dt|local_datetime:event.timezone }}`: date and time in that zone (else the active one)."""
    return formatting.format_datetime(value, tz or None)


@register.filter
def local_time(value, tz="") -> str:
    """`{{ dt|local_time:event.timezone }}`: hours and minutes in that zone."""
    if isinstance(value, dt.datetime | dt.time):
        return formatting.format_time(value, tz or None)
    return ""


@register.filter(is_safe=True)
def charrefs(value) -> SafeString:
    """Escape text and write every non-ASCII character as a numeric character reference.

    The language switcher names each language in its own script; written as references, those
    names no longer make the script-fonts middleware load four web fonts on every page.
    Text is composed first (NFC): Django spells "Tiếng Việt" with combining accents.
    """
    text = unicodedata.normalize("NFC", str(value))
    return mark_safe("".join(ch if ord(ch) < 128 else f"&#{ord(ch)};" for ch in escape(text)))
