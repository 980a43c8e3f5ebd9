"""The sign-in backend: Django's, with the header's "waiting for you" count read along with the
user on every page (a subquery of the one user query, so the count costs no query of its own)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def waiting_count_subquery():
    """Connection requests to the organisations the user belongs to, still unanswered."""
    from corridor.connections.models import Connection

    pending = (
        Connection.objects.filter(
            status=Connection.Status.REQUESTED, to_org__memberships__user=OuterRef("pk")
        )
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(pending, output_field=IntegerField()), Value(0))


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        from django.contrib.auth import get_user_model

        try:
            user = (
                get_user_model()
                ._default_manager.annotate(start_waiting=waiting_count_subquery())
                .get(pk=user_id)
            )
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
