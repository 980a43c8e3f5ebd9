"""Reads of notifications: a person's list, the unread count, their email choices."""

from __future__ import annotations

from django.db.models import QuerySet

from corridor.notifications import kinds
from corridor.notifications.models import Notification, NotificationPreference


def notifications_for(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The in-app notifications of `user`, newest first (never anybody else's)."""
    qs = Notification.objects.filter(recipient=user).only(
        "id", "kind", "subject", "body", "url", "created_at", "read_at", "recipient_id"
    )
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user) -> int:
    if not (user and user.is_authenticated):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def email_choices(user) -> list[tuple[kinds.Kind, bool]]:
    """Each kind people may turn off, with whether `user` gets its emails (choice or default)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return [(k, chosen.get(k.name, k.email_default)) for k in kinds.all_kinds(optional_only=True)]
