"""The count in the header of what waits for the signed-in person: read with the user itself
(corridor.accounts.backends), or counted once when the user came from elsewhere."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _waiting(user) -> int:
    count = getattr(user, "start_waiting", None)
    if count is not None:
        return count
    from django.contrib.auth import get_user_model

    from corridor.accounts.backends import waiting_count_subquery

    # The same count as the one the backend reads with the user, in a query of its own. The
    # user model, not type(user): request.user is a SimpleLazyObject.
    return (
        get_user_model()
        ._default_manager.filter(pk=user.pk)
        .annotate(n=waiting_count_subquery())
        .values_list("n", flat=True)
        .get()
    )


def waiting(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {"start_waiting": SimpleLazyObject(lambda: _waiting(user))}
