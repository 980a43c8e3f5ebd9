"""Reads of connections: a user's connections page and the state shown on a profile."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from corridor.accounts import permissions
from corridor.connections.models import Connection
from corridor.directory.models import Organisation, SourcingRequest
from corridor.directory.vocab import OrgKind


def acting_organisations(user, exclude: Organisation | None = None) -> list[Organisation]:
    """Organisations the user may speak for (to choose which one asks to connect)."""
    ids = permissions.member_org_ids(user)
    if exclude is not None:
        ids = ids - {exclude.pk}
    if not ids:
        return []
    return list(
        Organisation.objects.filter(id__in=ids, merged_into__isnull=True).only("id", "name", "slug")
    )


def connections_for_user(user, status: str | None = None) -> QuerySet[Connection]:
    """Connections of the organisations the user acts for, newest first (one query)."""
    ids = permissions.member_org_ids(user)
    qs = Connection.objects.filter(Q(from_org_id__in=ids) | Q(to_org_id__in=ids)).select_related(
        "from_org", "to_org", "sourcing_request"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def connect_state(user, org: Organisation) -> dict:
    """What the "connect" box of a profile shows to `user`.

    state: "" (nothing), "self" (their own organisation), "none" (may ask), "pending_sent",
    "pending_received", "connected"; with the connection when there is one.
    """
    if not (user and user.is_authenticated):
        return {"state": ""}
    own = permissions.member_org_ids(user)
    if org.pk in own:
        return {"state": "self"}
    if not own or org.merged_into_id:
        return {"state": ""}
    connection = (
        Connection.objects.filter(
            Q(from_org_id__in=own, to_org=org) | Q(from_org=org, to_org_id__in=own),
            status__in=[Connection.Status.REQUESTED, Connection.Status.ACCEPTED],
        )
        .select_related("from_org", "to_org")
        .order_by("status", "-created_at")  # "accepted" sorts before "requested"
        .first()
    )
    if connection is None:
        return {"state": "none"}
    if connection.status == Connection.Status.ACCEPTED:
        return {"state": "connected", "connection": connection}
    if connection.from_org_id in own:
        return {"state": "pending_sent", "connection": connection}
    return {"state": "pending_received", "connection": connection}


def request_responses(req: SourcingRequest) -> list[Connection]:
    """Suppliers' answers to a sourcing request ("I can supply this"), newest first."""
    return list(
        Connection.objects.filter(sourcing_request=req)
        .exclude(status=Connection.Status.WITHDRAWN)
        .select_related("from_org", "from_org__country")
        .order_by("-created_at")
    )


def answer_state(user, req: SourcingRequest) -> dict:
    """What the "I can supply this" box of a request shows to `user`: the SMEs and clusters
    they may answer for, and the answers those already gave."""
    ids = permissions.member_org_ids(user) - {req.buyer_id}
    if not ids:
        return {"orgs": [], "answered": []}
    orgs = list(
        Organisation.objects.filter(
            id__in=ids, kind__in=[OrgKind.SME, OrgKind.CLUSTER], merged_into__isnull=True
        ).only("id", "name", "slug", "kind")
    )
    answered = list(
        Connection.objects.filter(
            sourcing_request=req,
            from_org_id__in=[o.pk for o in orgs],
            status__in=[Connection.Status.REQUESTED, Connection.Status.ACCEPTED],
        ).select_related("from_org")
    )
    done = {c.from_org_id for c in answered}
    return {"orgs": [o for o in orgs if o.pk not in done], "answered": answered}
