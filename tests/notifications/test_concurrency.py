"""Concurrent retries on PostgreSQL: one row and one email however many jobs race."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection, connections

from corridor.notifications import services
from corridor.notifications.models import Notification
from tests import factories

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database"),
]


def _race(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def test_concurrent_notify_and_send_make_one_row_and_one_email(ping):
    user = factories.UserFactory(username="racer")
    found = _race(8, lambda: ping(user, key="same").pk)
    assert len(set(found)) == 1
    assert Notification.objects.filter(recipient=user).count() == 1
    assert [m.to for m in mail.outbox] == [[user.email]]  # sent by the winner's commit

    # Eight retries of a send job racing for the same waiting email: one of them sends it.
    Notification.objects.update(email_status="pending", emailed_at=None)
    mail.outbox.clear()
    sent = _race(8, lambda: services.emails_send(ids=found[:1]))
    assert sum(sent) == 1
    assert [m.to for m in mail.outbox] == [[user.email]]
