"""Who calls the API: a personal bearer token, or the browser's Django session (with CSRF)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from corridor.accounts import permissions
from corridor.accounts.models import ApiToken
from corridor.api.errors import ApiError
from corridor.core.seclog import security_event

# Writing last_used_at on every call would turn each read into a write; a minute is precise
# enough to tell users which tokens are still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class _Anonymous(AnonymousUser):
    """An anonymous caller that ninja counts as authenticated (ninja skips falsy results)."""

    def __bool__(self) -> bool:
        return True


class ApiAuth(HttpBearer):
    """Token first, then session; optionally let anonymous callers through.

    A request that carries an Authorization header must carry a valid token: a wrong or revoked
    token is refused with 401 even on public endpoints, rather than silently read as anonymous.
    """

    def __init__(self, *, allow_anonymous: bool = False) -> None:
        self.allow_anonymous = allow_anonymous
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header:
            scheme, _sep, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise ApiError(401, _("Use the header 'Authorization: Bearer <token>'."))
            return self.authenticate(request, raw.strip())
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # A session is a cookie the browser sends by itself: writes need the CSRF token.
            if check_csrf(request) is not None:
                raise ApiError(403, _("CSRF check failed."), code="csrf_failed")
            return user
        if self.allow_anonymous:
            request.user = _Anonymous()
            return request.user
        return None

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(token)).first()
        )
        if found is None or not found.user.is_active:
            security_event("api_token_refused", request, reason="invalid")
            raise ApiError(401, _("Invalid token."), code="invalid_token")
        if found.revoked_at is not None:
            security_event("api_token_refused", request, reason="revoked", token=found.pk)
            raise ApiError(401, _("This token was revoked."), code="token_revoked")
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now
        request.user = found.user
        request.api_token = found
        return found.user


auth_required = ApiAuth()
auth_optional = ApiAuth(allow_anonymous=True)


def user_of(request: HttpRequest):
    """The caller (a User, or an anonymous user), whichever way they authenticated."""
    return getattr(request, "user", None) or AnonymousUser()


def contact_org_ids(request: HttpRequest) -> set[int] | None:
    """Organisations whose contact details the caller may see; None means all (staff).

    Computed once per request (two queries at most), so that lists can decide per row
    what `permissions.can_see_contacts` would decide, without a query per row.
    """
    cached = getattr(request, "_corridor_contact_ids", False)
    if cached is not False:
        return cached
    user = user_of(request)
    if permissions.is_staff(user):
        ids = None
    else:
        own = permissions.member_org_ids(user)
        ids = own | permissions.contact_connection_ids(user)
    request._corridor_contact_ids = ids
    return ids


def may_see_contacts(request: HttpRequest, org_id: int) -> bool:
    ids = contact_org_ids(request)
    return ids is None or org_id in ids
