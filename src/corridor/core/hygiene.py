"""Text hygiene at the edge: what comes in through forms, the API and imports is cleaned here.

- Control characters (C0 except tab/newline/carriage return, DEL, C1) are removed: they are
  never meaningful in a name or a description, and XML (hence XLSX) cannot hold most of them.
- Lone surrogates (half of a UTF-16 pair, e.g. JSON "\\ud800") cannot be stored or encoded as
  UTF-8: `clean_text` removes them, the API refuses a body holding one (400, see
  `corridor.api.parsers`).
- Single-line fields (names, codes) also lose tabs and line breaks; text is NFC-normalised.

`clean_text` is the one function; `CleanTextFormMixin` applies it to every text value a form
cleans; `clean_data` walks parsed JSON.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    return bool(_SURROGATE.search(text))


def clean_text(text: str, *, multiline: bool = True) -> str:
    """`text` without control characters and lone surrogates (NFC); on one line unless
    `multiline`."""
    if not text:
        return text
    text = _SURROGATE.sub("", _CONTROL.sub("", text))
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return unicodedata.normalize("NFC", text)


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
                field.to_python = _cleaning(field.to_python, multiline)


def _cleaning(to_python, multiline: bool):
    def to_python_clean(value: Any) -> Any:
        if isinstance(value, str):
            value = clean_text(value, multiline=multiline)
        return to_python(value)

    return to_python_clean
