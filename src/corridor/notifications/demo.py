"""Demo notifications: a welcome in each demo user's language, so the header shows a count."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from corridor.notifications.models import Notification
from corridor.notifications.services import notify


def load_demo_notifications(users) -> int:
    """Welcome every demo user (idempotent: the key makes a second run add nothing).
    Returns the number created now."""
    before = Notification.objects.count()
    for user in users:
        notify(
            user=user,
            kind="notifications.welcome",
            key="notifications.welcome",
            subject=_("Welcome to Corridor"),
            body_template="notifications/email/welcome.txt",
            context={},
            url=reverse("notifications:settings"),
        )
    return Notification.objects.count() - before
