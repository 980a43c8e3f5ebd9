"""Abuse limits, counted in the shared Django cache, and the caller's address.

The counters use django-ratelimit's fixed windows in `caches["default"]` (the database cache by
default, Redis when REDIS_URL is set: shared by every worker, unlike per-process memory). Each
limit is named once in LIMITS (rates tunable through settings.CORRIDOR["RATE_LIMITS"]) and used
through `check` (count this attempt) or `peek`/`count` (refuse only after failures, as login
does). The caller's address is taken from X-Forwarded-For only as far as the configured number
of trusted proxies (`NINJA_NUM_PROXIES`, used for the API and pages alike): a client cannot
pick its own address by sending the header.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from corridor.core.seclog import security_event

# name -> rate ("count/period", period in s, m, h or d). Tunable in settings.CORRIDOR.
DEFAULT_LIMITS = {
    "login_account": "10/15m",  # failed sign-ins of one account
    "login_address": "30/15m",  # failed sign-ins from one address
    "password_reset_email": "3/h",  # reset emails to one address
    "password_reset_address": "10/h",  # reset requests from one address
    "signup_address": "5/h",  # new accounts from one address
    "org_create_user": "5/d",  # organisations one account registers
    "org_create_address": "10/d",  # organisations registered from one address
}


def _rate(name: str) -> str:
    return settings.CORRIDOR.get("RATE_LIMITS", {}).get(name) or DEFAULT_LIMITS[name]


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the address our N trusted proxies saw.

    With N proxies in front, the last N entries of X-Forwarded-For were written by them; the
    N-th from the end is the client as the outermost proxy saw it. Anything before that was
    sent by the client and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = int(getattr(settings, "NINJA_NUM_PROXIES", 0) or 0)
    xff = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not xff:
        return remote
    hops = [h.strip() for h in xff.split(",") if h.strip()]
    if not hops:
        return remote
    return hops[-min(proxies, len(hops))]


@dataclass(frozen=True)
class Verdict:
    limited: bool
    retry_after: int  # seconds until the window ends


def _usage(name: str, value: str, *, increment: bool, request: HttpRequest | None) -> Verdict:
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    usage = get_usage(
        request,
        group=f"corridor.{name}",
        key=lambda _g, _r: digest,
        rate=_rate(name),
        increment=increment,
    )
    if usage is None:
        return Verdict(False, 0)
    # get_usage counts this attempt when incrementing; when only looking, "limited" means the
    # count already reached the limit.
    limited = usage["should_limit"] if increment else usage["count"] >= usage["limit"]
    return Verdict(limited, max(int(usage["time_left"]), 1))


def check(name: str, value: str, request: HttpRequest | None = None) -> Verdict:
    """Count one attempt under limit `name` for `value` (an address, an account...) and say
    whether it goes over. Logs a `throttled` security event when it does."""
    verdict = _usage(name, value, increment=True, request=request)
    if verdict.limited:
        security_event("throttled", request, limit=name)
    return verdict


def peek(name: str, value: str, request: HttpRequest | None = None) -> Verdict:
    """Whether limit `name` is already reached for `value`, without counting an attempt."""
    verdict = _usage(name, value, increment=False, request=request)
    if verdict.limited:
        security_event("throttled", request, limit=name)
    return verdict


def count(name: str, value: str, request: HttpRequest | None = None) -> None:
    """Count one attempt (a failure) under limit `name` for `value`."""
    _usage(name, value, increment=True, request=request)


def org_create_check(request: HttpRequest) -> Verdict:
    """Count one organisation registration by this account and address; programme staff, who
    enter profiles for others, are not limited."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return Verdict(False, 0)
    by_user = check("org_create_user", f"user:{user.pk if user else '-'}", request)
    by_address = check("org_create_address", client_ip(request), request)
    return by_user if by_user.limited else by_address


def throttled_page(request: HttpRequest, verdict: Verdict, message: str) -> HttpResponse:
    """The page answering a refused attempt: 429 with Retry-After and the reason."""
    from django.shortcuts import render

    response = render(request, "core/throttled.html", {"message": message}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response
