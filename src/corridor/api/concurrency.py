"""Optimistic concurrency for API updates: ETag on reads, If-Match on PATCH (HTTP's way).

The tag fingerprints the fields a client can edit, so a change elsewhere (a product added to
the organisation being edited, a reindex) does not make a client's copy stale.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from corridor.api.errors import ApiError
from corridor.core.seclog import security_event


def etag(obj: Model) -> str:
    """A strong entity tag of the record's editable fields."""
    values = [
        f"{f.name}={f.value_from_object(obj)!r}"
        for f in obj._meta.concrete_fields
        if f.editable and not f.primary_key
    ]
    digest = hashlib.blake2b("\0".join(values).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


def check_if_match(request: HttpRequest, obj: Model) -> Model:
    """Lock the record and refuse (412) an update whose If-Match names another version; no
    header: no check. Returns the locked, freshly read record: write that one.

    Runs inside the caller's `transaction.atomic()`, so that the check and the write are one
    step: on PostgreSQL `SELECT ... FOR UPDATE` makes a second writer wait for the first to
    commit and then see its version (412); on SQLite the IMMEDIATE transaction mode (settings)
    takes the write lock when the transaction begins, with the same effect.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("check_if_match must run inside transaction.atomic()")
    fresh = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return fresh
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    if "*" in tags or etag(fresh) in tags:
        return fresh
    security_event("precondition_failed", request, model=obj._meta.label, pk=obj.pk)
    raise ApiError(
        412,
        _("This record changed since you read it: read it again, then apply your change."),
        code="precondition_failed",
    )


def tagged(response: HttpResponse, obj: Model) -> Model:
    """Set the ETag header of `response` for `obj`, and return `obj`."""
    response["ETag"] = etag(obj)
    return obj
