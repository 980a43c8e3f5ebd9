"""Show times in the visitor's own zone, which the browser reports in the `tz` cookie.

Bangkok time (the default) is right for Thailand, Vietnam, Cambodia and Laos but half an hour
off for Myanmar, and wrong for a buyer abroad. base.html sets the cookie with one line of
JavaScript (Intl.DateTimeFormat); until then, or without JavaScript, TIME_ZONE applies.
"""

from __future__ import annotations

import zoneinfo

from django.utils import timezone

COOKIE = "tz"


def zone_from_cookie(value: str | None) -> zoneinfo.ZoneInfo | None:
    """The zone named by an IANA name such as 'Asia/Yangon'; None when empty or unknown."""
    if not value or len(value) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = zone_from_cookie(request.COOKIES.get(COOKIE))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
