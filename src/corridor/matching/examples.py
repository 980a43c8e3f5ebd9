"""Confirmed HS examples from the configured database, for suggestions (fail-soft)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def load_confirmed() -> list[tuple[str, str]]:
    """(text, code) pairs users confirmed; empty when no database is configured or reachable.

    The command line runs without Django too: it only asks the database when a settings module
    is configured, and any failure (no table yet, no server) means "no examples".
    """
    default_db = Path(os.environ.get("CORRIDOR_DATA_DIR", "data")) / "corridor.sqlite3"
    configured = os.environ.get("DJANGO_SETTINGS_MODULE") or os.environ.get("DATABASE_URL")
    if not configured and not default_db.exists():
        return []
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
        import django

        django.setup()
        from corridor.matching.models import HsExample

        return list(HsExample.objects.values_list("text", "code"))
    except Exception as exc:  # noqa: BLE001 - any database problem means no examples
        log.debug("no confirmed HS examples: %s", exc)
        return []
