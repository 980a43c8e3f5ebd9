"""Demo bottleneck reports at the demo crossings, in every state, and a focal-point login.

Called from `corridor load_demo` after the directory; running it again creates nothing new.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from corridor.accounts.models import Membership, User
from corridor.directory.demo import PASSWORD
from corridor.directory.models import BorderCrossing, HSCode, Organisation
from corridor.reporting import messages, services
from corridor.reporting.models import BottleneckReport

FOCAL_ORG = "demo-vientiane-sme-promotion-office"
ASSOCIATION = "demo-cambodian-organic-producers-association"

MOC_BAI = "Moc Bai–Bavet"
POIPET = "Aranyaprathet–Poipet"
MUKDAHAN = "Mukdahan–Savannakhet (Second Thai–Lao Friendship Bridge)"
LAO_BAO = "Lao Bao–Dansavanh"
MAE_SOT = "Mae Sot–Myawaddy"

# (crossing, HS code, months ago, category, delay days, cost, currency, final state, note,
#  days to close, what happened)
REPORTS = [
    (
        MOC_BAI,
        "100630",
        0,
        "customs",
        3,
        "120",
        "USD",
        "open",
        "",
        None,
        "Rice truck held for three days: the phytosanitary certificate was asked for twice.",
    ),
    (
        MOC_BAI,
        "100630",
        0,
        "standards",
        5,
        "300",
        "USD",
        "acknowledged",
        "The plant-protection office confirmed it received the case.",
        None,
        "Lab result from the provincial lab not accepted at the border.",
    ),
    (
        MOC_BAI,
        "100630",
        0,
        "customs",
        2,
        "60",
        "USD",
        "in_progress",
        "A single window desk for rice is being set up at the gate.",
        None,
        "Manual inspection of every bag although the certificate was valid.",
    ),
    (
        MOC_BAI,
        "100630",
        0,
        "transport",
        1,
        "40",
        "USD",
        "overdue",
        "",
        None,
        "No trucks allowed to cross after 17:00, cargo waited overnight.",
    ),
    (
        MUKDAHAN,
        "080450",
        1,
        "standards",
        4,
        "250",
        "USD",
        "resolved",
        "Mango fumigation certificates are now checked once, at the first gate.",
        12,
        "Fruit fumigation certificate checked on both sides of the bridge.",
    ),
    (
        MUKDAHAN,
        "080450",
        1,
        "payment",
        0,
        "90",
        "USD",
        "closed",
        "Outside the border agencies' remit; referred to the banks' association.",
        6,
        "Buyer's bank held the transfer for a week asking for the customs declaration.",
    ),
    (
        MUKDAHAN,
        "080450",
        1,
        "customs",
        2,
        "75",
        "USD",
        "resolved",
        "Opening hours extended to 22:00 during the mango season.",
        20,
        "Queue of four hours at the bridge during the harvest.",
    ),
    (
        LAO_BAO,
        "691200",
        2,
        "information",
        0,
        None,
        "USD",
        "resolved",
        "Tariff schedule for ceramic tableware published in Lao and Vietnamese.",
        9,
        "Nobody could tell us the tariff for ceramic tableware to Lao PDR.",
    ),
    (
        LAO_BAO,
        "691200",
        2,
        "transport",
        6,
        "400",
        "USD",
        "in_progress",
        "Transit permit for Vietnamese trucks under review.",
        None,
        "Our trucks must transship at the border: breakage of ceramics.",
    ),
    (
        LAO_BAO,
        "691200",
        2,
        "customs",
        1,
        "25",
        "USD",
        "acknowledged",
        "",
        None,
        "Customs valuation disputed for every shipment of bowls.",
    ),
    (
        POIPET,
        "090111",
        0,
        "other",
        2,
        "1500000",
        "KHR",
        "open",
        "",
        None,
        "Informal fee asked at the weighing station.",
    ),
    (
        MAE_SOT,
        "100630",
        1,
        "transport",
        8,
        "700",
        "USD",
        "open",
        "",
        None,
        "Road closed after floods, no information about reopening.",
    ),
]


def _focal_user(stdout_created: list[int]) -> User | None:
    org = Organisation.objects.filter(slug=FOCAL_ORG).first()
    if org is None:
        return None
    user = User.objects.filter(username="focal").first()
    if user is None:
        user = User(
            username="focal",
            email="focal@example.com",
            full_name="Khamphou Sisavath",
            language="lo",
        )
        user.set_password(PASSWORD)
        user.save()
        stdout_created[0] += 1
    Membership.objects.get_or_create(
        user=user, organisation=org, defaults={"role": Membership.Role.FOCAL_POINT}
    )
    return user


def _month_start(months_ago: int) -> datetime.date:
    d = timezone.localdate().replace(day=1)
    for _ in range(months_ago):
        d = (d - datetime.timedelta(days=1)).replace(day=1)
    return d


@transaction.atomic
def load_reporting_demo(*, stdout: TextIO | None = None) -> int:
    """Create the demo reports (and, once orders exist, order timelines) once; returns how many
    records were created."""
    from django.apps import apps

    created = [0]
    if apps.is_installed("corridor.reporting.timeline"):
        from corridor.reporting.timeline.demo import load_timeline_demo

        created[0] += load_timeline_demo()
    focal = _focal_user(created)
    if BottleneckReport.objects.filter(source="demo").exists():
        return created[0]
    admin = User.objects.filter(username="admin").first()
    sme = User.objects.filter(username="sme").first()
    buyer = User.objects.filter(username="buyer").first()
    focal_org = Organisation.objects.filter(slug=FOCAL_ORG).first()
    crossings = {c.name: c for c in BorderCrossing.objects.all()}
    if not (admin and sme and buyer and focal_org and crossings):
        return created[0]
    reporters = [sme, buyer]
    today = timezone.localdate()
    with messages.silenced():
        for i, spec in enumerate(REPORTS):
            (name, hs, months, category, delay, cost, currency, state, note, close_days, text) = (
                spec
            )
            by = reporters[i % 2]
            org = by.memberships.first().organisation if by.memberships.exists() else None
            occurred = min(_month_start(months) + datetime.timedelta(days=2 + i), today)
            report = services.report_create(
                by=by,
                org=org,
                data={
                    "category": category,
                    "description": text,
                    "crossing": crossings.get(name),
                    "hs_code": HSCode.objects.filter(pk=hs).first(),
                    "occurred_on": occurred,
                    "delay_days": delay,
                    "cost_amount": Decimal(cost) if cost else None,
                    "cost_currency": currency,
                },
                source="demo",
            )
            created[0] += 1
            filed = timezone.make_aware(datetime.datetime.combine(occurred, datetime.time(9)))
            BottleneckReport.objects.filter(pk=report.pk).update(created_at=filed)
            report.refresh_from_db()
            if state == "open":
                continue
            services.report_assign(report=report, focal_point=focal_org, by=admin)
            if state == "overdue":
                BottleneckReport.objects.filter(pk=report.pk).update(
                    deadline=today - datetime.timedelta(days=2)
                )
                continue
            path = {
                "acknowledged": ["acknowledged"],
                "in_progress": ["acknowledged", "in_progress"],
                "resolved": ["acknowledged", "in_progress", "resolved"],
                "closed": ["acknowledged", "closed"],
            }[state]
            for step in path:
                report = services.report_set_status(
                    report=report, to_status=step, by=focal or admin, public_note=note or None
                )
            if close_days:
                BottleneckReport.objects.filter(pk=report.pk).update(
                    closed_at=filed + datetime.timedelta(days=close_days)
                )
    if stdout is not None:
        stdout.write(f"Reporting: {len(REPORTS)} bottleneck reports, focal point login 'focal'.\n")
    return created[0]
