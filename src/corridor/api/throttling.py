"""Request rate limits of the API: per address for visitors, per account for signed-in callers.

The public directory is what scrapers want; a limit keeps it usable for everyone. The rates can
be tuned in settings.CORRIDOR (API_RATE_ANON, API_RATE_USER) without code changes.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle


class CallerThrottle(SimpleRateThrottle):
    """Counts either anonymous callers (by address) or signed-in ones (by user id)."""

    def __init__(self, *, authenticated: bool, rate: str) -> None:
        self.authenticated = authenticated
        super().__init__(rate)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if signed_in != self.authenticated:
            return None
        ident = user.pk if signed_in else self.get_ident(request)
        return f"corridor_api_{'user' if signed_in else 'anon'}_{ident}"


anon_throttle = CallerThrottle(
    authenticated=False, rate=settings.CORRIDOR.get("API_RATE_ANON", "120/min")
)
user_throttle = CallerThrottle(
    authenticated=True, rate=settings.CORRIDOR.get("API_RATE_USER", "600/min")
)
