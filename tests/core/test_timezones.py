"""Tests of the middleware that shows times in the visitor's zone (the `tz` cookie)."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from corridor.core.timezones import TimezoneMiddleware, zone_from_cookie


def _zone_seen_by_view(cookie: str | None) -> str:
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/")
    if cookie is not None:
        request.COOKIES["tz"] = cookie
    TimezoneMiddleware(view)(request)
    return seen["zone"]


def test_timezone_middleware_activates_the_cookie_zone():
    assert _zone_seen_by_view("Asia/Yangon") == "Asia/Yangon"


@pytest.mark.parametrize("cookie", [None, "", "Mars/Olympus", "../../etc/passwd", "A" * 100])
def test_timezone_middleware_falls_back_to_the_default_zone(cookie):
    assert _zone_seen_by_view(cookie) == "Asia/Bangkok"


def test_timezone_middleware_resets_the_zone_after_the_request():
    _zone_seen_by_view("Asia/Yangon")
    assert timezone.get_current_timezone_name() == "Asia/Bangkok"


def test_zone_from_cookie_names():
    assert str(zone_from_cookie("Asia/Ho_Chi_Minh")) == "Asia/Ho_Chi_Minh"
    assert zone_from_cookie("not a zone") is None
