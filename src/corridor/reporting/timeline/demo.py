"""Demo orders with timelines: one on its way, one late at the border, one delivered and paid,
between the demo SME (Bat Trang ceramics) and demo buyers. Called from reporting.demo."""

from __future__ import annotations

import datetime

from django.utils import timezone

from corridor.accounts.models import User
from corridor.directory.models import BorderCrossing, Organisation
from corridor.reporting import messages
from corridor.reporting.timeline import services
from corridor.reporting.timeline.models import Timeline

SUPPLIER = "demo-hoa-sen-bat-trang-ceramics"
BUYER = "demo-siam-organic-foods"
LAO_BAO = "Lao Bao–Dansavanh"


def load_timeline_demo() -> int:
    """Three orders with their timelines, once; returns how many orders were created."""
    from corridor.followup.models import Order

    supplier = Organisation.objects.filter(slug=SUPPLIER).first()
    buyer = Organisation.objects.filter(slug=BUYER).first()
    sme = User.objects.filter(username="sme").first()
    buyer_user = User.objects.filter(username="buyer").first()
    if not (supplier and buyer and sme and buyer_user):
        return 0
    if Timeline.objects.filter(order__supplier=supplier, order__buyer=buyer).exists():
        return 0
    crossing = BorderCrossing.objects.filter(name=LAO_BAO).first()
    today = timezone.localdate()

    def day(n: int) -> datetime.date:
        return today - datetime.timedelta(days=n)

    created = 0
    with messages.silenced():
        for placed in (30, 45, 80):
            # Only the fields every order has; value, product and volume are followup's to fill.
            order = Order.objects.create(
                supplier=supplier, buyer=buyer, ordered_on=day(placed), created_by=sme
            )
            created += 1
            services.timeline_for(order)

            def step(kind, by, **kw):
                services.step_record(order=order, by=by, kind=kind, source="demo", **kw)  # noqa: B023

            if placed == 30:  # in production, expected ready next week
                step("in_production", sme, actual_on=day(25), expected_on=day(24))
                step("ready", sme, expected_on=today + datetime.timedelta(days=7))
            elif placed == 45:  # late at the border
                step("in_production", sme, actual_on=day(40))
                step("ready", sme, actual_on=day(20), expected_on=day(22))
                step("shipped", sme, actual_on=day(12), crossing=crossing, transport_mode="road")
                step("at_border", buyer_user, actual_on=day(9), note="Waiting for inspection.")
                step("cleared", buyer_user, expected_on=day(7))
            else:  # delivered and paid
                for kind, n in (
                    ("in_production", 75),
                    ("ready", 60),
                    ("shipped", 55),
                    ("at_border", 52),
                    ("cleared", 51),
                    ("delivered", 48),
                ):
                    step(
                        kind,
                        sme if kind in ("in_production", "ready", "shipped") else buyer_user,
                        actual_on=day(n),
                    )
                step("paid", sme, actual_on=day(40), note="Paid by bank transfer.")
    return created
