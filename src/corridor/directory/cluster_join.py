"""Joining a cluster: a request by the organisation, approved or declined by the cluster's
coordinator (or programme staff). The only way into a cluster for an organisation whose people
do not coordinate it: the edit form and the API refuse setting the cluster directly."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts import permissions
from corridor.directory.models import ClusterJoinRequest, Organisation
from corridor.directory.search import reindex_organisations
from corridor.directory.vocab import OrgKind


def can_decide(user, join: ClusterJoinRequest) -> bool:
    return permissions.can_set_cluster(user, join.cluster)


@transaction.atomic
def cluster_join_request(
    *, org: Organisation, cluster: Organisation, by, message: str = ""
) -> ClusterJoinRequest:
    """`by`, who edits `org`, asks for `org` to join `cluster`."""
    if not permissions.can_edit_org(by, org):
        raise PermissionDenied(_("You may not act for this organisation."))
    if cluster.kind != OrgKind.CLUSTER or cluster.merged_into_id:
        raise ValidationError({"cluster": _("No such cluster.")})
    if not permissions.can_view_org(by, cluster):
        raise ValidationError({"cluster": _("No such cluster.")})
    if org.kind == OrgKind.CLUSTER:
        raise ValidationError({"cluster": _("A cluster cannot be a member of a cluster.")})
    if org.cluster_id == cluster.pk:
        raise ValidationError({"cluster": _("%(org)s is already a member.") % {"org": org.name}})
    try:
        with transaction.atomic():
            return ClusterJoinRequest.objects.create(
                organisation=org, cluster=cluster, requested_by=by, message=message.strip()[:1000]
            )
    except IntegrityError as exc:
        raise ValidationError(_("A request to join this cluster is already waiting.")) from exc


def _decide(*, join: ClusterJoinRequest, by, status: str) -> ClusterJoinRequest:
    join = (
        ClusterJoinRequest.objects.select_for_update()
        .select_related("organisation", "cluster")
        .get(pk=join.pk)
    )
    if not can_decide(by, join):
        raise PermissionDenied(_("Only the cluster's coordinator can decide on this request."))
    if join.status != ClusterJoinRequest.Status.REQUESTED:
        raise ValidationError(_("This request was already decided."))
    join.status = status
    join.decided_by = by
    join.decided_at = timezone.now()
    join.save(update_fields=["status", "decided_by", "decided_at"])
    return join


@transaction.atomic
def cluster_join_approve(*, join: ClusterJoinRequest, by) -> ClusterJoinRequest:
    join = _decide(join=join, by=by, status=ClusterJoinRequest.Status.APPROVED)
    org = join.organisation
    org.cluster = join.cluster
    org.save(update_fields=["cluster", "updated_at"])
    reindex_organisations([org.pk])
    return join


@transaction.atomic
def cluster_join_decline(*, join: ClusterJoinRequest, by) -> ClusterJoinRequest:
    return _decide(join=join, by=by, status=ClusterJoinRequest.Status.DECLINED)


def pending_for_cluster(cluster: Organisation) -> QuerySet[ClusterJoinRequest]:
    return cluster.join_requests.filter(status=ClusterJoinRequest.Status.REQUESTED).select_related(
        "organisation", "requested_by"
    )


def joinable_orgs(user, cluster: Organisation) -> list[Organisation]:
    """The user's organisations that could ask to join `cluster`."""
    if not (user and user.is_authenticated):
        return []
    direct = set(user.memberships.values_list("organisation_id", flat=True))
    return list(
        Organisation.objects.filter(pk__in=direct, merged_into__isnull=True)
        .exclude(kind=OrgKind.CLUSTER)
        .exclude(cluster=cluster)
        .order_by("name")
    )
