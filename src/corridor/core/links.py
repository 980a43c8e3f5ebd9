"""Personal no-login links: a random token opens exactly one object for one purpose.

The token is returned once by `link_issue` (to put in an email, or to show staff to copy into
a messaging app); only its SHA-256 is stored. A link expires, can be closed when its purpose is
fulfilled, and `link_open` only finds it for the purpose it was made for. Used by follow-up
surveys and training assessments.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LinkInvalid(Exception):
    """The link is unknown, expired or closed; `reason` says which (for a specific message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return str(MESSAGES.get(self.reason, MESSAGES["unknown"]))


MESSAGES = {
    "unknown": _("This link is not valid. Please check that you copied all of it."),
    "expired": _("This link has expired. Ask the programme team for a new one."),
    "closed": _("This link was already used and is now closed."),
}


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def link_issue(*, purpose: str, target: models.Model, valid_for: datetime.timedelta):
    """A new link to `target` for `purpose`; returns (raw token, PersonalLink). The raw token
    is not stored anywhere: show or send it now."""
    from corridor.followup.models import PersonalLink

    raw = secrets.token_urlsafe(24)
    link = PersonalLink.objects.create(
        purpose=purpose,
        token_hash=hash_token(raw),
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        expires_at=timezone.now() + valid_for,
    )
    return raw, link


def link_open(*, raw: str, purpose: str, model: type[models.Model], count: bool = True):
    """The PersonalLink named by `raw` for `purpose` pointing at a `model` row, or LinkInvalid.
    A link of another purpose or to another kind of object is 'unknown', like a wrong token."""
    from corridor.followup.models import PersonalLink

    if not raw or len(raw) > 100:
        raise LinkInvalid("unknown")
    link = (
        PersonalLink.objects.filter(
            token_hash=hash_token(raw),
            purpose=purpose,
            content_type=ContentType.objects.get_for_model(model),
        )
        .select_related("content_type")
        .first()
    )
    if link is None:
        raise LinkInvalid("unknown")
    now = timezone.now()
    if link.closed_at is not None:
        raise LinkInvalid("closed")
    if link.expires_at <= now:
        raise LinkInvalid("expired")
    if count:
        PersonalLink.objects.filter(pk=link.pk).update(
            last_used_at=now, use_count=F("use_count") + 1
        )
    return link


def links_close(*, purpose: str, target: models.Model) -> int:
    """Close every open link to `target` for `purpose` (the survey was answered)."""
    from corridor.followup.models import PersonalLink

    return PersonalLink.objects.filter(
        purpose=purpose,
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        closed_at__isnull=True,
    ).update(closed_at=timezone.now())
