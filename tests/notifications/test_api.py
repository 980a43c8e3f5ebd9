"""/api/v1/notifications: own list, one, read marks, unread count; refusals."""

from __future__ import annotations

import pytest

from corridor.notifications.models import Notification
from tests.api.conftest import assert_error, bearer_client

pytestmark = pytest.mark.django_db


def test_list_own_notifications_only(ping, stranger, sme_owner):
    mine = ping(stranger, key="a")
    ping(sme_owner, key="a")
    response = bearer_client(stranger).get("/api/v1/notifications")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["id"] == mine.pk
    assert body["items"][0]["subject"] == "New connection request on Corridor"
    assert body["items"][0]["read_at"] is None


def test_unread_filter_count_and_mark_read(ping, stranger):
    a = ping(stranger, key="a")
    b = ping(stranger, key="b")
    api = bearer_client(stranger)
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    response = api.post(f"/api/v1/notifications/{a.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    unread = api.get("/api/v1/notifications?unread=true").json()
    assert [i["id"] for i in unread["items"]] == [b.pk] and unread["count"] == 1
    assert api.post("/api/v1/notifications/read-all").json() == {"marked": 1}
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 0}


def test_another_users_notification_is_not_found(ping, stranger, sme_owner):
    theirs = ping(sme_owner)
    api = bearer_client(stranger)
    assert_error(api.get(f"/api/v1/notifications/{theirs.pk}"), 404, "not_found")
    assert_error(api.post(f"/api/v1/notifications/{theirs.pk}/read"), 404, "not_found")
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_anonymous_is_refused(client, ping, stranger):
    n = ping(stranger)
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post(f"/api/v1/notifications/{n.pk}/read").status_code == 401
