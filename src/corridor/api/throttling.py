"""Request rate limits of the API: per address for visitors, per account for signed-in callers.

The public directory is what scrapers want; a limit keeps it usable for everyone. The rates can
be tuned in settings.CORRIDOR (API_RATE_ANON, API_RATE_USER) without code changes.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from corridor.core.ratelimit import client_ip
from corridor.core.seclog import security_event


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

    def get_ident(self, request: HttpRequest) -> str:
        """The address from trusted proxies only (one rule for the API and the pages)."""
        return client_ip(request)

    def allow_request(self, request: HttpRequest) -> bool:
        allowed = super().allow_request(request)
        if not allowed:
            security_event(
                "throttled", request, limit="api_user" if self.authenticated else "api_anon"
            )
        return allowed


anon_throttle = CallerThrottle(
    authenticated=False, rate=settings.CORRIDOR.get("API_RATE_ANON", "120/min")
)
user_throttle = CallerThrottle(
    authenticated=True, rate=settings.CORRIDOR.get("API_RATE_USER", "600/min")
)
