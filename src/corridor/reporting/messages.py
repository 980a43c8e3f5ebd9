"""The one place where the reporting app tells people something (notifications seam).

Calls `corridor.notifications.notify` once it exists; until then the message is mailed at once,
rendered in the recipient's language, with the same arguments, so that switching is one line.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

_silent = contextvars.ContextVar("reporting_silent", default=False)


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Tell nobody inside the block (loading demo data is not news)."""
    token = _silent.set(True)
    try:
        yield
    finally:
        _silent.reset(token)


KINDS = {
    "reporting.report_changed": "A bottleneck report you follow changed",
    "reporting.report_assigned": "A bottleneck report was assigned to your organisation",
    "reporting.report_overdue": "A bottleneck report is past its deadline",
}


def tell(
    *,
    user,
    kind: str,
    key: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    url: str | None = None,
) -> None:
    """Tell `user` once per `key` (a retried call with the same key sends nothing new)."""
    if _silent.get():
        return
    try:
        from corridor.notifications import notify  # type: ignore[attr-defined]
    except ImportError:
        notify = None
    if notify is not None:
        notify(
            user=user,
            kind=kind,
            key=key,
            subject=subject,
            body_template=template,
            context=context,
            url=url,
        )
        return
    from django.core.cache import cache

    # Without the notifications app: deduplicate through the cache for a day.
    if not cache.add(f"reporting-notice:{user.pk}:{key}", 1, 86400):
        return
    if not user.email:
        return
    with translation.override(user.language or settings.LANGUAGE_CODE):
        body = render_to_string(template, {**context, "user": user, "url": url})
        send_mail(str(subject), body, None, [user.email])
