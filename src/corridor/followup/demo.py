"""Demo follow-up: leads in every stage between the demo suppliers and buyers, orders in several
currencies with their rates, a programme plan with surveys sent and answered, a programme viewer.

Idempotent: leads are keyed on their pair, the plan on its name, rates on currency and date;
a second run creates nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TextIO

from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from corridor.accounts.models import User
from corridor.directory.models import Organisation
from corridor.followup import services
from corridor.followup.models import (
    ExchangeRate,
    FollowUpPlan,
    FollowUpStep,
    Lead,
    Order,
    SurveyInvitation,
)

PLAN = "Programme follow-up (demo)"
RATES = {  # US dollars per unit, two dates so conversion by date shows
    "THB": ("0.0290", "0.0305"),
    "VND": ("0.0000405", "0.0000393"),
    "KHR": ("0.000245", "0.000248"),
    "LAK": ("0.0000470", "0.0000458"),
    "MMK": ("0.000476", "0.000476"),
    "CNY": ("0.139", "0.140"),
}
# (supplier index, buyer index, months since first contact, path of stages, drop reason)
TRADE = [
    (0, 0, 8, ["contact", "samples", "negotiating", "first_order", "repeat_orders"], ""),
    (1, 1, 7, ["contact", "samples", "negotiating", "first_order"], ""),
    (2, 2, 6, ["contact", "samples", "negotiating", "first_order"], ""),
    (3, 3, 5, ["contact", "samples", "negotiating"], ""),
    (4, 4, 4, ["contact", "samples"], ""),
    (5, 5, 3, ["contact"], ""),
    (6, 6, 1, [], ""),
    (7, 7, 9, ["contact", "samples", "dropped"], "price"),
    (8, 8, 10, ["contact", "dropped"], "certification"),
    (9, 9, 2, ["dropped"], "no_reply"),
    (10, 10, 12, ["contact", "samples", "negotiating", "first_order", "repeat_orders"], ""),
    (11, 11, 0, [], ""),
]
ORDERS = [  # trade index, months ago, value, currency
    (0, 6, "42000", "USD"),
    (0, 3, "1350000", "THB"),
    (0, 1, "1200000", "THB"),
    (1, 4, "310000000", "VND"),
    (2, 3, "18500", "USD"),
    (10, 9, "95000000", "KHR"),
    (10, 5, "120000000", "KHR"),
    (10, 2, "26000", "USD"),
]


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    from corridor.followup.sending import months_before

    return months_before(today, months)


@transaction.atomic
def load_followup_demo(*, stdout: TextIO | None = None) -> int:
    """Add the demo follow-up; returns how many records it created (0 on a second run)."""
    admin = User.objects.filter(username="admin").first()
    suppliers = list(
        Organisation.objects.filter(slug__startswith="demo-", kind="sme").order_by("slug")[:12]
    )
    buyers = list(
        Organisation.objects.filter(slug__startswith="demo-", kind="buyer").order_by("slug")
    )
    if admin is None or len(suppliers) < 12 or len(buyers) < 2:
        return 0
    hoa_sen = Organisation.objects.filter(slug="demo-hoa-sen-bat-trang-ceramics").first()
    siam = Organisation.objects.filter(slug="demo-siam-organic-foods").first()
    if hoa_sen and siam:  # the demo "sme" and "buyer" users see a lead of their own
        suppliers = [hoa_sen, *[s for s in suppliers if s != hoa_sen]][:12]
        buyers = [siam, *[b for b in buyers if b != siam]]
    today = timezone.localdate()
    created = 0
    for currency, (old, new) in RATES.items():
        for valid_from, rate in (
            (datetime.date(today.year - 1, 1, 1), old),
            (_months_ago(today, 4), new),
        ):
            _r, new_rate = ExchangeRate.objects.get_or_create(
                currency=currency,
                valid_from=valid_from,
                defaults={"usd_per_unit": Decimal(rate), "note": "demo", "created_by": admin},
            )
            created += new_rate
    leads = []
    for s, b, months, path, reason in TRADE:
        supplier, buyer = suppliers[s], buyers[b % len(buyers)]
        started = _months_ago(today, months)
        lead, new = services.lead_for_pair(
            a=supplier, b=buyer, source="connection", started_on=started, by=admin
        )
        leads.append(lead)
        # A pair the events demo already made a lead of (from a meeting) gets its path too,
        # once: only while the lead has nothing but its creation in its history.
        if not new and lead.changes.count() > 1:
            continue
        created += new
        if path and not new:
            created += 1
        for i, stage in enumerate(path):
            on = min(today, started + datetime.timedelta(days=20 * (i + 1)))
            services.lead_set_stage(
                lead=lead,
                stage=stage,
                by=admin,
                drop_reason=reason if stage == "dropped" else "",
                on=on,
                check=False,
            )
    for a, b, stage in ((0, 1, "agreement"), (2, 3, "talks")):
        lead, new = services.lead_for_pair(
            a=suppliers[a], b=suppliers[b], source="manual", started_on=_months_ago(today, 5)
        )
        if new:
            created += 1
            if stage != lead.stage:
                services.lead_set_stage(lead=lead, stage=stage, by=admin, check=False)
    for index, months, value, currency in ORDERS:
        lead = leads[index]
        on = _months_ago(today, months)
        if Order.objects.filter(lead=lead, ordered_on=on).exists():
            continue
        Order.objects.create(
            lead=lead,
            supplier=lead.supplier,
            buyer=lead.buyer,
            kind=Order.Kind.REPEAT if lead.orders.exists() else Order.Kind.FIRST,
            ordered_on=on,
            value=Decimal(value),
            currency=currency,
            product=lead.product,
            hs_code=lead.hs_code,
            created_by=admin,
        )
        created += 1
    services.orders_refresh()  # made without order_create: their copies for the dashboard
    created += _surveys(admin)
    viewer, new = User.objects.get_or_create(
        username="viewer",
        defaults={
            "email": "viewer@example.com",
            "full_name": "Programme donor (viewer)",
            "is_programme_viewer": True,
        },
    )
    if new:
        viewer.set_password("corridor-demo")
        viewer.save()
        created += 1
    if stdout is not None:
        stdout.write(
            f"Demo follow-up: {Lead.objects.count()} leads, {Order.objects.count()} orders, "
            f"{SurveyInvitation.objects.count()} survey invitations; "
            "login 'viewer' (programme viewer, aggregates only).\n"
        )
    return created


def _surveys(admin) -> int:
    plan, new = FollowUpPlan.objects.get_or_create(
        name=PLAN, defaults={"created_by": admin, "is_active": True}
    )
    if not new:
        return 0
    for months in (0, 1, 3, 6, 12):
        FollowUpStep.objects.create(plan=plan, offset_months=months)
    from corridor.followup.sending import send_followups

    # The demo sends nothing out: the round's emails go to a backend that drops them.
    send_followups(
        trigger="demo",
        by=admin,
        connection=get_connection("django.core.mail.backends.dummy.EmailBackend"),
    )
    answered = 0
    invitations = SurveyInvitation.objects.filter(status="sent").select_related("lead")
    for inv in invitations.order_by("lead_id", "side")[:16]:
        lead = inv.lead
        stage, reason = lead.stage, lead.drop_reason
        if lead.stage == "negotiating" and inv.side == "supplier":
            stage = "first_order"  # the buyer will say "negotiating": staff settle it
        services.survey_answer(invitation=inv, stage=stage, drop_reason=reason)
        answered += 1
    return 1 + answered
