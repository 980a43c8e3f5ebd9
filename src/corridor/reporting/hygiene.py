"""Typed text of the reporting app, cleaned by core.hygiene (control characters, lone
surrogates) also when a service is called without a form (API, demo, tasks)."""

from __future__ import annotations

from corridor.core.hygiene import clean_text


def clean(text: str | None) -> str:
    return clean_text(text or "").strip()
