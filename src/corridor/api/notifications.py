"""The caller's notifications: list, one, mark read, mark all read, unread count."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from corridor.api.auth import auth_required
from corridor.api.errors import ERRORS
from corridor.api.pagination import Page, PageParams, paginate
from corridor.notifications import selectors, services
from corridor.notifications.models import Notification

router = Router(tags=["notifications"], auth=auth_required)


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    url: str = Field(description="A path on this site (or empty).")
    created_at: datetime
    read_at: datetime | None


class NotificationFilters(Schema):
    unread: bool = Field(False, description="Only the unread ones.")


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


def _own(request: HttpRequest, notification_id: int) -> Notification:
    # Somebody else's notification is "not found": its existence is not the caller's business.
    notification = selectors.notifications_for(request.user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404
    return notification


@router.get("/notifications", response={200: Page[NotificationOut], **ERRORS})
def notification_list(
    request: HttpRequest, filters: Query[NotificationFilters], page: Query[PageParams]
):
    """The caller's notifications, newest first."""
    return paginate(selectors.notifications_for(request.user, unread_only=filters.unread), page)


@router.get("/notifications/unread-count", response={200: UnreadOut, **ERRORS})
def notification_unread_count(request: HttpRequest):
    return {"unread": selectors.unread_count(request.user)}


@router.post("/notifications/read-all", response={200: MarkedOut, **ERRORS})
def notification_read_all(request: HttpRequest):
    return {"marked": services.notifications_mark_all_read(user=request.user)}


@router.get("/notifications/{notification_id}", response={200: NotificationOut, **ERRORS})
def notification_detail(request: HttpRequest, notification_id: int):
    return _own(request, notification_id)


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **ERRORS})
def notification_read(request: HttpRequest, notification_id: int):
    return services.notification_mark_read(
        notification=_own(request, notification_id), user=request.user
    )
