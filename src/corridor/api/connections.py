"""Connections between organisations: list, request, accept, decline, withdraw."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from corridor.accounts import permissions
from corridor.api.auth import auth_required
from corridor.api.errors import ERRORS
from corridor.api.pagination import Page, PageParams, paginate
from corridor.api.schemas.connections import ConnectionFilters, ConnectionIn, ConnectionOut
from corridor.connections import selectors, services
from corridor.connections.models import Connection
from corridor.directory.models import Organisation

router = Router(tags=["connections"], auth=auth_required)


def _connection(request: HttpRequest, connection_id: int) -> Connection:
    connection = get_object_or_404(
        Connection.objects.select_related("from_org", "to_org"), pk=connection_id
    )
    if not permissions.can_view_connection(request.user, connection):
        raise Http404
    return connection


@router.get("/connections", response={200: Page[ConnectionOut], **ERRORS})
def connection_list(
    request: HttpRequest, filters: Query[ConnectionFilters], page: Query[PageParams]
):
    """Connections of the organisations the caller acts for, newest first."""
    return paginate(selectors.connections_for_user(request.user, filters.status), page)


@router.get("/connections/{connection_id}", response={200: ConnectionOut, **ERRORS})
def connection_detail(request: HttpRequest, connection_id: int):
    return _connection(request, connection_id)


@router.post("/connections", response={201: ConnectionOut, **ERRORS})
def connection_request(request: HttpRequest, payload: ConnectionIn):
    """Ask to connect, for an organisation the caller acts for. Refusals (already connected,
    pending, declined recently, daily limit) answer 409 with the reason."""
    from_org = get_object_or_404(Organisation, pk=payload.from_org_id)
    to_org = get_object_or_404(Organisation, pk=payload.to_org_id)
    if not permissions.can_view_org(request.user, to_org):
        raise Http404
    if not permissions.can_act_for_org(request.user, from_org):
        raise PermissionDenied(_("You do not act for this organisation."))
    connection = services.connection_request(
        from_org=from_org, to_org=to_org, by=request.user, message=payload.message, source="api"
    )
    return Status(201, connection)


@router.post("/connections/{connection_id}/accept", response={200: ConnectionOut, **ERRORS})
def connection_accept(request: HttpRequest, connection_id: int):
    connection = _connection(request, connection_id)
    if not permissions.can_respond_connection(request.user, connection):
        raise PermissionDenied(_("Only the organisation that was asked can answer."))
    return services.connection_accept(connection=connection, by=request.user)


@router.post("/connections/{connection_id}/decline", response={200: ConnectionOut, **ERRORS})
def connection_decline(request: HttpRequest, connection_id: int):
    connection = _connection(request, connection_id)
    if not permissions.can_respond_connection(request.user, connection):
        raise PermissionDenied(_("Only the organisation that was asked can answer."))
    return services.connection_decline(connection=connection, by=request.user)


@router.post("/connections/{connection_id}/withdraw", response={200: ConnectionOut, **ERRORS})
def connection_withdraw(request: HttpRequest, connection_id: int):
    connection = _connection(request, connection_id)
    if connection.status in (
        Connection.Status.REQUESTED,
        Connection.Status.ACCEPTED,
    ) and not permissions.can_withdraw_connection(request.user, connection):
        raise PermissionDenied(_("Only the organisation that asked can withdraw a request."))
    return services.connection_withdraw(connection=connection, by=request.user)
