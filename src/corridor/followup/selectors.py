"""Reads of follow-up: lead lists, survey queues, conflicts and the impact dashboard figures.

Every dashboard figure is defined in docs/followup.md; the page repeats the definitions.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import CharField, Count, F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.expressions import Func
from django.db.models.functions import Cast, Concat
from django.utils.translation import get_language, gettext_lazy

from corridor.accounts import permissions
from corridor.core.money import CENT
from corridor.followup import impact_cache
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

# The dimensions of the dashboard's tables (the supplier's place and cluster).
GROUPS = ("event", "country", "province", "cluster", "hs_chapter")
GROUP_LABELS = {
    "event": gettext_lazy("Event"),
    "country": gettext_lazy("Country (supplier)"),
    "province": gettext_lazy("Province (supplier)"),
    "cluster": gettext_lazy("Cluster"),
    "hs_chapter": gettext_lazy("Product (HS chapter)"),
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


def plans() -> QuerySet:
    """Follow-up plans with their steps in use and how many surveys each sent and got back."""
    from corridor.followup.models import FollowUpPlan, FollowUpStep

    return (
        FollowUpPlan.objects.select_related("event")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=FollowUpStep.objects.filter(retired_at__isnull=True).order_by(
                    "offset_months"
                ),
                to_attr="steps_in_use",
            )
        )
        .annotate(
            sent=Count("steps__invitations", filter=~Q(steps__invitations__status="claimed")),
            answered=Count("steps__invitations", filter=Q(steps__invitations__status="answered")),
        )
        .order_by("-is_active", "event_id", "name")
    )


def plan_steps(plan) -> list:
    """Every step of a plan, retired ones too, with the surveys sent and answered at each."""
    return list(
        plan.steps.annotate(
            sent=Count("invitations", filter=~Q(invitations__status="claimed")),
            answered=Count("invitations", filter=Q(invitations__status="answered")),
        ).order_by("offset_months")
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

    def any(self) -> bool:
        return any(vars(self).values())

    def cache_key(self) -> str:
        return "|".join(
            str(v or "")
            for v in (
                self.event,
                self.country,
                self.province,
                self.cluster,
                self.hs_chapter,
                self.date_from,
                self.date_to,
            )
        )

    def leads(self) -> QuerySet[Lead]:
        # The supplier's place is copied on the lead (Lead.supplier_*): no join.
        qs = Lead.objects.all()
        if self.event:
            qs = qs.filter(event_id=self.event)
        if self.country:
            qs = qs.filter(supplier_country=self.country)
        if self.province:
            qs = qs.filter(supplier_province=self.province)
        if self.cluster:
            qs = qs.filter(supplier_cluster_id=self.cluster)
        if self.hs_chapter:
            qs = qs.filter(hs_chapter=self.hs_chapter)
        if self.date_from:
            qs = qs.filter(started_on__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(started_on__lte=self.date_to)
        return qs

    def orders(self) -> QuerySet[Order]:
        # Orders keep the same copies (Order.supplier_*, hs_chapter, event): no join either.
        qs = Order.objects.all()
        if self.event:
            qs = qs.filter(event_id=self.event)
        if self.country:
            qs = qs.filter(supplier_country=self.country)
        if self.province:
            qs = qs.filter(supplier_province=self.province)
        if self.cluster:
            qs = qs.filter(supplier_cluster_id=self.cluster)
        if self.hs_chapter:
            qs = qs.filter(hs_chapter=self.hs_chapter)
        if self.date_from:
            qs = qs.filter(ordered_on__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(ordered_on__lte=self.date_to)
        return qs


class Month(Func):
    """'YYYY-MM' of a date, in SQL on both databases (TruncMonth calls Python on SQLite)."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 7)")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM')")


class AsText(Func):
    """A group key as text, so that the tables' GROUP BYs can be one UNION ALL (PostgreSQL wants
    one type per column; SQLite takes the column as it is). `filtered`: on SQLite the key gets a
    unary "+", which keeps the planner from walking the group's (group, stage) index and looking
    up every row for the filter: it reads the filtered rows from an index instead (the covering
    `lead_dashboard` for a chapter; 0.6 s to 20 ms for one table at 100,000 leads)."""

    output_field = CharField()

    def __init__(self, expression, *, filtered: bool = False, **extra) -> None:
        super().__init__(expression, **extra)
        self.filtered = filtered

    def as_sqlite(self, compiler, connection, **extra):
        template = "+%(expressions)s" if self.filtered else "%(expressions)s"
        return self.as_sql(compiler, connection, template=template)

    def as_sql(self, compiler, connection, template=None, **extra):
        return super().as_sql(
            compiler, connection, template=template or "CAST(%(expressions)s AS varchar)", **extra
        )


# The column of each dashboard table, on leads and on orders (the same copied columns).
LEAD_GROUP = {
    "event": F("event_id"),
    "country": F("supplier_country"),
    "province": F("supplier_province"),
    "cluster": F("supplier_cluster_id"),
    "hs_chapter": F("hs_chapter"),
}
ORDER_GROUP = {
    **LEAD_GROUP,
    "month": Month("ordered_on"),
}
# A supplier–buyer pair, counted distinct to know how many deals a value rests on.
PAIR = Concat(
    Cast("supplier_id", CharField()),
    Value("-"),
    Cast("buyer_id", CharField()),
    output_field=CharField(),
)


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
    pairs: int = field(default=0, repr=False)


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


def _funnel(counts: dict[int, int], kind: str) -> list[tuple[str, str, int, float | None]]:
    """Leads of `kind` that reached each stage, from the counts by furthest stage reached."""
    stages = STAGES_BY_KIND[kind]
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


def _labels(keys: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    """Names of the groups present (one small query per dimension with keys)."""
    from corridor.directory.models import Country, HSCode, Organisation, Province
    from corridor.events.models import Event

    def ids(name: str) -> list[int]:
        return [int(k) for k in keys.get(name, ()) if k.isdigit()]

    def codes(name: str) -> list[str]:
        return [k for k in keys.get(name, ()) if k]

    out: dict[str, dict[str, str]] = {name: {} for name in GROUPS}
    if codes("country"):
        out["country"] = dict(
            Country.objects.filter(code__in=codes("country")).order_by().values_list("code", "name")
        )
    if codes("province"):
        out["province"] = dict(
            Province.objects.filter(code__in=codes("province"))
            .order_by()
            .values_list("code", "name")
        )
    if codes("hs_chapter"):
        out["hs_chapter"] = {
            code: f"{code} {description}"
            for code, description in HSCode.objects.filter(code__in=codes("hs_chapter"))
            .order_by()
            .values_list("code", "description")
        }
    if ids("cluster"):
        out["cluster"] = {
            str(pk): name
            for pk, name in Organisation.objects.filter(pk__in=ids("cluster"))
            .order_by()
            .values_list("id", "name")
        }
    if ids("event"):
        out["event"] = {
            str(pk): name
            for pk, name in Event.objects.filter(pk__in=ids("event"))
            .order_by()
            .values_list("id", "name")
        }
    return out


def _key(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m")
    return str(value)


def _hide(row: Row) -> None:
    row.value_usd = None
    row.hidden = True


def _suppress(rows: list[Row], *, total_shown: bool) -> None:
    """Hide from a programme viewer each cell whose value rests on fewer than three
    supplier–buyer pairs. When the total is shown, one hidden cell could be worked out as the
    total minus the others: then the smallest other cells are hidden too, until at least two
    cells resting on three pairs or more together are hidden."""
    for row in rows:
        if row.orders and row.pairs < MIN_DEALS_FOR_VALUE:
            _hide(row)
    hidden = [r for r in rows if r.hidden]
    if not (total_shown and hidden):
        return
    shown = sorted(
        (r for r in rows if r.orders and not r.hidden),
        key=lambda r: (r.pairs, r.value_usd or 0, r.key),
    )
    while shown and (len(hidden) < 2 or sum(r.pairs for r in hidden) < MIN_DEALS_FOR_VALUE):
        row = shown.pop(0)
        _hide(row)
        hidden.append(row)


def _cents(value) -> Decimal:
    # SQLite sums decimals as floats and returns them unscaled: back to cents, as PostgreSQL.
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _order_sums(orders: QuerySet[Order], name: str | None = None, group=None):
    """Orders, their value in US dollars (summed in SQL from Order.value_usd), the orders not
    converted and the distinct supplier–buyer pairs, in all or per group of table `name`."""
    sums = {
        "n": Count("id"),
        "usd": Sum("value_usd"),
        "unconverted": Count("id", filter=Q(value__isnull=False, value_usd__isnull=True)),
        "pairs": Count(PAIR, distinct=True),
    }
    if group is None:
        return orders.order_by().aggregate(**sums)
    return (
        orders.annotate(dim=Value(name), key=AsText(group))
        .order_by()
        .values_list("dim", "key")
        .annotate(**sums)
    )


def impact(filters: Filters, *, viewer: bool) -> Impact:
    """The dashboard's figures (docs/followup.md defines each). `viewer`: a programme viewer,
    who never sees a value resting on fewer than three deals.

    Every figure is a GROUP BY in the database over a small result: one over the leads by stage,
    one per table over the leads (copied columns, indexed by group and stage) and one per table
    over the orders, whose US-dollar value is stored on them. A constant number of queries."""
    leads = filters.leads().order_by()
    by_kind: dict[str, int] = defaultdict(int)
    stage_counts: dict[str, int] = defaultdict(int)
    furthest: dict[str, dict[int, int]] = {k: defaultdict(int) for k in STAGES_BY_KIND}
    reasons: dict[str, int] = defaultdict(int)
    for kind, stage, rank, reason, n in leads.values_list(
        "kind", "stage", "furthest", "drop_reason"
    ).annotate(n=Count("id")):
        by_kind[kind] += n
        stage_counts[stage] += n
        furthest[kind][rank] += n
        if stage == Stage.DROPPED:
            reasons[reason] += n
    deal_stages = [str(s) for s in DEAL_STAGES]
    cells: dict[str, dict[str, Row]] = {name: {} for name in GROUPS}
    # One statement for the five tables (a UNION ALL of one GROUP BY each): fewer round trips.
    lead_parts = [
        leads.annotate(dim=Value(name), key=AsText(column, filtered=filters.any()))
        .values_list("dim", "key")
        .annotate(n=Count("id"), deals=Count("id", filter=Q(stage__in=deal_stages)))
        for name, column in LEAD_GROUP.items()
    ]
    for name, key, n, deals in lead_parts[0].union(*lead_parts[1:], all=True):
        k = _key(key)
        cells[name][k] = Row(k, "", leads=n, deals=deals)
    orders = filters.orders()
    months: dict[str, Row] = {}
    order_parts = [_order_sums(orders, name, group) for name, group in ORDER_GROUP.items()]
    for name, key, n, usd, unconverted, pairs in order_parts[0].union(*order_parts[1:], all=True):
        target = months if name == "month" else cells[name]
        k = _key(key)
        row = target.setdefault(k, Row(k, k))
        row.orders, row.value_usd, row.unconverted = n, _cents(usd), unconverted
        row.pairs = pairs
    total = _order_sums(orders)
    labels = _labels({name: set(group) for name, group in cells.items()})
    for name, group in cells.items():
        for k, row in group.items():
            row.label = labels[name].get(k) or k or "—"
    hidden_total = False
    if viewer:
        hidden_total = bool(total["n"]) and total["pairs"] < MIN_DEALS_FOR_VALUE
        for group in [*cells.values(), months]:
            _suppress(list(group.values()), total_shown=not hidden_total)
    return Impact(
        meetings_held=_meetings_held(filters),
        leads=sum(by_kind.values()),
        leads_by_kind=dict(by_kind),
        funnel=_funnel(furthest[LeadKind.TRADE], LeadKind.TRADE),
        collab_funnel=_funnel(furthest[LeadKind.COLLABORATION], LeadKind.COLLABORATION),
        deals=sum(n for s, n in stage_counts.items() if s in DEAL_STAGES),
        dropped=stage_counts.get(Stage.DROPPED, 0),
        drop_reasons=sorted(reasons.items(), key=lambda item: (-item[1], item[0])),
        orders=total["n"],
        value_usd=None if hidden_total else _cents(total["usd"]),
        unconverted=total["unconverted"],
        hidden_value=hidden_total,
        by={
            k: sorted(v.values(), key=lambda r: (-r.leads, -r.orders, r.label))
            for k, v in cells.items()
        },
        by_month=sorted(months.values(), key=lambda r: r.key),
    )


def impact_cached(filters: Filters, *, viewer: bool) -> Impact:
    """`impact`, kept in the cache under the version that every change of a lead, an order or
    a rate bumps (followup.impact_cache): the dashboard, its tables and the API read this.
    Meetings held belong to the events app, which bumps nothing: counted afresh each time.
    Keyed by language too: the stage labels are translated when the figures are computed."""
    key = (
        f"followup:impact:{impact_cache.version()}:{get_language()}:{int(viewer)}:"
        f"{filters.cache_key()}"
    )
    data = cache.get(key)
    if data is None:
        data = impact(filters, viewer=viewer)
        cache.set(key, data, impact_cache.TIMEOUT)
    else:
        data.meetings_held = _meetings_held(filters)
    return data
