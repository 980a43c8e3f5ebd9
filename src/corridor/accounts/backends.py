"""The sign-in backend: Django's, with the header's "waiting for you" count read along with the
user on every page (a subquery of the one user query, so the count costs no query of its own)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce


def waiting_count_subquery():
    """Connection requests still unanswered to the organisations the user acts for: those it
    belongs to, and the clusters it coordinates with their members (as `member_org_ids`, which
    the start page's card counts)."""
    from corridor.accounts.models import Membership
    from corridor.connections.models import Connection
    from corridor.directory.models import Organisation

    # The user is the outer query of `pending`, whose subqueries reach it one level further out.
    user = OuterRef(OuterRef("pk"))
    own = Membership.objects.filter(user=user).values("organisation_id")
    led = Membership.objects.filter(user=OuterRef(user), role="coordinator")
    coordinated = Organisation.objects.filter(
        Q(coordinator=user) | Q(id__in=led.values("organisation_id")), kind="cluster"
    ).values("id")
    pending = (
        Connection.objects.filter(status=Connection.Status.REQUESTED)
        .filter(
            Q(to_org_id__in=own)
            | Q(to_org_id__in=coordinated)
            | Q(to_org__cluster_id__in=coordinated)
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
