"""Benchmark of training's "what followed": trained vs untrained SMEs over a large directory.

    python bench/training.py                 # 5,000 SMEs, 20,000 leads, 10,000 orders, SQLite
    python bench/training.py --smes 1000     # a quick run

Builds a fresh SQLite database in a temporary folder, then times `selectors.what_followed`
(median of 5 runs) and the page through Django's test Client. Timings are wall clock on a
shared 2-core machine: other processes add noise.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smes", type=int, default=5000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    data_dir = tempfile.mkdtemp(prefix="corridor-bench-training-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    os.environ["CORRIDOR_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuv")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from corridor.accounts.models import User
    from corridor.directory.models import Country, Organisation
    from corridor.followup.models import Lead, Order
    from corridor.training import selectors
    from corridor.training.models import Attendance, Module, Programme, Session

    call_command("migrate", verbosity=0)
    rng = random.Random(15)
    t0 = time.perf_counter()
    vn, _ = Country.objects.get_or_create(code="VN", defaults={"name": "Viet Nam"})
    n = args.smes
    Organisation.objects.bulk_create(
        [Organisation(kind="sme", name=f"SME {i}", slug=f"sme-{i}", country=vn) for i in range(n)]
        + [
            Organisation(kind="buyer", name=f"Buyer {i}", slug=f"buyer-{i}", country=vn)
            for i in range(200)
        ]
    )
    smes = list(Organisation.objects.filter(kind="sme").values_list("id", flat=True))
    buyers = list(Organisation.objects.filter(kind="buyer").values_list("id", flat=True))
    start = datetime.date(2024, 1, 1)
    programme = Programme.objects.create(
        name="Bench", starts_on=start, ends_on=datetime.date(2024, 12, 31)
    )
    module = Module.objects.create(programme=programme, topic="export", title="M", hours=6)
    sessions = [
        Session.objects.create(
            module=module, date=start + datetime.timedelta(days=30 * k), place="X"
        )
        for k in range(10)
    ]
    trained = rng.sample(smes, n * 3 // 10)
    Attendance.objects.bulk_create(
        [
            Attendance(
                session=rng.choice(sessions),
                person_name=f"P{i}",
                person_key=f"p{i}",
                organisation_id=sid,
            )
            for i, sid in enumerate(trained)
        ]
    )
    now = timezone.now()
    pairs = set()
    while len(pairs) < n * 4:
        pairs.add((rng.choice(smes), rng.choice(buyers)))
    Lead.objects.bulk_create(
        [
            Lead(
                supplier_id=s,
                buyer_id=b,
                started_on=start + datetime.timedelta(days=rng.randrange(730)),
                stage=rng.choice(["met", "contact", "first_order", "repeat_orders"]),
                stage_changed_at=now,
            )
            for s, b in pairs
        ],
        batch_size=2000,
    )
    Order.objects.bulk_create(
        [
            Order(
                supplier_id=rng.choice(smes),
                buyer_id=rng.choice(buyers),
                ordered_on=start + datetime.timedelta(days=rng.randrange(730)),
                value=Decimal(rng.randrange(100, 100000)),
                currency="USD",
            )
            for _ in range(n * 2)
        ],
        batch_size=2000,
    )
    print(
        f"loaded {n} SMEs, {len(pairs)} leads, {n * 2} orders in {time.perf_counter() - t0:.1f} s"
    )
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        result = selectors.what_followed(programme)
        runs.append(time.perf_counter() - t)
    print(
        f"what_followed: median {statistics.median(runs) * 1000:.0f} ms "
        f"(trained {result.trained.smes} SMEs / {result.trained.leads} leads, "
        f"untrained {result.untrained.smes} SMEs / {result.untrained.leads} leads)"
    )
    staff = User.objects.create(username="bench", email="b@example.com", is_staff=True)
    client = Client()
    client.force_login(staff)
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        assert client.get(f"/training/programmes/{programme.pk}/what-followed/").status_code == 200
        runs.append(time.perf_counter() - t)
    print(f"what-followed page: median {statistics.median(runs) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
