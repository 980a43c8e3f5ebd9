"""Benchmark of reporting: the analysis and public pages over 100,000 bottleneck reports, and
the sustained rate of API posts with an Idempotency-Key from 20 clients against gunicorn.

    python bench/reporting.py                      # 100,000 reports, SQLite
    python bench/reporting.py --postgres postgres://user:pw@127.0.0.1:55432/db   # and PostgreSQL
    python bench/reporting.py --reports 10000 --api-seconds 5     # a quick run
    (TEST_POSTGRES_URL in the environment has the same effect as --postgres)

Each database runs in its own process. On PostgreSQL a database `<db>_reporting_bench` is made
next to the one in the URL and dropped afterwards. Page latency is the whole page through
Django's test Client against the real view (query, medians, charts, map, rendering).

The API part runs only on PostgreSQL: it starts its own gunicorn on a free loopback port
(3 workers), makes 20 users each with its own token, and lets 20 client threads post reports
for --api-seconds. Every fifth post is sent twice with the same key (a client retrying): the
second answer must be the first one, replayed. A last round sends one key from 20 threads at
once. The run fails if any request errs or any report is duplicated. The per-user API rate
limit is raised for the run (bench/reporting_settings.py): this measures the server, not the
limit. Timings are wall clock on a shared 2-core machine: other processes add noise.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
HS_CODES = [
    "100630", "080450", "691200", "090111", "090411", "080132", "500720", "210390", "170290",
    "090230", "081340", "460219", "030617", "071410", "190230", "220300", "440799", "940360",
]  # fmt: skip
STATUSES = (
    ["open"] * 20
    + ["acknowledged"] * 10
    + ["in_progress"] * 15
    + ["resolved"] * 40
    + ["closed"] * 15
)


def _setup(database_url: str, data_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    os.environ["CORRIDOR_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()


def _load(n_reports: int) -> float:
    from django.utils import timezone

    from corridor.accounts.models import User
    from corridor.directory.models import BorderCrossing, HSCode, Organisation
    from corridor.reporting.models import BottleneckReport

    rng = random.Random(14)
    t0 = time.perf_counter()
    user, _ = User.objects.get_or_create(
        username="bench-reporter", defaults={"email": "bench-reporter@example.com"}
    )
    focal = Organisation.objects.filter(kind="support").first()
    if focal is None:
        focal = Organisation.objects.create(
            kind="support", name="Bench agency", slug="bench-agency", country_id="LA"
        )
    crossings = list(BorderCrossing.objects.values_list("id", flat=True))
    codes = [c for c in HS_CODES if HSCode.objects.filter(pk=c).exists()]
    today = timezone.localdate()
    now = timezone.now()
    batch = []
    for i in range(n_reports):
        occurred = today - datetime.timedelta(days=rng.randrange(3 * 365))
        crossing = rng.choice(crossings) if rng.random() < 0.9 else None
        code = rng.choice(codes)
        status = rng.choice(STATUSES)
        created = timezone.make_aware(
            datetime.datetime.combine(occurred, datetime.time(8))
        ) + datetime.timedelta(hours=rng.randrange(72))
        created = min(created, now)
        closed = None
        if status in ("resolved", "closed"):
            closed = created + datetime.timedelta(hours=rng.randrange(1, 60 * 24))
        cost = Decimal(rng.randrange(0, 200000)) / 100 if rng.random() < 0.7 else None
        batch.append(
            BottleneckReport(
                category=rng.choice(
                    ["customs", "transport", "standards", "payment", "information", "other"]
                ),
                crossing_id=crossing,
                hs_code_id=code,
                hs_chapter=code[:2],
                public_group=BottleneckReport.group_key(crossing, code[:2], occurred),
                description=f"Bench report {i}",
                occurred_on=occurred,
                delay_days=rng.randrange(0, 15) if rng.random() < 0.9 else None,
                cost_amount=cost,
                cost_currency="USD",
                cost_usd=cost,
                reporter=user,
                source="bench",
                status=status,
                focal_point=focal if status != "open" else None,
                deadline=occurred + datetime.timedelta(days=14) if status != "open" else None,
                public_note="Handled." if status in ("resolved", "closed") else "",
                created_at=created,
                closed_at=closed,
            )
        )
        if len(batch) == 5000:
            BottleneckReport.objects.bulk_create(batch)
            batch = []
    BottleneckReport.objects.bulk_create(batch)
    from corridor.reporting.services import public_groups_refresh

    public_groups_refresh()
    return time.perf_counter() - t0


def _load_orders(n_updates: int) -> tuple[float, int | None, int | None]:
    """Orders with timelines and `n_updates` updates (20 per order): (seconds, an order id, the
    id of a user of its supplier). Needs the timeline app (followup's Order)."""
    from django.utils import timezone

    from corridor.accounts.models import Membership, User
    from corridor.directory.models import BorderCrossing, Organisation
    from corridor.followup.models import Order
    from corridor.reporting.timeline.models import (
        SEQUENCE,
        SHIPMENT_STEPS,
        OrderUpdate,
        Shipment,
        Timeline,
        TimelineStep,
    )

    rng = random.Random(41)
    t0 = time.perf_counter()
    per_order = 20
    n_orders = max(1, n_updates // per_order)
    suppliers = [
        Organisation.objects.create(
            kind="sme", name=f"Bench supplier {i}", slug=f"bench-supplier-{i}", country_id="KH"
        )
        for i in range(50)
    ]
    buyer = Organisation.objects.create(
        kind="buyer", name="Bench buyer", slug="bench-buyer", country_id="TH"
    )
    user, _ = User.objects.get_or_create(
        username="bench-supplier", defaults={"email": "bench-supplier@example.com"}
    )
    Membership.objects.get_or_create(user=user, organisation=suppliers[0])
    today = timezone.localdate()
    crossings = list(BorderCrossing.objects.values_list("id", flat=True))
    done = 0
    for start in range(0, n_orders, 2000):
        count = min(2000, n_orders - start)
        orders = Order.objects.bulk_create(
            Order(
                supplier=suppliers[(start + i) % len(suppliers)],
                buyer=buyer,
                ordered_on=today - datetime.timedelta(days=rng.randrange(700)),
            )
            for i in range(count)
        )
        timelines = Timeline.objects.bulk_create(Timeline(order=o) for o in orders)
        shipments = Shipment.objects.bulk_create(
            Shipment(timeline=t, number=1, crossing_id=rng.choice(crossings), transport_mode="road")
            for t in timelines
        )
        steps = []
        for t, ship, o in zip(timelines, shipments, orders, strict=True):
            for pos, kind in enumerate(SEQUENCE):
                expected = o.ordered_on + datetime.timedelta(days=4 * pos)
                actual = expected + datetime.timedelta(days=rng.randrange(-2, 4))
                steps.append(
                    TimelineStep(
                        timeline=t,
                        shipment=ship if kind in SHIPMENT_STEPS else None,
                        kind=kind,
                        position=pos,
                        expected_on=expected,
                        actual_on=actual if actual <= today else None,
                    )
                )
        steps = TimelineStep.objects.bulk_create(steps, batch_size=5000)
        by_timeline: dict[int, list] = {}
        for st in steps:
            by_timeline.setdefault(st.timeline_id, []).append(st)
        updates = []
        for t in timelines:
            own = by_timeline[t.pk]
            for j in range(per_order):
                updates.append(
                    OrderUpdate(
                        timeline=t,
                        step=own[j % len(own)],
                        by=user,
                        side="supplier" if j % 2 else "buyer",
                        note=f"update {j}",
                        source="bench",
                    )
                )
        OrderUpdate.objects.bulk_create(updates, batch_size=5000)
        done += len(updates)
    first = Order.objects.filter(supplier=suppliers[0]).order_by("id").first()
    return time.perf_counter() - t0, first.pk if first else None, user.pk


def _time(client, url: str, repeats: int) -> tuple[float, float]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def run_pages(
    n_reports: int, database_url: str, label: str, repeats: int, n_updates: int = 0
) -> None:
    data_dir = tempfile.mkdtemp(prefix="corridor-bench-reporting-")
    _setup(database_url, data_dir)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from corridor.accounts.models import User
    from corridor.directory.reference import load_reference
    from corridor.reporting.models import BottleneckReport

    call_command("migrate", verbosity=0)
    load_reference()
    t_load = _load(n_reports) if not BottleneckReport.objects.exists() else 0.0
    from django.apps import apps

    order_cases = []
    if n_updates and apps.is_installed("corridor.reporting.timeline"):
        from corridor.reporting.timeline.models import OrderUpdate

        t_orders, order_id, supplier_user_id = _load_orders(n_updates)
        print(f"{label}: {OrderUpdate.objects.count():,} order updates loaded in {t_orders:.1f} s")
        supplier_client = Client()
        supplier_client.force_login(User.objects.get(pk=supplier_user_id))
        order_cases = [
            ("an order's timeline (supplier)", supplier_client, f"/reporting/orders/{order_id}/"),
            ("my orders (supplier)", supplier_client, "/reporting/orders/"),
            ("time at the border (staff)", None, "/reporting/orders/border-times/"),
        ]
    elif n_updates:
        print("order updates skipped: the timeline app is not installed (needs followup's Order)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"\n== {label}: {BottleneckReport.objects.count():,} reports, loaded in {t_load:.1f} s")
    staff, _ = User.objects.get_or_create(
        username="bench-staff", defaults={"email": "bench-staff@example.com", "is_staff": True}
    )
    client = Client()
    client.force_login(staff)
    anon = Client()
    three_years = (datetime.date.today() - datetime.timedelta(days=3 * 365)).isoformat()
    cases = [
        ("analysis, last 12 months", client, "/reporting/analysis/"),
        ("analysis, one category", client, "/reporting/analysis/?category=customs"),
        ("analysis, all 3 years", client, f"/reporting/analysis/?date_from={three_years}"),
        ("public page", anon, "/reporting/public/"),
        ("public page, filtered", anon, "/reporting/public/?status=resolved&category=transport"),
        ("my reports (staff: all)", client, "/reporting/"),
        *order_cases,
    ]
    print(f"{'page':32} {'p50':>9} {'p95':>9}")
    for name, c, url in cases:
        c = c or client
        p50, p95 = _time(c, url, repeats)
        print(f"{name:32} {p50:>7.1f}ms {p95:>7.1f}ms")
    print("aim: analysis p95 under 300 ms")
    connection.close()
    shutil.rmtree(data_dir, ignore_errors=True)


# --- API posts against gunicorn ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(conn: http.client.HTTPConnection, token: str, key: str, body: dict):
    conn.request(
        "POST",
        "/api/v1/reports",
        body=json.dumps(body),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
            "Host": "127.0.0.1",
        },
    )
    response = conn.getresponse()
    data = response.read()
    return response.status, response.getheader("Idempotent-Replayed"), data


def run_api(database_url: str, seconds: float, clients: int) -> None:
    data_dir = tempfile.mkdtemp(prefix="corridor-bench-api-")
    _setup(database_url, data_dir)
    from corridor.accounts.models import User
    from corridor.accounts.services import api_token_create
    from corridor.directory.models import BorderCrossing
    from corridor.reporting.models import BottleneckReport

    crossings = list(BorderCrossing.objects.values_list("id", flat=True))
    tokens = []
    for i in range(clients):
        user, _ = User.objects.get_or_create(
            username=f"bench-api-{i}", defaults={"email": f"bench-api-{i}@example.com"}
        )
        tokens.append(api_token_create(user=user, name="bench")[1])
    before = BottleneckReport.objects.filter(source="api").count()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reporting_settings",
        "PYTHONPATH": f"{ROOT / 'bench'}{os.pathsep}{ROOT / 'src'}",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "corridor.wsgi", "--preload", "--workers", "3", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        # Warm-up, not counted: every worker loads its templates and opens its connection.
        for n in range(clients):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(3):
                conn.request(
                    "GET", "/api/v1/reports", headers={"Authorization": f"Bearer {tokens[n]}"}
                )
                conn.getresponse().read()
            conn.close()
        stats = {"created": 0, "replayed": 0, "errors": [], "keys": 0, "latency": []}
        lock = threading.Lock()
        stop_at = time.time() + seconds

        def client(n: int) -> None:
            rng = random.Random(n)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            i = 0
            while time.time() < stop_at:
                i += 1
                key = str(uuid.uuid4())
                body = {
                    "category": rng.choice(["customs", "transport", "payment"]),
                    "description": f"client {n} post {i}",
                    "crossing_id": rng.choice(crossings),
                    "delay_days": rng.randrange(10),
                }
                sends = 2 if i % 5 == 0 else 1
                first = None
                for attempt in range(sends):
                    t = time.perf_counter()
                    status, replayed, data = _post(conn, tokens[n], key, body)
                    elapsed = time.perf_counter() - t
                    with lock:
                        stats["latency"].append(elapsed * 1000)
                        if status != 201:
                            stats["errors"].append((status, data[:200]))
                        elif attempt == 0:
                            stats["created"] += 1
                            stats["keys"] += 1
                            first = data
                        else:
                            stats["replayed"] += 1
                            if replayed != "true" or json.loads(data) != json.loads(first):
                                stats["errors"].append(("replay differs", data[:200]))
            conn.close()

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        made = BottleneckReport.objects.filter(source="api").count() - before
        posts = stats["created"] + stats["replayed"]
        lat = sorted(stats["latency"])
        print(f"\n== API posts: {clients} clients, each with its own token, {elapsed:.1f} s")
        print(
            f"{posts:,} posts ({stats['replayed']:,} retries replayed), "
            f"{posts / elapsed:.1f} posts/s, p50 {statistics.median(lat):.0f} ms, "
            f"p95 {lat[int(0.95 * (len(lat) - 1))]:.0f} ms"
        )
        print(f"reports created {made:,} for {stats['keys']:,} keys; errors {len(stats['errors'])}")

        # One key from all clients at once (same token): exactly one report.
        race_key, race_body = (
            str(uuid.uuid4()),
            {
                "category": "other",
                "description": "race",
                "crossing_id": crossings[0],
            },
        )
        answers = []

        def racer() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            answers.append(_post(conn, tokens[0], race_key, race_body))
            conn.close()

        racers = [threading.Thread(target=racer) for _ in range(clients)]
        for t in racers:
            t.start()
        for t in racers:
            t.join()
        ids = {json.loads(a[2]).get("id") for a in answers if a[0] == 201}
        race_ok = all(a[0] == 201 for a in answers) and len(ids) == 1
        race_made = BottleneckReport.objects.filter(description="race", source="api").count()
        print(
            f"race: {clients} simultaneous posts of one key -> {race_made} report, "
            f"statuses {sorted({a[0] for a in answers})}"
        )
        if stats["errors"] or made != stats["keys"] or not race_ok or race_made != 1:
            print("FAILED:", stats["errors"][:5])
            sys.exit(1)
        print("no error, no duplicate")
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(data_dir, ignore_errors=True)


def _pg_bench_url(url: str) -> tuple[str, str, str]:
    parts = urlparse(url)
    db = parts.path.lstrip("/") or "postgres"
    bench_db = f"{db}_reporting_bench"
    admin = urlunparse(parts._replace(path="/postgres"))
    return urlunparse(parts._replace(path=f"/{bench_db}")), bench_db, admin


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=1_000_000, help="order updates")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", ""))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--api-seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--only", choices=["sqlite", "postgres", "api"], help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.only in ("sqlite", "postgres"):
        run_pages(args.reports, args.url, args.only, args.repeats, args.updates)
        return
    if args.only == "api":
        run_api(args.url, args.api_seconds, args.clients)
        return
    base = [sys.executable, __file__, "--reports", str(args.reports), "--updates", str(args.updates), "--repeats",
            str(args.repeats), "--api-seconds", str(args.api_seconds), "--clients",
            str(args.clients)]  # fmt: skip
    subprocess.run([*base, "--only", "sqlite"], check=True)
    if not args.postgres:
        print("\nPostgreSQL and the API run skipped: pass --postgres URL or set TEST_POSTGRES_URL.")
        return
    url, bench_db, admin_url = _pg_bench_url(args.postgres)
    _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_db}"')
    _pg_admin(admin_url, f'CREATE DATABASE "{bench_db}"')
    try:
        subprocess.run([*base, "--only", "postgres", "--url", url], check=True)
        subprocess.run([*base, "--only", "api", "--url", url], check=True)
    finally:
        _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
