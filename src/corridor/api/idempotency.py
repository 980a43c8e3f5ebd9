"""Idempotency-Key for API posts: a retried post returns the first answer and creates nothing.

The key is scoped to the caller's token (a browser session: to the user) and kept 24 hours.
The same key with the same body (and the same method and address) returns the first answer
with `Idempotent-Replayed: true`; the same key with another body is refused with 422
(`idempotency_key_reused`). The record is written in the same transaction as the post's own
changes, under a unique constraint on (token, key): a retry racing the first request waits for
it (PostgreSQL) or for the database lock (SQLite), then replays its answer. A post that fails
stores nothing, so it can be retried with the same key.

Usage in an endpoint:

    def create(request, payload, response: HttpResponse):
        return idempotent(request, response, lambda: (201, Schema.from_orm(obj).model_dump(...)))
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Status

from corridor.api.errors import ApiError

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def _model():
    # The record lives in the reporting app's tables (the API package has no models of its own).
    from corridor.reporting.models import IdempotencyRecord

    return IdempotencyRecord


def fingerprint(request: HttpRequest) -> str:
    """sha256 of the method, the address and the body; a JSON body is compared by meaning
    (key order and spacing do not matter)."""
    raw = request.body or b""
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        body = raw
    h = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        h.update(part)
        h.update(b"\0")
    return h.hexdigest()


def request_key(request: HttpRequest) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise ApiError(
            400,
            _("Send an Idempotency-Key header (for example a UUID) with every post."),
            code="idempotency_key_required",
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise ApiError(
            400,
            _("The Idempotency-Key is at most 255 printable ASCII characters."),
            code="idempotency_key_invalid",
        )
    return key


def purge_expired(now=None) -> int:
    """Forget keys older than 24 hours (run daily; a post also forgets its own expired key)."""
    now = now or timezone.now()
    deleted, _rows = _model().objects.filter(created_at__lt=now - KEEP).delete()
    return deleted


def idempotent(
    request: HttpRequest,
    response: HttpResponse,
    handler: Callable[[], tuple[int, dict[str, Any]]],
) -> Status:
    """Run `handler` (which returns the status and a JSON-ready body) once per key."""
    Record = _model()  # noqa: N806
    key = request_key(request)
    fp = fingerprint(request)
    token = getattr(request, "api_token", None)
    user = request.user
    scope = {"token": token} if token is not None else {"token__isnull": True, "user": user}
    now = timezone.now()
    with transaction.atomic():
        Record.objects.filter(**scope, key=key, created_at__lt=now - KEEP).delete()
        try:
            with transaction.atomic():
                record = Record.objects.create(
                    token=token, user=user, key=key, fingerprint=fp, created_at=now
                )
        except IntegrityError:
            record = None
        if record is None:
            first = Record.objects.filter(**scope, key=key).first()
            if first is None:  # pragma: no cover - the first request rolled back meanwhile
                raise ApiError(409, _("Please retry this request."), code="idempotency_retry")
            if first.fingerprint != fp:
                raise ApiError(
                    422,
                    _("This Idempotency-Key was used with another request body."),
                    code="idempotency_key_reused",
                    details=[{"loc": ["header", HEADER], "msg": key, "type": "reused"}],
                )
            if first.status_code is None:
                raise ApiError(
                    409,
                    _("A request with this Idempotency-Key is still being processed."),
                    code="idempotency_in_progress",
                )
            response["Idempotent-Replayed"] = "true"
            return Status(first.status_code, first.response)
        status, body = handler()
        record.status_code = status
        record.response = body
        record.save(update_fields=["status_code", "response"])
    return Status(status, body)
