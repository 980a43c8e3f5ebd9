"""Middleware: web fonts only for the scripts a page contains; a 503 when the database is down."""

from __future__ import annotations

import base64
import hashlib
import logging
import sys

from django.core.signals import got_request_exception
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.translation import gettext

from corridor.core.text import scripts_in

PLACEHOLDER = b"<!--script-fonts-->"
logger = logging.getLogger("corridor.health")
# Scripts whose glyphs many phones lack; each has a subset Noto font in static/corridor/fonts/.

FONT_FAMILIES = {
    "thai": "Noto Sans Thai",
    "lao": "Noto Sans Lao",
    "khmer": "Noto Sans Khmer",
    "myanmar": "Noto Sans Myanmar",
}


def font_face_css(scripts: set[str]) -> str:
    rules = []
    for script in sorted(scripts & FONT_FAMILIES.keys()):
        url = static(f"corridor/fonts/{script}.woff2")
        rules.append(
            f"@font-face{{font-family:'{FONT_FAMILIES[script]}';src:url('{url}') format('woff2');"
            "font-display:swap}"
        )
    return "".join(rules)


def _allow_style(response, css: str) -> None:
    """Let the Content-Security-Policy (set by django-csp, which runs inside this middleware)
    accept exactly this inline <style>, by its hash: no 'unsafe-inline'."""
    for header in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
        policy = response.get(header)
        if not policy:
            continue
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        source = f"'sha256-{digest}'"
        parts = [p.strip() for p in policy.split(";") if p.strip()]
        for i, part in enumerate(parts):
            if part.split()[0] == "style-src":
                parts[i] = f"{part} {source}"
                break
        else:
            parts.append(f"style-src 'self' {source}")
        response[header] = "; ".join(parts)


class ScriptFontsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if (
            response.streaming
            or not content_type.startswith("text/html")
            or PLACEHOLDER not in response.content
        ):
            return response
        css = font_face_css(scripts_in(response.content.decode("utf-8", "replace")))
        tag = f"<style>{css}</style>".encode() if css else b""
        response.content = response.content.replace(PLACEHOLDER, tag, 1)
        if css:
            _allow_style(response, css)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response


def is_database_down(exception: BaseException | None) -> bool:
    """True for the errors of a database that is unreachable, restarting or shutting down."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exception, OperationalError | InterfaceError)


def _flag_database_down(sender, request=None, **kwargs) -> None:
    # Sent while Django handles an exception raised outside a view (a middleware reading the
    # session or the user): remember it so that the outermost middleware answers 503.
    if request is not None and is_database_down(sys.exc_info()[1]):
        request._corridor_database_down = True


got_request_exception.connect(_flag_database_down, dispatch_uid="corridor-database-down")


class DatabaseUnavailableMiddleware:
    """Answer 503 (with Retry-After) when the database is down or restarting, instead of a 500.

    First in MIDDLEWARE so that it also covers the middlewares that read the database (session,
    user, audit log). Django closes a connection that raised an error at the end of the request,
    and CONN_HEALTH_CHECKS tests a reused one first, so once the database is back the next
    request reconnects by itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "_corridor_database_down", False):
            return database_unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if not is_database_down(exception):
            return None
        logger.error(
            "database unavailable", extra={"event": "db_unavailable", "path": request.path}
        )
        return database_unavailable_response(request)


def database_unavailable_response(request) -> HttpResponse:
    """A 503 that needs no database: JSON for the API and health check, a plain page otherwise."""
    message = gettext("The service is briefly unavailable. Please try again in a minute.")
    if request.path.startswith(("/api/", "/healthz")) or "json" in request.headers.get(
        "Accept", ""
    ):
        body = {"error": {"code": "unavailable", "message": str(message), "details": []}}
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        html = render_to_string("503.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = "30"
    return response
