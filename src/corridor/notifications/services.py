"""Writes of notifications: notify (in-app row + queued email), read marks, email choices, and
the sending of queued emails (one SMTP connection per batch, each email at most once)."""

from __future__ import annotations

import base64
import contextlib
import logging
import secrets
import smtplib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from corridor.notifications import kinds
from corridor.notifications.models import Notification, NotificationPreference

log = logging.getLogger(__name__)

BATCH_SIZE = 100  # emails sent over one SMTP connection
MAX_ATTEMPTS = 5  # the first try, huey's 3 retries, and one pass of the outbox sweep
STALE_CLAIM = timedelta(minutes=30)
UNSUBSCRIBE_SALT = "corridor.notifications.unsubscribe"

Status = Notification.EmailStatus


class EmailDeliveryError(Exception):
    """The mail server failed during a batch; the unsent emails wait for the retry."""


# --- Rendering ----------------------------------------------------------------------------------


def site_url() -> str:
    return settings.CORRIDOR.get("SITE_URL", "http://localhost:8000")


def recipient_language(user) -> str:
    """The user's chosen language when the site offers it, else the site's default."""
    code = (getattr(user, "language", "") or "").strip()
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _absolute(url: str | None) -> str:
    if not url:
        return ""
    return site_url() + url if url.startswith("/") else url


def _render(
    *,
    language: str,
    subject: str | Promise,
    body_template: str,
    context: Mapping[str, Any],
    url: str | None,
    recipient=None,
) -> tuple[str, str]:
    """(subject, body) rendered in `language`. A subject may hold %(name)s placeholders filled
    from `context`."""
    with translation.override(language):
        text = str(subject)
        if "%(" in text:
            text = text % context
        body = render_to_string(
            body_template,
            {"site_url": site_url(), "url": _absolute(url), "recipient": recipient, **context},
        )
    return " ".join(text.split())[:255], body.strip()


# An attachment as callers give it: (file name, content, MIME type).
Attachment = tuple[str, bytes | str, str]
MAX_ATTACHMENT_BYTES = 1_000_000  # per message: a calendar file or a short PDF, not a folder


def _stored_attachments(attachments: Iterable[Attachment] | None) -> list[dict[str, str]]:
    """Attachments as kept in the row (JSON: content in base64), refused when too large."""
    out, total = [], 0
    for name, content, mimetype in attachments or ():
        data = content.encode() if isinstance(content, str) else bytes(content)
        total += len(data)
        if total > MAX_ATTACHMENT_BYTES:
            raise ValueError("Attachments over 1 MB are not queued; link to the file instead.")
        out.append(
            {
                "name": str(name)[:100],
                "mimetype": str(mimetype)[:100],
                "content": base64.b64encode(data).decode("ascii"),
            }
        )
    return out


# --- Email choices ------------------------------------------------------------------------------


def email_wanted(*, user, kind: str) -> bool:
    """Does `user` want emails of `kind` (their choice, else the kind's default)?"""
    if not kinds.get(kind).opt_out:
        return True
    choice = (
        NotificationPreference.objects.filter(user=user, kind=kind)
        .values_list("email", flat=True)
        .first()
    )
    return kinds.get(kind).email_default if choice is None else choice


def preference_set(*, user, kind: str, email: bool) -> NotificationPreference:
    if not kinds.get(kind).opt_out:
        raise ValueError(f"The emails of {kind} are not switched here.")
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"email": email}
    )
    return pref


def unsubscribe_token(*, user, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_target(token: str):
    """(user, kind) named by an unsubscribe link, or None when the link is forged or stale."""
    from corridor.accounts.models import User

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user = User.objects.filter(pk=int(data["u"]), is_active=True).first()
        kind = str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None or not kinds.is_registered(kind) or not kinds.get(kind).opt_out:
        return None
    return user, kind


# --- Creating notifications ---------------------------------------------------------------------

# Ids of emails to queue, collected by `batched()`; None outside such a block.
_collected: ContextVar[list[int] | None] = ContextVar("notifications_collected", default=None)


def _queue(ids: list[int]) -> None:
    """Queue the sending of these emails once the surrounding transaction commits."""
    if not ids:
        return
    collected = _collected.get()
    if collected is not None:
        collected.extend(ids)
        return

    def enqueue() -> None:
        from corridor.notifications import tasks

        try:
            tasks.send_emails(ids)
        except Exception:  # the broker is down: the outbox sweep sends them later
            log.exception("could not queue notification emails %s", ids)

    # robust: whatever happens, the request that saved the data does not fail afterwards.
    transaction.on_commit(enqueue, robust=True)


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Queue the emails of every notify() inside the block as one job (one SMTP connection per
    batch of BATCH_SIZE), as a digest or a re-scheduling that tells many people does."""
    if _collected.get() is not None:  # nested: the outer block queues
        yield
        return
    ids: list[int] = []
    token = _collected.set(ids)
    try:
        yield
    finally:
        _collected.reset(token)
    _queue(ids)


def notify(
    *,
    user,
    kind: str,
    key: str,
    subject: str | Promise,
    body_template: str,
    context: Mapping[str, Any],
    url: str | None = None,
    attachments: Iterable[Attachment] | None = None,
) -> Notification | None:
    """Tell `user` something: an in-app notification and, unless they opted out of `kind` or
    have no address, an email queued after commit. Rendered in the user's language.
    `attachments` ((name, content, MIME type) each) are stored with the queued email and sent
    with it, also by a retried job.

    Idempotent: the same `key` for the same user returns the existing notification and sends
    nothing again, also under concurrent retries. None for a missing or deactivated user.
    """
    if user is None or not user.is_active:
        return None
    kinds.get(kind)
    existing = Notification.objects.filter(recipient=user, key=key).first()
    if existing is not None:
        return existing
    language = recipient_language(user)
    subject_text, body = _render(
        language=language,
        subject=subject,
        body_template=body_template,
        context=context,
        url=url,
        recipient=user,
    )
    emailed = bool(user.email) and email_wanted(user=user, kind=kind)
    stored = _stored_attachments(attachments) if emailed else []
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=user,
                to_email=user.email if emailed else "",
                kind=kind,
                key=key[:200],
                language=language,
                subject=subject_text,
                body=body,
                url=(url or "")[:500],
                email_status=Status.PENDING if emailed else Status.NONE,
                attachments=stored,
            )
    except IntegrityError:  # a concurrent call with the same key won
        return Notification.objects.filter(recipient=user, key=key).first()
    if emailed:
        _queue([notification.pk])
    return notification


def notify_many(
    *,
    users: Iterable,
    kind: str,
    key: str,
    subject: str | Promise,
    body_template: str,
    context: Mapping[str, Any],
    url: str | None = None,
) -> list[Notification]:
    """notify() for many people in a constant number of queries: rendered once per language
    (so the template gets no per-recipient variables), created in bulk, one email job.
    Returns the notifications created now (existing keys are skipped)."""
    kinds.get(kind)
    people = {u.pk: u for u in users if u is not None and u.is_active}
    if not people:
        return []
    done = set(
        Notification.objects.filter(recipient_id__in=people, key=key).values_list(
            "recipient_id", flat=True
        )
    )
    choices = dict(
        NotificationPreference.objects.filter(user_id__in=people, kind=kind).values_list(
            "user_id", "email"
        )
    )
    default = kinds.get(kind).email_default
    if not kinds.get(kind).opt_out:
        choices = {}
    rendered: dict[str, tuple[str, str]] = {}
    rows = []
    for pk, user in people.items():
        if pk in done:
            continue
        language = recipient_language(user)
        if language not in rendered:
            rendered[language] = _render(
                language=language,
                subject=subject,
                body_template=body_template,
                context=context,
                url=url,
            )
        subject_text, body = rendered[language]
        emailed = bool(user.email) and choices.get(pk, default)
        rows.append(
            Notification(
                recipient=user,
                to_email=user.email if emailed else "",
                kind=kind,
                key=key[:200],
                language=language,
                subject=subject_text,
                body=body,
                url=(url or "")[:500],
                email_status=Status.PENDING if emailed else Status.NONE,
            )
        )
    if not rows:
        return []
    with transaction.atomic():
        # ignore_conflicts: a concurrent identical call keeps its rows; ours are skipped.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        Notification.objects.filter(
            recipient_id__in=[r.recipient.pk for r in rows], key=key[:200]
        ).exclude(recipient_id__in=done)
    )
    _queue([n.pk for n in created if n.email_status == Status.PENDING])
    return created


def notify_address(
    *,
    email: str,
    language: str,
    kind: str,
    key: str,
    subject: str | Promise,
    body_template: str,
    context: Mapping[str, Any],
    url: str | None = None,
    attachments: Iterable[Attachment] | None = None,
) -> Notification | None:
    """Email an address that has no account (an invitation, an organisation's own address):
    queued and deduplicated like notify() (attachments too), with no in-app entry. The body is
    cleared once sent, so that a one-time link in it is not kept."""
    kinds.get(kind)
    email = (email or "").strip().lower()
    if not email:
        return None
    existing = Notification.objects.filter(recipient=None, to_email=email, key=key).first()
    if existing is not None:
        return existing
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    subject_text, body = _render(
        language=language, subject=subject, body_template=body_template, context=context, url=url
    )
    stored = _stored_attachments(attachments)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                to_email=email,
                kind=kind,
                key=key[:200],
                language=language,
                subject=subject_text,
                body=body,
                url=(url or "")[:500],
                email_status=Status.PENDING,
                attachments=stored,
            )
    except IntegrityError:
        return Notification.objects.filter(recipient=None, to_email=email, key=key).first()
    _queue([notification.pk])
    return notification


# --- Reading ------------------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification, user) -> Notification:
    if notification.recipient_id != user.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- Sending ------------------------------------------------------------------------------------


def _message(n: Notification, connection) -> EmailMultiAlternatives:
    headers = {"Auto-Submitted": "auto-generated"}
    unsubscribe_url = ""
    kind = kinds.get(n.kind) if kinds.is_registered(n.kind) else None
    if n.recipient_id and kind and kind.opt_out:
        unsubscribe_url = site_url() + reverse(
            "notifications:unsubscribe",
            args=[unsubscribe_token(user=n.recipient, kind=n.kind)],
        )
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    with translation.override(n.language or settings.LANGUAGE_CODE):
        context = {
            "notification": n,
            "link": n.absolute_url,
            "unsubscribe_url": unsubscribe_url,
            "kind_label": kind.label if kind else n.kind,
            "site_url": site_url(),
        }
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    message = EmailMultiAlternatives(
        subject=n.subject, body=text, to=[n.to_email], connection=connection, headers=headers
    )
    message.attach_alternative(html, "text/html")
    for item in n.attachments or []:
        message.attach(item["name"], base64.b64decode(item["content"]), item["mimetype"])
    return message


def _finish(n: Notification, claim: str, **fields) -> None:
    Notification.objects.filter(pk=n.pk, claim=claim).update(claim="", **fields)


def _release(claim: str, error: str) -> None:
    """Put the rows this job claimed and did not send back in the queue (or give up on them)."""
    held = Notification.objects.filter(claim=claim, email_status=Status.SENDING)
    held.filter(email_attempts__gte=MAX_ATTEMPTS).update(
        email_status=Status.FAILED, claim="", email_error=error[:300]
    )
    held.update(email_status=Status.PENDING, claim="", email_error=error[:300])


def emails_send(*, ids: list[int] | None = None) -> int:
    """Send queued emails (these ids, else the oldest waiting), BATCH_SIZE per SMTP connection.

    Each batch is claimed with one UPDATE, so two jobs never hold the same row, and each email is
    marked sent right after the server took it: a retried job sends only what is still waiting.
    A refused address fails that email alone; a failing server puts the rest back and raises
    EmailDeliveryError, on which the task retries. Returns the number sent.
    """
    sent = 0
    if ids is not None:
        chunks = [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]
    else:
        chunks = [None]
    for chunk in chunks:
        sent += _send_batch(chunk)
    return sent


def _send_batch(ids: list[int] | None) -> int:
    claim = secrets.token_hex(16)
    waiting = Notification.objects.filter(email_status=Status.PENDING)
    if ids is not None:
        waiting = waiting.filter(pk__in=ids)
    else:
        oldest = waiting.order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]
        waiting = Notification.objects.filter(pk__in=list(oldest), email_status=Status.PENDING)
    claimed = waiting.update(
        email_status=Status.SENDING,
        claim=claim,
        claimed_at=timezone.now(),
        email_attempts=F("email_attempts") + 1,
    )
    if not claimed:
        return 0
    rows = list(
        Notification.objects.filter(claim=claim, email_status=Status.SENDING)
        .select_related("recipient")
        .order_by("pk")
    )
    sent = 0
    connection = get_connection()
    try:
        connection.open()
        for n in rows:
            try:
                message = _message(n, connection)
            except Exception as exc:  # a template error must not hold back the others
                log.exception("notification %s could not be rendered", n.pk)
                _finish(n, claim, email_status=Status.FAILED, email_error=repr(exc)[:300])
                continue
            try:
                delivered = connection.send_messages([message])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
                _finish(n, claim, email_status=Status.FAILED, email_error=repr(exc)[:300])
                continue
            if not delivered:
                _finish(n, claim, email_status=Status.FAILED, email_error="not accepted")
                continue
            done = {"email_status": Status.SENT, "emailed_at": timezone.now(), "email_error": ""}
            if n.attachments:
                done["attachments"] = []  # sent: the row need not carry the files any more
            if n.recipient_id is None:
                done["body"] = ""  # no in-app entry to show it; one-time links are not kept
            _finish(n, claim, **done)
            sent += 1
    except (smtplib.SMTPException, OSError) as exc:
        _release(claim, repr(exc))
        log.warning("mail server failed after %s of %s emails: %r", sent, len(rows), exc)
        raise EmailDeliveryError(str(exc)) from exc
    except BaseException as exc:
        _release(claim, repr(exc))
        raise
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return sent


def outbox_sweep() -> int:
    """Send what a lost job left waiting, and give up on rows a crashed job held: the server
    may have taken them, and an email twice is worse than a failure staff can see."""
    Notification.objects.filter(
        email_status=Status.SENDING, claimed_at__lt=timezone.now() - STALE_CLAIM
    ).update(email_status=Status.FAILED, claim="", email_error="interrupted while sending")
    sent = 0
    while True:
        try:
            count = _send_batch(None)
        except EmailDeliveryError:
            break
        if not count:
            break
        sent += count
    return sent
