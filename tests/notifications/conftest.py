"""Fixtures of the notification tests: test kinds, a test template, a counting mail backend."""

from __future__ import annotations

import copy
import smtplib
from pathlib import Path

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.utils.translation import gettext_lazy

from corridor.notifications import kinds

kinds.register("tests.ping", label="Test pings")
kinds.register("tests.quiet", label="Quiet test pings", email_default=False)


class CountingBackend(EmailBackend):
    """The locmem backend (mail.outbox) that counts connection opens and can fail on demand."""

    opens = 0
    fail_at: int | None = None  # raise when this many messages were already sent
    fail_with: type[Exception] = smtplib.SMTPServerDisconnected
    refuse: set[str] = set()
    sent = 0

    def open(self):
        type(self).opens += 1
        if type(self).fail_at == -1:
            raise smtplib.SMTPConnectError(421, "mail server down")
        return True

    def send_messages(self, messages):
        cls = type(self)
        for m in messages:
            if cls.fail_at is not None and cls.sent >= cls.fail_at:
                raise cls.fail_with("connection lost")
            if set(m.to) & cls.refuse:
                raise smtplib.SMTPRecipientsRefused({m.to[0]: (550, b"no such user")})
            cls.sent += 1
        return super().send_messages(messages)


@pytest.fixture
def backend(settings):
    settings.EMAIL_BACKEND = "tests.notifications.conftest.CountingBackend"
    CountingBackend.opens = 0
    CountingBackend.sent = 0
    CountingBackend.fail_at = None
    CountingBackend.fail_with = smtplib.SMTPServerDisconnected
    CountingBackend.refuse = set()
    return CountingBackend


@pytest.fixture(autouse=True)
def _test_templates(settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], Path(__file__).parent / "templates"]
    settings.TEMPLATES = templates


@pytest.fixture
def ping():
    """ping(user, key="k1", **kw) -> notify() of the test kind with the test template."""
    from corridor.notifications.services import notify

    def _ping(user, key="k1", **kw):
        args = {
            "user": user,
            "kind": "tests.ping",
            "key": key,
            "subject": gettext_lazy("New connection request on Corridor"),  # in the catalogue
            "body_template": "tests_notify/body.txt",
            "context": {"name": "Dara"},
            "url": "/connections/",
        }
        return notify(**{**args, **kw})

    return _ping
