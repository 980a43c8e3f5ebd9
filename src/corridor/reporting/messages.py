"""The one place where the reporting app tells people something (notifications seam).

Calls `corridor.notifications.services.notify` once that app is installed (in-app list, queued
email, per-kind opt-out); until then the message is mailed at once, rendered in the recipient's
language, deduplicated by key through the cache. The kinds are registered in apps.py.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

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
    "reporting.report_changed": _("A bottleneck report you follow changed"),
    "reporting.report_assigned": _("A bottleneck report was assigned to your organisation"),
    "reporting.report_overdue": _("A bottleneck report is past its deadline"),
    "reporting.order_update": _("The other side updated an order"),
    "reporting.order_late": _("An order step is late"),
}


def register_kinds() -> None:
    """Called from ReportingConfig.ready when the notifications app is installed."""
    from corridor.notifications import kinds

    for name, label in KINDS.items():
        kinds.register(name, label=label)


def tell(
    *,
    user,
    kind: str,
    key: str,
    subject: Any,
    template: str,
    context: dict[str, Any],
    url: str | None = None,
) -> None:
    """Tell `user` once per `key` (a retried call with the same key sends nothing new)."""
    if _silent.get():
        return
    if apps.is_installed("corridor.notifications"):
        from corridor.notifications.services import notify

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
        text = str(subject)
        if "%(" in text:
            text = text % context
        body = render_to_string(template, {**context, "user": user, "url": url})
        send_mail(text, body, None, [user.email])
