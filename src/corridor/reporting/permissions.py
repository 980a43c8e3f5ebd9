"""Who may file, read, answer and follow bottleneck reports (built on accounts.permissions).

- Anyone signed in files a report, for themselves or for an organisation they act for; the
  people of a support organisation or a cluster may file for an SME without naming it.
- The full report (the reporter's words, who reported) is seen by the reporter, the people of
  the organisation it was filed for, and staff. The focal point's people see what happened but
  not who reported it. Everyone else sees only the anonymised public view.
- Staff assign focal points; staff and the focal-point members of the assigned organisation
  move the status and write the public note.
"""

from __future__ import annotations

from corridor.accounts.permissions import is_staff, member_org_ids
from corridor.directory.models import Organisation
from corridor.directory.vocab import OrgKind

FOCAL_POINT_ROLE = "focal_point"


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


def can_file_report(user) -> bool:
    return _signed_in(user)


def can_file_for(user, org: Organisation | None) -> bool:
    return org is None or is_staff(user) or org.id in member_org_ids(user)


def can_file_on_behalf(user, org: Organisation | None) -> bool:
    """Filing for an unnamed SME: an association (support organisation) or a cluster."""
    return (
        org is not None
        and org.kind in (OrgKind.SUPPORT, OrgKind.CLUSTER)
        and can_file_for(user, org)
    )


def focal_point_org_ids(user) -> set[int]:
    """Support organisations in which the user holds the focal-point role."""
    if not _signed_in(user):
        return set()
    cached = getattr(user, "_corridor_focal_ids", None)
    if cached is None:
        cached = set(
            user.memberships.filter(
                role=FOCAL_POINT_ROLE, organisation__kind=OrgKind.SUPPORT
            ).values_list("organisation_id", flat=True)
        )
        user._corridor_focal_ids = cached
    return cached


def is_reporter_side(user, report) -> bool:
    if not _signed_in(user):
        return False
    if report.reporter_id == user.pk:
        return True
    return report.reporter_org_id is not None and report.reporter_org_id in member_org_ids(user)


def is_focal_point(user, report) -> bool:
    return report.focal_point_id is not None and report.focal_point_id in focal_point_org_ids(user)


def can_view_report(user, report) -> bool:
    """The report's page (with what happened)."""
    return is_staff(user) or is_reporter_side(user, report) or is_focal_point(user, report)


def can_see_reporter(user, report) -> bool:
    """Who filed it, and for which organisation: the reporter's side and staff only."""
    return is_staff(user) or is_reporter_side(user, report)


def can_update_status(user, report) -> bool:
    return is_staff(user) or is_focal_point(user, report)


def can_assign(user) -> bool:
    return is_staff(user)


def can_follow(user, report) -> bool:
    return can_view_report(user, report)


def can_analyse(user) -> bool:
    return is_staff(user)
