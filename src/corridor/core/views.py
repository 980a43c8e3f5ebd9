"""Site-wide pages: the home page, the help pages, the favicon and the health check."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

from corridor.core.selectors import home_figures

logger = logging.getLogger("corridor.health")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"figures": home_figures()})


# The help pages linked from every page's footer (templates core/help/<name>.html).
HELP_PAGES = ("matching", "privacy", "terms", "contact")


def help_page(request: HttpRequest, name: str) -> HttpResponse:
    if name not in HELP_PAGES:
        raise Http404
    context = {"help_pages": HELP_PAGES, "page": name, "support_email": settings.SUPPORT_EMAIL}
    return render(request, f"core/help/{name}.html", context)


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the pages link: send them to the static file."""
    return redirect(static("corridor/favicon.ico"))


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
