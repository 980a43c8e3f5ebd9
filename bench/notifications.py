"""Benchmark of notifications: telling 5,000 people at once, sending their emails in batches,
and the unread count every signed-in page pays for.

    python bench/notifications.py                       # 5,000 recipients, SQLite (a file)
    python bench/notifications.py --people 500          # a quick run
    python bench/notifications.py --postgres postgres://corridor:corridor@127.0.0.1:55432/corridor

A throw-away database is created (SQLite in a temporary folder, or `test_<db>` on PostgreSQL)
and dropped afterwards. Emails go to Django's in-memory backend, wrapped to count connection
opens: the figures are our side of sending (claiming, rendering, marking), not SMTP's.
Timings are wall clock on a shared machine: other processes add noise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) > 1 else samples[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", ""))
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="corridor-bench-notify-")
    os.environ["CORRIDOR_DATA_DIR"] = tmp
    os.environ["DATABASE_URL"] = args.postgres or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.conf import settings

    django.setup()
    from django.core.mail.backends.locmem import EmailBackend
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from huey.contrib.djhuey import HUEY

    setup_test_environment()  # locmem mail backend, mail.outbox
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"{tmp}/test.sqlite3"  # a file, not memory
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    HUEY.immediate = True
    settings.ALLOWED_HOSTS = ["testserver"]

    opens = [0]

    class Counting(EmailBackend):
        def open(self):
            opens[0] += 1
            return True

    sys.modules[__name__].Counting = Counting
    settings.EMAIL_BACKEND = f"{__name__}.Counting"

    from django.core import mail
    from django.db import transaction

    from corridor.accounts.models import User
    from corridor.notifications import kinds, selectors, services
    from corridor.notifications.models import Notification

    kinds.register("bench.ping", label="Bench")
    languages = ["en", "vi", "th", "km", "lo", "my"]
    try:
        User.objects.bulk_create(
            User(username=f"p{i}", email=f"p{i}@example.com", language=languages[i % 6])
            for i in range(args.people)
        )
        people = list(User.objects.all())
        print(f"database: {connection.vendor}, {len(people)} recipients")

        start = time.perf_counter()
        with transaction.atomic():
            created = services.notify_many(
                users=people,
                kind="bench.ping",
                key="bench:1",
                subject="New connection request on Corridor",
                body_template="connections/email/accepted.txt",
                context={"connection": {"from_org": {"name": "A"}, "to_org": {"name": "B"}}},
                url="/connections/",
            )
            queued = time.perf_counter() - start
        total = time.perf_counter() - start  # the commit runs the email job (immediate mode)
        print(
            f"notify_many: {len(created)} notifications in {queued:.2f} s; "
            f"their {len(mail.outbox)} emails sent in {total - queued:.2f} s "
            f"({1000 * (total - queued) / max(1, len(mail.outbox)):.2f} ms each) "
            f"over {opens[0]} connections (batches of {services.BATCH_SIZE})"
        )

        samples = []
        mail.outbox.clear()
        for i in range(200):
            t = time.perf_counter()
            with transaction.atomic():
                services.notify(
                    user=people[i],
                    kind="bench.ping",
                    key=f"bench:single:{i}",
                    subject="New connection request on Corridor",
                    body_template="connections/email/accepted.txt",
                    context={"connection": {"from_org": {"name": "A"}, "to_org": {"name": "B"}}},
                    url="/connections/",
                )
            samples.append(time.perf_counter() - t)
        print(
            f"notify() one person, email sent on commit: p50 "
            f"{1000 * statistics.median(samples):.1f} ms, p95 {1000 * _p95(samples):.1f} ms"
        )

        # A busy person: 20,000 notifications, 2,000 unread, among everybody else's.
        busy = people[0]
        Notification.objects.bulk_create(
            Notification(
                recipient=busy,
                kind="bench.ping",
                key=f"bench:busy:{i}",
                subject=f"Message {i}",
                body="Text",
                read_at=None if i % 10 == 0 else busy.date_joined,
            )
            for i in range(20000)
        )
        samples = []
        for _ in range(200):
            t = time.perf_counter()
            selectors.unread_count(busy)
            samples.append(time.perf_counter() - t)
        print(
            f"unread count of the header ({selectors.unread_count(busy)} unread of "
            f"{Notification.objects.filter(recipient=busy).count()}): p50 "
            f"{1000 * statistics.median(samples):.2f} ms, p95 {1000 * _p95(samples):.2f} ms"
        )
        client = Client()
        client.force_login(busy)
        client.get("/notifications/")
        samples = []
        for page in range(1, 51):
            t = time.perf_counter()
            response = client.get(f"/notifications/?page={page}")
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200
        print(
            f"notifications page (20 a page, pages 1-50): p50 "
            f"{1000 * statistics.median(samples):.1f} ms, p95 {1000 * _p95(samples):.1f} ms"
        )
    finally:
        connection.creation.destroy_test_db(
            connection.settings_dict["NAME"], verbosity=0, keepdb=False
        )


if __name__ == "__main__":
    main()
