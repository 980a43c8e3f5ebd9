"""The unread count shown in the header of every page (one COUNT, signed-in people only)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from corridor.notifications import selectors


def unread(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    # Lazy: pages that do not show the header (htmx fragments) do not count.
    return {"notifications_unread": SimpleLazyObject(lambda: selectors.unread_count(user))}
