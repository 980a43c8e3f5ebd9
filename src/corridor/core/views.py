"""Site-wide pages: the home page and the health check."""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from corridor.core.selectors import home_figures

logger = logging.getLogger("corridor.health")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"figures": home_figures()})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    token = uuid.uuid4().hex
    cache.set("corridor:healthz", token, 30)
    if cache.get("corridor:healthz") != token:
        raise RuntimeError("the cache did not return the value just written")


def _check_tasks() -> None:
    from huey.contrib.djhuey import HUEY

    # Reads the queue's storage (the SQLite file or Redis): fails when it is unreachable.
    HUEY.pending_count()


CHECKS = {"database": _check_database, "cache": _check_cache, "tasks": _check_tasks}


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the cache and the task queue all answer; 503 naming what failed."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            logger.error("health check failed", extra={"check": name, "error": str(exc)})
            results[name] = f"error: {type(exc).__name__}"
        else:
            results[name] = "ok"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503
    )
