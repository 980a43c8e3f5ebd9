"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "is_programme_staff": bool(user and user.is_authenticated and user.is_programme_staff),
        "LANGUAGES": settings.LANGUAGES,
    }
