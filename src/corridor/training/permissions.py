"""Who may see or change training records (built on accounts.permissions).

Programme staff manage everything. Attendance is seen by staff, the members of the attendee's
organisation and the coordinator of its cluster. A cluster's coordinator may add milestones
for their cluster. Milestones themselves show on the cluster's profile to whoever may open it;
their evidence documents only to staff and the cluster's people."""

from __future__ import annotations

from django.db.models import QuerySet

from corridor.accounts import permissions
from corridor.directory.models import Organisation


def can_manage(user) -> bool:
    return permissions.is_staff(user)


def can_view_outcomes(user) -> bool:
    """The trained/untrained comparison: aggregates, like the impact dashboard."""
    return permissions.is_staff(user) or permissions.is_programme_viewer(user)


def coordinated_cluster_ids(user) -> set[int]:
    if not (user and user.is_authenticated):
        return set()
    direct = set(
        Organisation.objects.filter(kind="cluster", coordinator=user).values_list("id", flat=True)
    )
    via = set(
        user.memberships.filter(role="coordinator", organisation__kind="cluster").values_list(
            "organisation_id", flat=True
        )
    )
    return direct | via


def can_add_milestone(user, cluster: Organisation) -> bool:
    if cluster.kind != "cluster":
        return False
    return permissions.is_staff(user) or cluster.id in coordinated_cluster_ids(user)


def can_view_milestone_evidence(user, cluster: Organisation) -> bool:
    return permissions.is_staff(user) or cluster.id in permissions.member_org_ids(user)


def attendance_org_ids(user) -> set[int] | None:
    """Organisations whose attendance the user sees; None: all (staff)."""
    if permissions.is_staff(user):
        return None
    # Their own organisations, and for a coordinator the cluster and its member SMEs.
    return permissions.member_org_ids(user)


def visible_attendance(user, qs: QuerySet | None = None) -> QuerySet:
    from corridor.training.models import Attendance

    qs = Attendance.objects.all() if qs is None else qs
    ids = attendance_org_ids(user)
    return qs if ids is None else qs.filter(organisation_id__in=ids)


def can_view_attendance(user, attendance) -> bool:
    ids = attendance_org_ids(user)
    return ids is None or attendance.organisation_id in ids


def can_download_material(user, module) -> bool:
    """A module's material: staff, and the people of organisations that attended it."""
    if can_manage(user):
        return True
    return visible_attendance(user).filter(session__module=module).exists() if user else False
