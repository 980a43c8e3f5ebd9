"""Who may see or change what: the one place every view, API endpoint and export asks.

Roles: programme staff (everything); a cluster coordinator (their cluster and its member SMEs);
an SME member (their own enterprise); a buyer (their organisation and its requests); a public
visitor (published profiles without contact details).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from corridor.directory.models import Organisation, Product, SourcingRequest


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_programme_staff)


def member_org_ids(user) -> set[int]:
    """Organisations the user acts for, directly or as coordinator of a cluster (and its members)."""
    if not (user and user.is_authenticated):
        return set()
    cached = getattr(user, "_corridor_org_ids", None)
    if cached is not None:
        return cached
    direct = set(user.memberships.values_list("organisation_id", flat=True))
    # A subquery, not a join on memberships: OR over a LEFT JOIN scans every organisation.
    coordinated = user.memberships.filter(role="coordinator").values("organisation_id")
    clusters = set(
        Organisation.objects.filter(Q(coordinator=user) | Q(id__in=coordinated), kind="cluster")
        .order_by()  # the default order by name would make SQLite walk the name index
        .values_list("id", flat=True)
    )
    members = set(
        Organisation.objects.filter(cluster_id__in=clusters).order_by().values_list("id", flat=True)
    )
    ids = direct | clusters | members
    user._corridor_org_ids = ids
    return ids


def visible_organisations(user) -> QuerySet[Organisation]:
    """Organisations whose profile the user may open."""
    qs = Organisation.objects.filter(merged_into__isnull=True)
    if is_staff(user):
        return qs
    own = member_org_ids(user)
    return qs.filter(Q(is_published=True) | Q(id__in=own))


def visible_organisation_count(user) -> int:
    """How many organisations `visible_organisations(user)` holds, counted in two parts:
    PostgreSQL reads the whole table for "published or mine" (100 ms at 100,000
    organisations), and an index for each part alone."""
    qs = Organisation.objects.filter(merged_into__isnull=True)
    if is_staff(user):
        return qs.count()
    own = member_org_ids(user)
    published = qs.filter(is_published=True).count()
    return published + (qs.filter(id__in=own, is_published=False).count() if own else 0)


def can_view_org(user, org: Organisation) -> bool:
    return is_staff(user) or org.is_published or org.id in member_org_ids(user)


def can_edit_org(user, org: Organisation) -> bool:
    return is_staff(user) or org.id in member_org_ids(user)


def can_delete_org(user, org: Organisation) -> bool:
    """Deleting a profile: staff, or the owner of the organisation itself (their own data)."""
    if is_staff(user):
        return True
    if not (user and user.is_authenticated):
        return False
    return user.memberships.filter(organisation=org, role="owner").exists()


def can_create_org(user, kind: str) -> bool:
    """Staff create anything; coordinators add member SMEs; anyone signed in may register one."""
    return bool(user and user.is_authenticated)


def connected_org_ids(org_ids: set[int]) -> set[int]:
    """Organisations with an accepted connection to any of `org_ids`."""
    from corridor.connections.models import Connection

    if not org_ids:
        return set()
    rows = (
        Connection.objects.filter(status=Connection.Status.ACCEPTED)
        .filter(Q(from_org_id__in=org_ids) | Q(to_org_id__in=org_ids))
        .values_list("from_org_id", "to_org_id")
    )
    return {b if a in org_ids else a for a, b in rows}


def party_org_ids(user) -> set[int]:
    """Organisations whose connections reveal contacts to `user`: those they belong to and the
    clusters they coordinate, not the member SMEs of those clusters (a coordinator who did not
    take part in a member's connection does not see the other side's email)."""
    if not (user and user.is_authenticated):
        return set()
    member_ids = member_org_ids(user)
    direct = set(user.memberships.values_list("organisation_id", flat=True))
    clusters = set(
        Organisation.objects.filter(id__in=member_ids, kind="cluster").values_list("id", flat=True)
    )
    return direct | (clusters & member_ids)


def contact_connection_ids(user) -> set[int]:
    """Organisations whose contacts `user` sees through an accepted connection: of an
    organisation they are party to, or one they asked for themselves (a coordinator acting for
    a member)."""
    from corridor.connections.models import Connection

    ids = connected_org_ids(party_org_ids(user))
    if user and user.is_authenticated:
        for a, b in Connection.objects.filter(
            status=Connection.Status.ACCEPTED, requested_by=user
        ).values_list("from_org_id", "to_org_id"):
            ids |= {a, b}
    return ids


def can_see_contacts(user, org: Organisation) -> bool:
    """Contact details: staff, the organisation's own people, and accepted connections of an
    organisation the user is party to."""
    if is_staff(user):
        return True
    return org.id in member_org_ids(user) or org.id in contact_connection_ids(user)


def can_edit_product(user, product: Product) -> bool:
    return can_edit_org(user, product.organisation)


def can_view_request(user, req: SourcingRequest) -> bool:
    """Open requests of published buyers are visible to every signed-in user (suppliers need
    them to respond); the buyer and staff see them always."""
    if can_edit_org(user, req.buyer):
        return True
    return bool(
        user
        and user.is_authenticated
        and req.buyer.is_published
        and req.status == SourcingRequest.Status.OPEN
    )


def can_edit_request(user, req: SourcingRequest) -> bool:
    return can_edit_org(user, req.buyer)


def can_view_request_ranking(user, req: SourcingRequest) -> bool:
    """The ranked suppliers of a request (competitors' scores) and its responses: the buyer's
    people and staff, not the suppliers who compete for it."""
    return can_edit_org(user, req.buyer)


def can_export(user) -> bool:
    """Exports of search results: signed-in users export what they may see; contacts only for staff."""
    return bool(user and user.is_authenticated)


def can_import(user) -> bool:
    return is_staff(user)


def can_view_history(user) -> bool:
    return is_staff(user)


# --- Refinements: products, requests, connections, trust ------------------------------------


def owner_org_ids(user) -> set[int]:
    """Organisations the user owns (role owner): the people who consent for a profile."""
    if not (user and user.is_authenticated):
        return set()
    return set(user.memberships.filter(role="owner").values_list("organisation_id", flat=True))


def can_act_for_org(user, org: Organisation) -> bool:
    """Speak for an organisation (ask to connect, answer a request): its people and staff."""
    return can_edit_org(user, org)


def can_view_product(user, product: Product) -> bool:
    if can_edit_org(user, product.organisation):
        return True
    return product.is_active and can_view_org(user, product.organisation)


def can_delete_product(user, product: Product) -> bool:
    return can_edit_product(user, product)


def can_delete_request(user, req: SourcingRequest) -> bool:
    return can_edit_request(user, req)


def can_export_org(user, org: Organisation) -> bool:
    """Include a profile in an export: what the user may see (contacts follow can_see_contacts)."""
    return can_export(user) and can_view_org(user, org)


def can_view_org_history(user, org: Organisation) -> bool:
    return can_view_history(user)


def can_view_connection(user, connection) -> bool:
    if is_staff(user):
        return True
    own = member_org_ids(user)
    return connection.from_org_id in own or connection.to_org_id in own


def can_respond_connection(user, connection) -> bool:
    """Accept or decline: the side that was asked."""
    return is_staff(user) or connection.to_org_id in member_org_ids(user)


def can_withdraw_connection(user, connection) -> bool:
    """A pending request is withdrawn by its requester; an accepted one by either side."""
    if connection.status == "accepted":
        return can_view_connection(user, connection)
    if connection.status == "requested":
        return is_staff(user) or connection.from_org_id in member_org_ids(user)
    return False


def can_delete_connection(user, connection) -> bool:
    """Connections are never deleted by users (they are withdrawn, and kept for follow-up)."""
    return is_staff(user)


def can_publish_org(user, org: Organisation) -> bool:
    """Consent to a public profile: the owner, or staff recording consent given to them."""
    return is_staff(user) or org.id in owner_org_ids(user)


def can_manage_trust(user) -> bool:
    """Verify profiles, merge duplicates, decide claims, invite people: programme staff."""
    return is_staff(user)


def can_claim_org(user, org: Organisation) -> bool:
    """Ask to own a profile nobody owns yet (typically one that staff imported)."""
    if not (user and user.is_authenticated) or org.is_claimed or org.merged_into_id:
        return False
    return org.id not in member_org_ids(user)


def can_set_cluster(user, cluster: Organisation | None) -> bool:
    """Putting an organisation into `cluster` (joining gives the cluster's coordinator rights
    over the member): staff, or who acts for that cluster (its coordinator). Leaving a cluster
    (None) needs only the right to edit the organisation. Everyone else asks to join
    (directory.cluster_join)."""
    if cluster is None or is_staff(user):
        return True
    return cluster.kind == "cluster" and cluster.pk in member_org_ids(user)


# --- Follow-up: leads, orders and impact figures ----------------------------------------------


def is_programme_viewer(user) -> bool:
    """A donor or reviewer: impact aggregates only, never a single lead."""
    return bool(user and user.is_authenticated and user.is_active and user.is_programme_viewer)


def lead_side_org_ids(user) -> set[int]:
    """Organisations whose leads the user sees: their own and, for a coordinator, their
    cluster's members (member_org_ids already includes them)."""
    return member_org_ids(user)


def visible_leads(user, qs=None):
    """Leads the user may open: the two sides, their cluster's coordinator, staff."""
    from corridor.followup.models import Lead

    qs = Lead.objects.all() if qs is None else qs
    if is_staff(user):
        return qs
    own = lead_side_org_ids(user)
    if not own:
        return qs.none()
    return qs.filter(Q(supplier_id__in=own) | Q(buyer_id__in=own))


def can_view_lead(user, lead) -> bool:
    if is_staff(user):
        return True
    own = lead_side_org_ids(user)
    return lead.supplier_id in own or lead.buyer_id in own


def can_update_lead(user, lead) -> bool:
    """Report a stage or an order: the two sides and staff (a coordinator reads, and staff
    enter what a coordinator hears by phone)."""
    return can_view_lead(user, lead)


def can_view_impact(user) -> bool:
    """The impact dashboard: staff and programme viewers."""
    return is_staff(user) or is_programme_viewer(user)


def can_manage_followup(user) -> bool:
    """Plans, sending rounds, phone answers and settling disagreements: programme staff."""
    return is_staff(user)


def can_manage_rates(user) -> bool:
    return is_staff(user)
