"""Organisations and clusters: lists with filters, profiles, and writes where permitted."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from corridor.accounts import permissions
from corridor.api import selectors, writes
from corridor.api.auth import auth_optional, auth_required
from corridor.api.concurrency import check_if_match, tagged
from corridor.api.errors import ERRORS, ApiError, ErrorOut
from corridor.api.pagination import Page, PageParams, paginate
from corridor.api.schemas.organisations import (
    ClusterOut,
    OrganisationFilters,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
)
from corridor.core import ratelimit
from corridor.directory import cluster_join
from corridor.directory.models import ClusterJoinRequest, Organisation

router = Router(tags=["organisations"])


def visible_org(request: HttpRequest, org_id: int) -> Organisation:
    """The organisation, or 404 when it does not exist or the caller may not see it."""
    org = get_object_or_404(
        Organisation.objects.select_related("country", "province").prefetch_related("contacts"),
        pk=org_id,
    )
    if not permissions.can_view_org(request.user, org) or org.merged_into_id:
        raise Http404
    return org


@router.get(
    "/clusters", response={200: Page[ClusterOut], **ERRORS}, auth=auth_optional, tags=["clusters"]
)
def cluster_list(request: HttpRequest, page: Query[PageParams]):
    """Published clusters (and the caller's own); open to visitors without an account."""
    return paginate(selectors.cluster_list(request.user), page)


@router.get(
    "/clusters/{cluster_id}",
    response={200: ClusterOut, **ERRORS},
    auth=auth_optional,
    tags=["clusters"],
)
def cluster_detail(request: HttpRequest, cluster_id: int):
    return get_object_or_404(selectors.cluster_list(request.user), pk=cluster_id)


@router.get("/organisations", response={200: Page[OrganisationOut], **ERRORS}, auth=auth_optional)
def organisation_list(
    request: HttpRequest, filters: Query[OrganisationFilters], page: Query[PageParams]
):
    """Profiles the caller may see. Contact fields are null unless the caller may see them."""
    return paginate(selectors.organisation_search(request.user, filters), page)


@router.get(
    "/organisations/{org_id}", response={200: OrganisationOut, **ERRORS}, auth=auth_optional
)
def organisation_detail(request: HttpRequest, response: HttpResponse, org_id: int):
    return tagged(response, visible_org(request, org_id))


@router.post("/organisations", response={201: OrganisationOut, **ERRORS}, auth=auth_required)
def organisation_create(request: HttpRequest, payload: OrganisationIn):
    """Register an organisation. Who creates it becomes its owner (programme staff excepted)."""
    if not permissions.can_create_org(request.user, payload.kind):
        raise PermissionDenied(_("You may not create this kind of organisation."))
    verdict = ratelimit.org_create_check(request)
    if verdict.limited:
        raise ApiError(
            429,
            _("You have registered many organisations recently: please try again later."),
            code="too_many_requests",
        )
    org = writes.organisation_create(by=request.user, data=payload.model_dump())
    return Status(201, visible_org(request, org.pk))


@router.patch(
    "/organisations/{org_id}",
    response={200: OrganisationOut, **ERRORS, 412: ErrorOut},
    auth=auth_required,
)
def organisation_update(
    request: HttpRequest, response: HttpResponse, org_id: int, payload: OrganisationPatch
):
    """Change a profile. Send `If-Match` with the ETag you read to refuse overwriting a change
    made since (412)."""
    org = visible_org(request, org_id)
    if not permissions.can_edit_org(request.user, org):
        raise PermissionDenied(_("You may not edit this organisation."))
    with transaction.atomic():
        org = check_if_match(request, org)
        writes.organisation_update(
            org=org, by=request.user, data=payload.model_dump(exclude_unset=True)
        )
    return tagged(response, visible_org(request, org_id))


@router.delete("/organisations/{org_id}", response={204: None, **ERRORS}, auth=auth_required)
def organisation_delete(request: HttpRequest, org_id: int):
    org = visible_org(request, org_id)
    if not permissions.can_delete_org(request.user, org):
        raise PermissionDenied(_("Only the owner or programme staff may delete this profile."))
    writes.organisation_delete(org=org, by=request.user)
    return Status(204, None)


# --- Joining a cluster: a request its coordinator approves -------------------------------------


class JoinRequestIn(Schema):
    organisation_id: int
    message: str = Field("", max_length=1000)


class JoinRequestOut(Schema):
    id: int
    organisation_id: int
    cluster_id: int
    status: str
    message: str
    created_at: datetime
    decided_at: datetime | None


@router.post(
    "/clusters/{cluster_id}/join-requests",
    response={201: JoinRequestOut, **ERRORS},
    auth=auth_required,
    tags=["clusters"],
)
def cluster_join_request(request: HttpRequest, cluster_id: int, payload: JoinRequestIn):
    """Ask for one of your organisations to join a cluster; its coordinator decides. (Setting
    `cluster_id` on an organisation directly is for the coordinator and staff only.)"""
    cluster = get_object_or_404(selectors.cluster_list(request.user), pk=cluster_id)
    org = visible_org(request, payload.organisation_id)
    join = cluster_join.cluster_join_request(
        org=org, cluster=cluster, by=request.user, message=payload.message
    )
    return Status(201, join)


@router.get(
    "/clusters/{cluster_id}/join-requests",
    response={200: list[JoinRequestOut], **ERRORS},
    auth=auth_required,
    tags=["clusters"],
)
def cluster_join_pending(request: HttpRequest, cluster_id: int):
    """Requests waiting for the cluster's coordinator (or staff)."""
    cluster = get_object_or_404(selectors.cluster_list(request.user), pk=cluster_id)
    if not permissions.can_set_cluster(request.user, cluster):
        raise PermissionDenied(_("Only the cluster's coordinator sees its join requests."))
    return list(cluster_join.pending_for_cluster(cluster))


@router.post(
    "/cluster-join-requests/{join_id}/{decision}",
    response={200: JoinRequestOut, **ERRORS},
    auth=auth_required,
    tags=["clusters"],
)
def cluster_join_decide(
    request: HttpRequest, join_id: int, decision: Literal["approve", "decline"]
):
    """Approve or decline a request to join your cluster."""
    join = get_object_or_404(ClusterJoinRequest, pk=join_id)
    if decision == "approve":
        return cluster_join.cluster_join_approve(join=join, by=request.user)
    return cluster_join.cluster_join_decline(join=join, by=request.user)
