"""Text hygiene at the edge: what comes in through forms, the API and imports is cleaned here.

- Control characters (C0 except tab/newline/carriage return, DEL, C1) are removed: they are
  never meaningful in a name or a description, and XML (hence XLSX) cannot hold most of them.
- Lone surrogates (half of a UTF-16 pair, e.g. JSON "\\ud800") cannot be stored or encoded as
  UTF-8: `clean_text` removes them, the API refuses a body holding one (400, see
  `corridor.api.parsers`).
- Single-line fields (names, codes) also lose tabs and line breaks; text is NFC-normalised.
- Burmese typed in the Zawgyi font encoding is converted to Unicode (`core.text`), so what a
  Zawgyi phone sends is stored, searched and shown like everyone else's Burmese. Passwords are
  left as typed.
- Decimal fields of a form show their value without trailing zeros: a capacity stored as
  900.000 reads "900", not "900.000", which a Vietnamese reader takes for nine hundred thousand.

`clean_text` is the one function; `CleanTextFormMixin` applies it to every text value a form
cleans; `clean_data` walks parsed JSON.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from corridor.core.text import zawgyi_to_unicode

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    return bool(_SURROGATE.search(text))


def clean_text(text: str, *, multiline: bool = True, zawgyi: bool = True) -> str:
    """`text` without control characters and lone surrogates (NFC), Zawgyi Burmese as Unicode
    unless `zawgyi` is off; on one line unless `multiline`."""
    if not text:
        return text
    text = _SURROGATE.sub("", _CONTROL.sub("", text))
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    if zawgyi:
        text = zawgyi_to_unicode(text)
    return unicodedata.normalize("NFC", text)


def plain_decimal(value: Any) -> Any:
    """A Decimal without its trailing zeros and never in exponent form (900.000 -> 900,
    2.50 -> 2.5); anything else unchanged."""
    if isinstance(value, Decimal) and value.is_finite():
        text = format(value.normalize(), "f")
        return Decimal(text)
    return value


def clean_data(value: Any) -> Any:
    """Parsed JSON (dicts, lists, strings) with every string cleaned (keys included)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    return value


def contains_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return has_lone_surrogate(value)
    if isinstance(value, dict):
        return any(
            contains_lone_surrogate(k) or contains_lone_surrogate(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(contains_lone_surrogate(v) for v in value)
    return False


class CleanTextFormMixin:
    """A form mixin: every text field of the form (CharField and its kinds: email, URL, slug...)
    drops control characters and lone surrogates as its first step, before validators, the
    form's `clean_<field>`/`clean` and the model see the value. Single-line inputs (not a
    Textarea) also lose tabs and line breaks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django import forms

        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea)
                secret = isinstance(field.widget, forms.PasswordInput)
                field.to_python = _cleaning(field.to_python, multiline, not secret)
            elif isinstance(field, forms.DecimalField):
                field.widget.format_value = _plain(field.widget.format_value)


def _cleaning(to_python, multiline: bool, zawgyi: bool = True):
    def to_python_clean(value: Any) -> Any:
        if isinstance(value, str):
            value = clean_text(value, multiline=multiline, zawgyi=zawgyi)
        return to_python(value)

    return to_python_clean


def _plain(format_value):
    def format_plain(value: Any) -> Any:
        return format_value(plain_decimal(value))

    return format_plain
