"""Benchmark of follow-up: one survey round through a real SMTP server, then the impact dashboard
on 100,000 leads and 500,000 survey answers.

    python bench/followup.py                      # SQLite, full size
    python bench/followup.py --scale 0.1          # a quick run (10,000 leads, 50,000 answers)
    python bench/followup.py --postgres postgres://user:pw@host:5432/db   # also PostgreSQL
    (TEST_POSTGRES_URL in the environment has the same effect as --postgres)

1. Round: 5,000 new leads (10,000 surveys: two sides each) are asked at step 0 by
   `followup.sending.send_followups`, through Django's SMTP backend, to an aiosmtpd server that
   the bench starts on 127.0.0.1 (a real SMTP conversation per message, one connection per
   round). It prints the round's time and checks that the server received 10,000 messages and
   that a second round sends none.
2. Dashboard: 50 cohorts of 2,000 leads (one per event: the first-contact day of the cohort is
   the event's day), stages spread like a real programme, ~10,500 orders in five currencies,
   500,000 answered survey invitations; every order converted by `services.orders_refresh`.
   Then every view of the dashboard is requested through Django's test Client (the page for
   staff and viewers with each filter, the API, every table in CSV and Excel), cold (the cache
   version bumped before each request: figures computed) and warm (cached figures), and the
   p50/p95 of each is printed with the p95 of this process's CPU time (aim: p95 < 300 ms).

Each database runs in its own process. On PostgreSQL a database `<db>_followup_bench` is
created next to the one in the URL and dropped afterwards. Wall-clock timings on a shared
machine include waiting for a CPU; the CPU column does not (but leaves out PostgreSQL's own
work, done in its server process).
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES = ["VN", "TH", "KH", "LA", "MM"]
HS = ["100630", "090111", "691200", "500720", "080132", "090411", "460219", "210390"]
TRADE = ["met", "contact", "samples", "negotiating", "first_order", "repeat_orders"]


class Sink:
    """An aiosmtpd handler that counts what it receives."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.count += 1
        return "250 OK"


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run(url: str, label: str, scale: float, repeats: int, dashboard_only: bool = False) -> None:
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # one line per SMTP command
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    sink = Sink()
    with socket.socket() as probe:  # a free port on loopback (aiosmtpd checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    data_dir = (
        os.path.dirname(urlparse(url).path)
        if dashboard_only and url.startswith("sqlite")
        else tempfile.mkdtemp(prefix="corridor-followup-bench-")
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "corridor.settings"
    os.environ["CORRIDOR_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = url or f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"\n== {label}")
    try:
        if dashboard_only:  # the data of an earlier run (--url), measured again
            _dashboard(repeats)
            return
        _round(sink, scale)
        _load(scale)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
        else:
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        _dashboard(repeats)
    finally:
        controller.stop()


def _orgs(n_suppliers: int, n_buyers: int, tag: str):
    from corridor.directory.models import Country, HSCode, Organisation, Province

    for code in COUNTRIES:
        Country.objects.get_or_create(code=code, defaults={"name": code})
        for i in range(4):
            Province.objects.get_or_create(
                code=f"{code}-B{i}", defaults={"country_id": code, "name": f"{code} province {i}"}
            )
    for code in HS:
        HSCode.objects.get_or_create(
            code=code[:2], defaults={"description": f"chapter {code[:2]}", "level": 2}
        )
        HSCode.objects.get_or_create(code=code, defaults={"description": code, "level": 6})
    clusters = Organisation.objects.bulk_create(
        [
            Organisation(
                kind="cluster",
                name=f"Cluster {tag}{i}",
                slug=f"bench-cluster-{tag}{i}",
                country_id=COUNTRIES[i % 5],
                province_id=f"{COUNTRIES[i % 5]}-B{i % 4}",
            )
            for i in range(max(1, n_suppliers // 20))
        ]
    )
    suppliers = Organisation.objects.bulk_create(
        [
            Organisation(
                kind="sme",
                name=f"Maker {tag}{i}",
                slug=f"bench-sme-{tag}{i}",
                country_id=clusters[i % len(clusters)].country_id,
                province_id=clusters[i % len(clusters)].province_id,
                cluster=clusters[i % len(clusters)],
                email=f"maker{tag}{i}@bench.example",
            )
            for i in range(n_suppliers)
        ],
        batch_size=2000,
    )
    buyers = Organisation.objects.bulk_create(
        [
            Organisation(
                kind="buyer",
                name=f"Buyer {tag}{i}",
                slug=f"bench-buyer-{tag}{i}",
                country_id=COUNTRIES[(i + 1) % 5],
                email=f"buyer{tag}{i}@bench.example",
            )
            for i in range(n_buyers)
        ],
        batch_size=2000,
    )
    return suppliers, buyers


def _round(sink: Sink, scale: float) -> None:
    from django.utils import timezone

    from corridor.followup.models import FollowUpPlan, FollowUpStep, Lead
    from corridor.followup.sending import send_followups

    n = max(10, int(5000 * scale))
    suppliers, buyers = _orgs(n, max(1, n // 5), "r")
    today = timezone.localdate()
    now = timezone.now()
    Lead.objects.bulk_create(
        [
            Lead(
                supplier=suppliers[i],
                buyer=buyers[i % len(buyers)],
                stage="met",
                started_on=today,
                stage_changed_at=now,
                product="Bench product",
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    plan = FollowUpPlan.objects.create(name="Bench")
    for months in (0, 1, 3, 6, 12):
        FollowUpStep.objects.create(plan=plan, offset_months=months)
    t0 = time.perf_counter()
    run = send_followups(trigger="bench")
    elapsed = time.perf_counter() - t0
    again = send_followups(trigger="bench")
    print(
        f"survey round: {run.sent:,} surveys sent to the SMTP sink in {elapsed:.1f} s "
        f"({run.sent / elapsed:,.0f}/s); sink received {sink.count:,}; "
        f"second round sent {again.sent}"
    )
    assert sink.count == run.sent == 2 * n, (sink.count, run.sent)
    assert again.sent == 0


def _load(scale: float) -> None:
    from django.utils import timezone

    from corridor.events.models import Event
    from corridor.followup import impact_cache, services
    from corridor.followup.models import (
        STAGES_BY_KIND,
        ExchangeRate,
        FollowUpPlan,
        Lead,
        Order,
        SurveyAnswer,
        SurveyInvitation,
    )

    rng = random.Random(7)
    n_leads = int(100_000 * scale)
    n_suppliers, n_buyers = max(40, int(2000 * scale)), max(60, int(1000 * scale))
    t0 = time.perf_counter()
    suppliers, buyers = _orgs(n_suppliers, n_buyers, "d")
    today = timezone.localdate()
    now = timezone.now()
    cohorts = 50
    events = Event.objects.bulk_create(
        [Event(name=f"Bench forum {i}", slug=f"bench-forum-{i}") for i in range(cohorts)]
    )
    # The copies the services keep on each lead (bulk_create skips the services).
    places = {s.pk: services.supplier_place(s) for s in suppliers}
    per = max(1, n_leads // cohorts)
    leads = []
    for k in range(n_leads):
        s = k % n_suppliers
        b = (k // n_suppliers + s * 7) % n_buyers
        cohort = min(cohorts - 1, k // per)
        started = today - datetime.timedelta(days=14 + cohort * 9)
        r = rng.random()
        if r < 0.12:
            furthest = rng.randrange(0, 4)
            stage, reason = "dropped", rng.choice(["price", "quality", "no_reply", "logistics"])
        else:
            furthest = min(5, int(rng.expovariate(0.7)))
            stage, reason = TRADE[furthest], ""
        code = HS[k % len(HS)]
        leads.append(
            Lead(
                supplier_id=suppliers[s].pk,
                buyer_id=buyers[b].pk,
                stage=stage,
                drop_reason=reason,
                furthest=furthest,
                started_on=started,
                stage_changed_at=now,
                hs_code_id=code,
                hs_chapter=code[:2],
                product="Bench product",
                event_id=events[cohort].pk,
                **places[suppliers[s].pk],
            )
        )
    Lead.objects.bulk_create(leads, batch_size=5000)
    ids = list(
        Lead.objects.filter(supplier__slug__startswith="bench-sme-d")
        .order_by("id")
        .values_list("id", "supplier_id", "buyer_id", "stage", "started_on", "hs_code_id")
    )
    for currency, rate in (
        ("THB", "0.03"),
        ("VND", "0.00004"),
        ("KHR", "0.000245"),
        ("LAK", "0.000047"),
    ):
        ExchangeRate.objects.get_or_create(
            currency=currency,
            valid_from=today - datetime.timedelta(days=900),
            defaults={"usd_per_unit": Decimal(rate)},
        )
    orders = []
    for lead_id, sid, bid, stage, started, hs in ids:
        if stage not in ("first_order", "repeat_orders"):
            continue
        for i in range(1 if stage == "first_order" else 3):
            currency = rng.choice(["USD", "THB", "VND", "KHR", "LAK"])
            orders.append(
                Order(
                    lead_id=lead_id,
                    supplier_id=sid,
                    buyer_id=bid,
                    kind="first" if i == 0 else "repeat",
                    ordered_on=min(today, started + datetime.timedelta(days=30 + 20 * i)),
                    value=Decimal(rng.randrange(500, 50_000)) * (1 if currency == "USD" else 30),
                    currency=currency,
                    hs_code_id=hs,
                )
            )
    Order.objects.bulk_create(orders, batch_size=5000)
    t1 = time.perf_counter()
    converted = services.orders_refresh()  # what a change of rate does, for every order
    print(
        f"orders_refresh: {converted:,} orders given their US dollars in "
        f"{time.perf_counter() - t1:.1f} s"
    )
    plan = FollowUpPlan.objects.get(name="Bench")
    steps = list(plan.steps.order_by("offset_months"))
    expires = now + datetime.timedelta(days=30)
    target = int(500_000 * scale)
    made = 0
    # Steps 0 and +1 for both sides, then +3 for the supplier: 5 answers per lead.
    plan_steps = [
        (steps[0], "supplier"),
        (steps[0], "buyer"),
        (steps[1], "supplier"),
        (steps[1], "buyer"),
        (steps[2], "supplier"),
    ]
    for step, side in plan_steps:
        if made >= target:
            break
        batch = ids[: target - made]
        invitations = SurveyInvitation.objects.bulk_create(
            [
                SurveyInvitation(
                    lead_id=lead_id,
                    step=step,
                    side=side,
                    status="answered",
                    email="x@bench.example",
                    expires_at=expires,
                    sent_at=now,
                    answered_at=now,
                )
                for lead_id, *_rest in batch
            ],
            batch_size=5000,
        )
        if invitations and invitations[0].pk is None:  # SQLite before 3.35 returns no ids
            invitations = list(
                SurveyInvitation.objects.filter(step=step, side=side, status="answered").order_by(
                    "id"
                )
            )
        stage_of = {lead_id: stage for lead_id, _s, _b, stage, *_r in batch}
        SurveyAnswer.objects.bulk_create(
            [
                SurveyAnswer(
                    invitation_id=inv.pk,
                    lead_id=inv.lead_id,
                    side=side,
                    stage=stage_of.get(inv.lead_id, "met"),
                    drop_reason="price" if stage_of.get(inv.lead_id) == "dropped" else "",
                )
                for inv in invitations
            ],
            batch_size=5000,
        )
        made += len(invitations)
    assert STAGES_BY_KIND
    impact_cache.changed()
    print(
        f"loaded {Lead.objects.count():,} leads, {Order.objects.count():,} orders, "
        f"{SurveyAnswer.objects.count():,} survey answers in {time.perf_counter() - t0:.1f} s"
    )


def _dashboard(repeats: int) -> None:
    """Each view of the dashboard, "cold" (the figures computed: the cache version is bumped
    before every request, as after any change of a lead or an order) and "warm" (the cached
    figures, as between changes). Aim: p95 < 300 ms cold."""
    from django.test import Client

    from corridor.accounts.models import User
    from corridor.directory.models import Organisation
    from corridor.events.models import Event
    from corridor.followup import impact_cache

    staff, _ = User.objects.get_or_create(
        username="bench-staff", defaults={"email": "s@bench.example", "is_staff": True}
    )
    viewer, _ = User.objects.get_or_create(
        username="bench-viewer",
        defaults={"email": "v@bench.example", "is_programme_viewer": True},
    )
    cluster = Organisation.objects.filter(
        kind="cluster", slug__startswith="bench-cluster-d"
    ).first()
    event = Event.objects.filter(slug__startswith="bench-forum-").order_by("id").first()
    year = datetime.date.today().year
    page = "/followup/impact/"
    views = [
        ("page, staff, whole programme", staff, page),
        ("page, viewer, whole programme", viewer, page),
        ("page, staff, one event", staff, f"{page}?event={event.pk}"),
        ("page, staff, one country", staff, f"{page}?country=VN"),
        ("page, staff, one province", staff, f"{page}?province=VN-B0"),
        ("page, staff, one cluster", staff, f"{page}?cluster={cluster.pk}"),
        ("page, staff, HS chapter 10", staff, f"{page}?hs_chapter=10"),
        ("page, staff, a period", staff, f"{page}?from={year}-01-01&to={year}-12-31"),
        (
            "page, viewer, country+chapter+period",
            viewer,
            f"{page}?country=TH&hs_chapter=69&from={year - 1}-06-01",
        ),
        ("API /api/v1/impact, staff", staff, "/api/v1/impact"),
        ("API /api/v1/impact, viewer, one country", viewer, "/api/v1/impact?country=KH"),
    ]
    for table in ("event", "country", "province", "cluster", "hs_chapter", "month", "funnel"):
        for fmt in ("csv", "xlsx"):
            views.append(
                (f"table {table} ({fmt}), staff", staff, f"{page}?table={table}&format={fmt}")
            )
    views.append(("table cluster (csv), viewer", viewer, f"{page}?table=cluster&format=csv"))
    worst = worst_cpu = 0.0
    print(
        "wall: the request's wall-clock time; cpu: this process's CPU time during it (Django, "
        "and SQLite's work, not PostgreSQL's), which waiting for a busy CPU does not inflate"
    )
    for label, user, url in views:
        client = Client()
        client.force_login(user)
        client.get(url)  # warms Python's and the database's caches
        figures = []
        for cold in (True, False):
            times, cpu = [], []
            for _i in range(repeats):
                if cold:
                    impact_cache.changed()
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            figures.append((statistics.median(times), _p(times, 0.95), _p(cpu, 0.95)))
        worst = max(worst, figures[0][1])
        worst_cpu = max(worst_cpu, figures[0][2])
        (c50, c95, ccpu), (w50, w95, wcpu) = figures
        print(
            f"{label:42s} cold p50 {c50:5.0f} p95 {c95:5.0f} (cpu {ccpu:4.0f}) ms   "
            f"warm p50 {w50:4.0f} p95 {w95:4.0f} (cpu {wcpu:4.0f}) ms"
        )
    print(f"slowest cold p95: wall {worst:.0f} ms, cpu {worst_cpu:.0f} ms (aim < 300 ms)")
    client = Client()
    client.force_login(staff)
    t0 = time.perf_counter()
    response = client.get(f"{page}?format=pdf")
    assert response.status_code == 200
    print(f"PDF impact report of the programme (not a page view): {time.perf_counter() - t0:.1f} s")


def _pg(url: str) -> tuple[str, str]:
    parts = urlparse(url)
    db = parts.path.lstrip("/") or "postgres"
    bench = f"{db}_followup_bench"
    return urlunparse(parts._replace(path=f"/{bench}")), bench


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 100,000 leads")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", ""))
    parser.add_argument("--only", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--dashboard-only",
        action="store_true",
        help="with --only and --url: time the dashboard on the data of an earlier run",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.only:
        run(args.url, args.only, args.scale, args.repeats, args.dashboard_only)
        return
    base = [sys.executable, __file__, "--scale", str(args.scale), "--repeats", str(args.repeats)]
    subprocess.run([*base, "--only", "sqlite"], check=True)
    if not args.postgres:
        print("\nPostgreSQL skipped: pass --postgres URL or set TEST_POSTGRES_URL.")
        return
    url, bench = _pg(args.postgres)
    _pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{bench}"')
    _pg_admin(args.postgres, f'CREATE DATABASE "{bench}"')
    try:
        subprocess.run([*base, "--only", "postgres", "--url", url], check=True)
    finally:
        _pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{bench}"')


if __name__ == "__main__":
    main()
