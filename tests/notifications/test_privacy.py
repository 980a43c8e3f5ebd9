"""A person's notifications are in their data export and go with their account."""

from __future__ import annotations

import pytest

from corridor.accounts.privacy import account_delete, personal_data_export
from corridor.notifications import services
from corridor.notifications.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def test_export_holds_notifications_and_email_choices(ping, stranger):
    ping(stranger)
    services.preference_set(user=stranger, kind="tests.quiet", email=True)
    data = personal_data_export(stranger)
    assert [n["subject"] for n in data["notifications"]] == ["New connection request on Corridor"]
    assert data["notification_email_choices"] == {"tests.quiet": True}


def test_account_deletion_removes_notifications_and_address_messages(ping, stranger):
    ping(stranger)
    services.preference_set(user=stranger, kind="tests.quiet", email=True)
    services.notify_address(
        email=stranger.email.upper(),
        language="",
        kind="tests.ping",
        key="invite",
        subject="x",
        body_template="tests_notify/body.txt",
        context={},
    )
    account_delete(user=stranger)
    assert Notification.objects.count() == 0
    assert NotificationPreference.objects.count() == 0
