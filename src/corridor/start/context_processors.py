"""The count in the header of what waits for the signed-in person: read with the user itself
(corridor.accounts.backends), or counted once when the user came from elsewhere."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _waiting(user) -> int:
    count = getattr(user, "start_waiting", None)
    if count is not None:
        return count
    from corridor.connections.models import Connection

    return Connection.objects.filter(
        status=Connection.Status.REQUESTED, to_org__memberships__user=user
    ).count()


def waiting(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {"start_waiting": SimpleLazyObject(lambda: _waiting(user))}
