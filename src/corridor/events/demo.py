"""The demo event, built on the 2014 SME cluster promotion and investor forum: the 16 demo
clusters and the demo buyers registered, meeting requests in every state, a schedule computed by
the engine, and the first day's meetings marked held. Idempotent: a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from corridor.accounts.models import User
from corridor.directory.models import Organisation, SourcingRequest
from corridor.directory.vocab import OrgKind
from corridor.events import messages, services
from corridor.events.models import Event, Meeting, MeetingRequest, Registration, ScheduleRun

SLUG = "demo-mekong-sme-cluster-investor-forum"
ZONE = "Asia/Bangkok"


def _day_slots(day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    tz = zoneinfo.ZoneInfo(ZONE)
    return [
        (
            dt.datetime.combine(day, dt.time(9, 0), tz),
            dt.datetime.combine(day, dt.time(11, 55), tz),
        ),
        (
            dt.datetime.combine(day, dt.time(14, 0), tz),
            dt.datetime.combine(day, dt.time(16, 55), tz),
        ),
    ]


def _offers(org: Organisation) -> str:
    products = [p.name for p in org.products.all()[:4]]
    return ", ".join(filter(None, [org.product_focus, *products]))[:2000]


def _codes(org: Organisation) -> list[str]:
    return sorted({p.hs_code_id for p in org.products.all() if p.hs_code_id})[:4]


def load_event_demo(*, stdout: TextIO | None = None) -> dict[str, int]:
    """Create the demo forum when it is missing; returns counts (created = 0 on a second run)."""
    with messages.muted(), transaction.atomic():
        return _load(stdout)


def _load(stdout: TextIO | None) -> dict[str, int]:
    if Event.objects.filter(slug=SLUG).exists():
        event = Event.objects.get(slug=SLUG)
        return {"created": 0, "meetings": event.meetings.count()}
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None:
        return {"created": 0, "meetings": 0}
    clusters = list(
        Organisation.objects.filter(kind=OrgKind.CLUSTER, slug__startswith="demo-")
        .prefetch_related("products")
        .order_by("slug")
    )
    buyers = list(
        Organisation.objects.filter(kind=OrgKind.BUYER, slug__startswith="demo-")
        .prefetch_related("products")
        .order_by("slug")
    )
    today = timezone.localdate()
    event = services.event_create(
        by=admin,
        name="Mekong SME Cluster Promotion and Investor Forum (demo)",
        description=(
            "Built on the institute's 2014 forum: SME clusters of Cambodia, Lao PDR, Myanmar and "
            "Viet Nam meet buyers, traders and investors in one-to-one business meetings."
        ),
        venue="Sokha Phnom Penh Hotel, Mekong ballroom",
        address="Keo Chenda Street, Chroy Changvar, Phnom Penh",
        time_zone=ZONE,
        tables=12,
        request_expiry_days=5,
    )
    # Slug fixed so that the demo is found again (and linked from the README).
    Event.objects.filter(pk=event.pk).update(slug=SLUG)
    event.slug = SLUG
    for day in (today - dt.timedelta(days=1), today + dt.timedelta(days=1)):
        for start, end in _day_slots(day):
            services.session_add(
                event=event,
                by=admin,
                starts_at=start,
                ends_at=end,
                slot_minutes=25,
                pause_minutes=5,
            )
    services.event_set_status(event=event, by=admin, status=Event.Status.REGISTRATION_OPEN)
    regs: dict[int, Registration] = {}
    for org in clusters + buyers:
        looks_for = ""
        wanted: list[str] = []
        if org.kind == OrgKind.BUYER:
            reqs = list(SourcingRequest.objects.filter(buyer=org)[:3])
            looks_for = ", ".join(r.title for r in reqs)
            wanted = sorted({r.hs_code_id for r in reqs if r.hs_code_id})
        regs[org.pk] = services.registration_create(
            event=event,
            organisation=org,
            by=admin,
            offers=_offers(org),
            looks_for=looks_for,
            offer_hs_codes=_codes(org),
            wanted_hs_codes=wanted,
            visible_to_participants=True,
            representatives=[
                {
                    "name": f"{org.name} delegate",
                    "languages": "en",
                    "needs_interpreter": org.country_id in ("LA", "MM"),
                }
            ],
        )
    # A third of the delegations arrive on the second day, so that the forum spans both days.
    day_one = list(event.slots.filter(starts_at__date__lt=today + dt.timedelta(days=1)))
    for k, reg in enumerate(regs.values()):
        if k % 3 == 0:
            reg.unavailable_slots.set(day_one)
    for number, buyer in enumerate(buyers[:4], start=1):
        services.table_fix_host(event=event, by=admin, number=number, registration=regs[buyer.pk])
    # Requests: each buyer asks four clusters; most accept, and every other state appears.
    states = ["accepted", "accepted", "accepted", "pending", "declined", "expired", "cancelled"]
    n = 0
    for i, buyer in enumerate(buyers):
        for j in range(4):
            cluster = clusters[(i * 3 + j) % len(clusters)]
            state = states[n % len(states)]
            n += 1
            request = services.request_send(
                from_registration=regs[buyer.pk],
                to_registration=regs[cluster.pk],
                by=admin,
                message=f"We would like to discuss {cluster.product_focus or 'your products'}.",
                priority=1 + (n % 3),
            )
            if state == "accepted":
                services.request_accept(request=request, by=admin, priority=1 + (j % 3))
            elif state == "declined":
                services.request_decline(request=request, by=admin)
            elif state == "cancelled":
                services.request_cancel(request=request, by=admin)
            elif state == "expired":
                MeetingRequest.objects.filter(pk=request.pk).update(
                    expires_at=timezone.now() - dt.timedelta(hours=1)
                )
    services.requests_expire()
    # A multi-party meeting: a buyer with a cluster's team of two more clusters.
    if len(buyers) > 1 and len(clusters) > 3:
        multi = services.request_send(
            from_registration=regs[buyers[1].pk],
            to_registration=regs[clusters[-1].pk],
            by=admin,
            message="A joint meeting with your partner clusters.",
            priority=3,
            invitees=[regs[clusters[-2].pk], regs[clusters[-3].pk]],
        )
        services.request_accept(request=multi, by=admin, priority=2)
        for reg in (regs[clusters[-2].pk], regs[clusters[-3].pk]):
            services.request_accept(request=multi, by=admin, priority=2, registration=reg)
    # Clusters also meet each other (complementary value chains).
    for a, b in zip(clusters[::2], clusters[1::2], strict=False):
        req = services.request_send(
            from_registration=regs[a.pk], to_registration=regs[b.pk], by=admin, priority=2
        )
        services.request_accept(request=req, by=admin, priority=1)
    # The schedule, computed by the engine (the loader runs it here; the web page queues it).
    run = ScheduleRun.objects.create(
        event=event,
        kind=ScheduleRun.Kind.SOLVE,
        time_limit=3,
        base_version=Event.objects.get(pk=event.pk).schedule_version,
        started_by=admin,
    )
    Event.objects.filter(pk=event.pk).update(scheduling_started_at=timezone.now())
    services.schedule_run_execute(run=run)
    event.refresh_from_db()
    Event.objects.filter(pk=event.pk).update(
        status=Event.Status.RUNNING, schedule_published_at=timezone.now()
    )
    # Yesterday's meetings: held (one no-show, one disagreement), rated by one side.
    past = (
        Meeting.objects.filter(event=event, slot__ends_at__lt=timezone.now())
        .prefetch_related("seats__registration")
        .order_by("slot__starts_at", "table")
    )
    for k, meeting in enumerate(past):
        seats = [s.registration for s in meeting.seats.all()]
        if k % 9 == 4:
            services.meeting_mark(meeting=meeting, by=admin, mark="no_show", registration=seats[0])
            continue
        services.meeting_mark(meeting=meeting, by=admin, mark="held", registration=seats[0])
        if k % 9 == 7:
            services.meeting_mark(meeting=meeting, by=admin, mark="no_show", registration=seats[1])
        services.meeting_feedback(
            meeting=meeting,
            by=admin,
            rating=3 + k % 3,
            wants_follow_up=k % 4 != 0,
            registration=seats[0],
        )
    for reg in list(regs.values())[: len(regs) // 2]:
        services.check_in(registration=reg, by=admin)
    placed = event.meetings.filter(slot__isnull=False).count()
    if stdout is not None:
        stdout.write(
            f"Demo event: {len(regs)} participants, {event.meetings.count()} meetings "
            f"({placed} scheduled), /events/{SLUG}/\n"
        )
    return {"created": 1, "meetings": event.meetings.count()}
