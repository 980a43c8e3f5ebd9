"""The one place the reporting app cleans typed text (core.hygiene once it lands): control
characters and lone surrogates, which break exports, emails and PostgreSQL, are removed."""

from __future__ import annotations

import re

_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean(text: str | None) -> str:
    if not text:
        return ""
    try:
        from corridor.core.hygiene import clean_text  # type: ignore[import-not-found]
    except ImportError:
        return _BAD.sub("", text).strip()
    return clean_text(text).strip()
