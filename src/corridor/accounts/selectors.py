"""Reads of the accounts app: the dashboard and staff lists, each in a constant number of queries."""

from __future__ import annotations

from django.db.models import Q

from corridor.accounts.models import ApiToken, ClaimRequest, Invitation, Membership, User
from corridor.connections.models import Connection


def user_memberships(user: User) -> list[Membership]:
    return list(
        user.memberships.select_related("organisation", "organisation__country").order_by(
            "organisation__name"
        )
    )


def user_tokens(user: User) -> list[ApiToken]:
    return list(user.api_tokens.order_by("revoked_at", "-created_at")[:50])


def dashboard_data(user: User) -> dict:
    """Everything the account dashboard shows (memberships, requests, claims; tokens have their
    own page, only their count here)."""
    memberships = user_memberships(user)
    org_ids = {m.organisation_id for m in memberships}
    pending = Connection.objects.filter(status=Connection.Status.REQUESTED).select_related(
        "from_org", "to_org"
    )
    received, sent = [], []
    if org_ids:
        for c in pending.filter(Q(to_org_id__in=org_ids) | Q(from_org_id__in=org_ids))[:100]:
            (received if c.to_org_id in org_ids else sent).append(c)
    return {
        "memberships": memberships,
        "received": received,
        "sent": sent,
        "active_tokens": user.api_tokens.filter(revoked_at__isnull=True).count(),
        "claims": list(
            ClaimRequest.objects.filter(user=user, status=ClaimRequest.Status.PENDING)
            .select_related("organisation")
            .order_by("-created_at")
        ),
    }


def invitations_recent(limit: int = 100) -> list[Invitation]:
    return list(
        Invitation.objects.select_related("organisation", "invited_by", "accepted_by").order_by(
            "-created_at"
        )[:limit]
    )
