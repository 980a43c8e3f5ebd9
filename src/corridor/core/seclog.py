"""Structured security events on the `corridor.security` logger.

One line per event, `event=<name>` followed by key=value fields (values quoted when they hold
spaces), so that an operator can grep, count and alert on them: failed logins, refused
permissions, throttled calls, refused uploads. The same fields go to `extra` for JSON handlers.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

logger = logging.getLogger("corridor.security")


def _value(value: Any) -> str:
    text = str(value).replace("\n", " ").replace("\r", " ")
    if not text or any(c in text for c in ' "='):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def security_event(
    event: str, request: HttpRequest | None = None, *, level: int = logging.WARNING, **fields: Any
) -> None:
    """Log a security event with the caller's address, account and path when a request is given."""
    from corridor.core.ratelimit import client_ip

    data: dict[str, Any] = {"event": event}
    if request is not None:
        user = getattr(request, "user", None)
        auth = getattr(request, "auth", None)
        if (user is None or not user.is_authenticated) and auth is not None:
            user = auth
        data["ip"] = client_ip(request)
        data["user"] = user.pk if user is not None and user.is_authenticated else "-"
        data["method"] = request.method
        data["path"] = request.path
    data.update(fields)
    line = " ".join(f"{k}={_value(v)}" for k, v in data.items())
    logger.log(level, line, extra={"security": data})
