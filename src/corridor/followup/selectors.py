"""Reads of follow-up: lead lists, survey queues, conflicts and the impact dashboard figures.

Every dashboard figure is defined in docs/followup.md; the page repeats the definitions.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from corridor.accounts import permissions
from corridor.core.money import RateTable
from corridor.followup.models import (
    DEAL_STAGES,
    STAGES_BY_KIND,
    ExchangeRate,
    Lead,
    LeadKind,
    Order,
    Stage,
    SurveyInvitation,
)

# Fewer deals than this in a cell and a programme viewer sees no value (it would reveal one deal).
MIN_DEALS_FOR_VALUE = 3

GROUPS = {
    "event": ("event_id", "event__name"),
    "country": ("supplier__country_id", "supplier__country__name"),
    "province": ("supplier__province_id", "supplier__province__name"),
    "cluster": ("cluster_id", "cluster_name"),
    "hs_chapter": ("hs_chapter", "hs_chapter"),
}


def leads_for(user, *, stage: str = "", kind: str = "") -> QuerySet[Lead]:
    qs = permissions.visible_leads(user).select_related("supplier", "buyer", "hs_code")
    if stage:
        qs = qs.filter(stage=stage)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def lead_detail(lead_id: int) -> Lead:
    return (
        Lead.objects.select_related("supplier", "buyer", "hs_code", "connection")
        .prefetch_related("changes__reported_by", "orders")
        .get(pk=lead_id)
    )


def non_responders() -> QuerySet[SurveyInvitation]:
    """Invitations not answered: sent, undeliverable or without an address, oldest first."""
    return (
        SurveyInvitation.objects.filter(answered_at__isnull=True)
        .filter(
            status__in=[
                SurveyInvitation.Status.SENT,
                SurveyInvitation.Status.FAILED,
                SurveyInvitation.Status.NO_ADDRESS,
            ]
        )
        .select_related("lead__supplier", "lead__buyer", "step")
        .order_by("claimed_at", "id")
    )


def rates() -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.order_by("currency", "-valid_from")


def conflicts() -> QuerySet[Lead]:
    """Leads whose two sides answered differently and that staff have not settled."""
    return (
        Lead.objects.filter(in_conflict=True)
        .select_related("supplier", "buyer")
        .prefetch_related("answers")
        .order_by("stage_changed_at")
    )


# --- Impact dashboard -------------------------------------------------------------------------


@dataclass
class Filters:
    country: str = ""
    province: str = ""
    cluster: int | None = None
    hs_chapter: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    event: int | None = None

    def leads(self) -> QuerySet[Lead]:
        qs = Lead.objects.all()
        if self.event:
            qs = qs.filter(event_id=self.event)
        if self.country:
            qs = qs.filter(supplier__country_id=self.country)
        if self.province:
            qs = qs.filter(supplier__province_id=self.province)
        if self.cluster:
            qs = qs.filter(Q(supplier_id=self.cluster) | Q(supplier__cluster_id=self.cluster))
        if self.hs_chapter:
            qs = qs.filter(hs_chapter=self.hs_chapter)
        if self.date_from:
            qs = qs.filter(started_on__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(started_on__lte=self.date_to)
        return qs

    def orders(self) -> QuerySet[Order]:
        qs = Order.objects.all()
        if self.event:
            qs = qs.filter(lead__event_id=self.event)
        if self.country:
            qs = qs.filter(supplier__country_id=self.country)
        if self.province:
            qs = qs.filter(supplier__province_id=self.province)
        if self.cluster:
            qs = qs.filter(Q(supplier_id=self.cluster) | Q(supplier__cluster_id=self.cluster))
        if self.hs_chapter:
            qs = qs.filter(Q(hs_code__code__startswith=self.hs_chapter))
        if self.date_from:
            qs = qs.filter(ordered_on__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(ordered_on__lte=self.date_to)
        return qs


@dataclass
class Row:
    key: str
    label: str
    leads: int = 0
    deals: int = 0
    orders: int = 0
    value_usd: Decimal | None = Decimal(0)
    unconverted: int = 0
    hidden: bool = False
    # Supplier–buyer pairs behind the orders of this cell: a value resting on fewer than
    # MIN_DEALS_FOR_VALUE pairs is hidden from programme viewers.
    pairs: set = field(default_factory=set, repr=False)


@dataclass
class Impact:
    meetings_held: int
    leads: int
    leads_by_kind: dict[str, int]
    funnel: list[tuple[str, str, int, float | None]]  # stage, label, reached, conversion
    collab_funnel: list[tuple[str, str, int, float | None]]
    deals: int
    dropped: int
    drop_reasons: list[tuple[str, int]]
    orders: int
    value_usd: Decimal | None
    unconverted: int
    hidden_value: bool
    by: dict[str, list[Row]] = field(default_factory=dict)
    by_month: list[Row] = field(default_factory=list)


def _funnel(qs: QuerySet[Lead], kind: str) -> list[tuple[str, str, int, float | None]]:
    stages = STAGES_BY_KIND[kind]
    counts = dict(qs.filter(kind=kind).values_list("furthest").annotate(n=Count("id")).order_by())
    out = []
    previous = None
    for i, stage in enumerate(stages):
        reached = sum(n for rank, n in counts.items() if rank >= i)
        conversion = None if previous in (None, 0) else reached / previous
        out.append((stage, str(Stage(stage).label), reached, conversion))
        previous = reached
    return out


def _meetings_held(filters: Filters) -> int:
    """Meetings held at events: settled as held by staff, or marked held by either side when
    staff did not settle (events.services.meeting_outcome). Narrowed by event and period only:
    a meeting has several sides, in several countries."""
    from corridor.events.models import Meeting

    qs = Meeting.objects.filter(status=Meeting.Status.SCHEDULED).filter(
        Q(settled_outcome=Meeting.Outcome.HELD)
        | Q(settled_outcome="", outcomes__mark=Meeting.Outcome.HELD)
    )
    if filters.event:
        qs = qs.filter(event_id=filters.event)
    if filters.date_from:
        qs = qs.filter(slot__starts_at__date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(slot__starts_at__date__lte=filters.date_to)
    return qs.values("id").distinct().count()


def _order_rows(filters: Filters):
    """(group keys..., month, currency, ordered_on, value) of every order matching the filters."""
    return filters.orders().values_list(
        "supplier__country_id",
        "supplier__country__name",
        "supplier__province_id",
        "supplier__province__name",
        "supplier_id",
        "supplier__kind",
        "supplier__name",
        "supplier__cluster_id",
        "supplier__cluster__name",
        "hs_code_id",
        "lead__hs_chapter",
        "buyer_id",
        "lead__event_id",
        "lead__event__name",
        "currency",
        "ordered_on",
        "value",
    )


def impact(filters: Filters, *, viewer: bool) -> Impact:
    """The dashboard's figures. `viewer`: a programme viewer, who never sees a value resting on
    fewer than three deals."""
    leads = filters.leads()
    by_kind = dict(leads.values_list("kind").annotate(n=Count("id")).order_by())
    stage_counts = dict(leads.values_list("stage").annotate(n=Count("id")).order_by())
    deals = sum(n for s, n in stage_counts.items() if s in DEAL_STAGES)
    drop_reasons = list(
        leads.filter(stage=Stage.DROPPED)
        .values_list("drop_reason")
        .annotate(n=Count("id"))
        .order_by("-n", "drop_reason")
    )
    # Leads, deals per group (one GROUP BY each).
    by: dict[str, dict[str, Row]] = {}
    for name, (key_field, label_field) in GROUPS.items():
        if name == "cluster":
            continue
        rows: dict[str, Row] = {}
        for key, label, stage, n in (
            leads.values_list(key_field, label_field, "stage").annotate(n=Count("id")).order_by()
        ):
            k = str(key or "")
            row = rows.setdefault(k, Row(k, str(label or "—")))
            row.leads += n
            if stage in DEAL_STAGES:
                row.deals += n
        by[name] = rows
    clusters: dict[str, Row] = {}
    for sid, skind, sname, cid, cname, stage, n in (
        leads.values_list(
            "supplier_id",
            "supplier__kind",
            "supplier__name",
            "supplier__cluster_id",
            "supplier__cluster__name",
            "stage",
        )
        .annotate(n=Count("id"))
        .order_by()
    ):
        k, label = (str(sid), sname) if skind == "cluster" else (str(cid or ""), cname or "—")
        row = clusters.setdefault(k, Row(k, label))
        row.leads += n
        if stage in DEAL_STAGES:
            row.deals += n
    by["cluster"] = clusters
    # Orders and their value in US dollars, grouped in Python (rates by date).
    rows = list(_order_rows(filters))
    table = RateTable.load({r[14] for r in rows})
    months: dict[str, Row] = {}
    total = Decimal(0)
    unconverted = 0
    chapters = {}
    if any(r[9] for r in rows):
        chapters = {r[9]: r[9][:2] for r in rows if r[9]}
    for (
        country,
        country_name,
        province,
        province_name,
        sid,
        skind,
        sname,
        cid,
        cname,
        hs,
        lead_chapter,
        buyer_id,
        event_id,
        event_name,
        currency,
        ordered_on,
        value,
    ) in rows:
        usd = table.to_usd(value, currency, ordered_on)
        if usd is None:
            unconverted += 1
        else:
            total += usd
        chapter = chapters.get(hs) or lead_chapter or ""
        cluster_key, cluster_label = (
            (str(sid), sname) if skind == "cluster" else (str(cid or ""), cname or "—")
        )
        month = ordered_on.strftime("%Y-%m")
        for name, k, label in (
            ("event", str(event_id or ""), event_name or "—"),
            ("country", country or "", country_name or "—"),
            ("province", province or "", province_name or "—"),
            ("cluster", cluster_key, cluster_label),
            ("hs_chapter", chapter, chapter or "—"),
            ("month", month, month),
        ):
            group = months if name == "month" else by[name]
            row = group.setdefault(k, Row(k, label))
            row.orders += 1
            row.pairs.add((sid, buyer_id))
            if usd is None:
                row.unconverted += 1
            else:
                row.value_usd += usd
    hidden_total = False
    if viewer:
        for group in [*by.values(), months]:
            for row in group.values():
                if row.orders and len(row.pairs) < MIN_DEALS_FOR_VALUE:
                    row.value_usd = None
                    row.hidden = True
        if rows and len({(r[4], r[11]) for r in rows}) < MIN_DEALS_FOR_VALUE:
            hidden_total = True
    return Impact(
        meetings_held=_meetings_held(filters),
        leads=sum(by_kind.values()),
        leads_by_kind=by_kind,
        funnel=_funnel(leads, LeadKind.TRADE),
        collab_funnel=_funnel(leads, LeadKind.COLLABORATION),
        deals=deals,
        dropped=stage_counts.get(Stage.DROPPED, 0),
        drop_reasons=drop_reasons,
        orders=len(rows),
        value_usd=None if hidden_total else total,
        unconverted=unconverted,
        hidden_value=hidden_total,
        by={
            k: sorted(v.values(), key=lambda r: (-r.leads, -r.orders, r.label))
            for k, v in by.items()
        },
        by_month=sorted(months.values(), key=lambda r: r.key),
    )
