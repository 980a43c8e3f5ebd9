"""Reads of bottleneck reports: a person's own list, the anonymised public list (with its
three-report rule), and the staff analysis (by crossing, category, product and month)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Case, CharField, Count, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, Substr
from django.utils import timezone

from corridor.accounts.permissions import is_staff, member_org_ids
from corridor.directory.models import BorderCrossing, HSCode
from corridor.reporting import permissions
from corridor.reporting.models import ACTIVE, BottleneckReport, Category, Status

# A crossing × HS chapter × month with fewer reports than this is left off the public page:
# with one or two reports, the people on that route could tell who complained.
PUBLIC_MIN_GROUP = 3


def reports_for_user(user, *, status: str | None = None) -> QuerySet[BottleneckReport]:
    """Reports the user may open: their own and their organisations', those assigned to their
    focal-point organisations, or all for staff."""
    qs = BottleneckReport.objects.select_related("crossing", "hs_code", "focal_point")
    if not is_staff(user):
        if not (user and user.is_authenticated):
            return qs.none()
        own = member_org_ids(user)
        focal = permissions.focal_point_org_ids(user)
        qs = qs.filter(Q(reporter=user) | Q(reporter_org_id__in=own) | Q(focal_point_id__in=focal))
    if status == "overdue":
        qs = qs.filter(status__in=ACTIVE, deadline__lt=timezone.localdate())
    elif status in Status.values:
        qs = qs.filter(status=status)
    return qs


def report_detail(pk: int) -> BottleneckReport | None:
    return (
        BottleneckReport.objects.select_related(
            "crossing", "province", "corridor", "hs_code", "focal_point", "reporter", "reporter_org"
        )
        .filter(pk=pk)
        .first()
    )


def public_reports(
    *, status: str = "", category: str = "", crossing_id: int | None = None
) -> QuerySet[BottleneckReport]:
    """Reports for the public page, each in a crossing × HS chapter × month group of at least
    three reports (counted over all reports, whatever the filters). Only the anonymous fields
    are loaded: the page, its export and the public API cannot show what they do not have."""
    qs = (
        BottleneckReport.objects.filter(in_public_group=True)
        .select_related("crossing", "focal_point")
        .only(
            "id",
            "category",
            "crossing__name",
            "hs_chapter",
            "occurred_on",
            "status",
            "public_note",
            "focal_point__name",
            "created_at",
        )
    )
    if status in Status.values:
        qs = qs.filter(status=status)
    if category in Category.values:
        qs = qs.filter(category=category)
    if crossing_id:
        qs = qs.filter(crossing_id=crossing_id)
    return qs.order_by("-occurred_on", "-id")


PUBLIC_HEADERS = [
    "month",
    "category",
    "border_crossing",
    "hs_chapter",
    "status",
    "focal_point",
    "public_note",
]


def public_rows(reports: Iterable[BottleneckReport]) -> Iterable[list[Any]]:
    """The public page's rows for an export: nothing about who reported, or their words."""
    for r in reports:
        yield [
            r.occurred_on.strftime("%Y-%m"),
            str(r.get_category_display()),
            r.crossing.name if r.crossing_id else "",
            r.hs_chapter,
            str(r.get_status_display()),
            r.focal_point.name if r.focal_point_id else "",
            r.public_note,
        ]


# --- Analysis ---------------------------------------------------------------------------------


class DaysBetween(Func):
    """(end - start) in days, as a float, on SQLite and PostgreSQL."""

    output_field = FloatField()
    arg_joiner = ") - julianday("
    template = "(julianday(%(expressions)s))"

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)",
            arg_joiner=" - ",
            **extra,
        )


@dataclass
class Group:
    """The figures of one crossing, category, HS chapter or month."""

    key: Any
    label: str
    count: int = 0
    active: int = 0
    resolved: int = 0
    median_delay: float | None = None
    median_cost: float | None = None
    median_resolve_days: float | None = None


@dataclass
class Analysis:
    total: int
    by_crossing: list[Group]
    by_category: list[Group]
    by_chapter: list[Group]
    by_month: list[Group]
    overall: Group
    date_from: datetime.date
    date_to: datetime.date


def _medians(order: np.ndarray, bounds: np.ndarray, values: np.ndarray) -> list[float | None]:
    """Median of `values` (negative = missing) in each group; `order` sorts the rows by group
    and `bounds` delimits the groups in that order."""
    v = values[order]
    out: list[float | None] = []
    for i in range(len(bounds) - 1):
        part = v[bounds[i] : bounds[i + 1]]
        part = part[part >= 0]
        out.append(round(float(np.median(part)), 2) if len(part) else None)
    return out


def _groups(keys: np.ndarray, cols: dict[str, np.ndarray], label) -> list[Group]:
    uniq, inv = np.unique(keys, return_inverse=True)
    n = len(uniq)
    counts = np.bincount(inv, minlength=n)
    active = np.bincount(inv, weights=cols["active"], minlength=n)
    resolved = np.bincount(inv, weights=cols["resolve"] >= 0, minlength=n)
    order = np.argsort(inv, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(counts)))
    delay = _medians(order, bounds, cols["delay"])
    cost = _medians(order, bounds, cols["cost"])
    resolve = _medians(order, bounds, cols["resolve"])
    return [
        Group(
            key=k.item() if hasattr(k, "item") else k,
            label=label(k.item() if hasattr(k, "item") else k),
            count=int(counts[i]),
            active=int(active[i]),
            resolved=int(resolved[i]),
            median_delay=delay[i],
            median_cost=cost[i],
            median_resolve_days=resolve[i],
        )
        for i, k in enumerate(uniq)
    ]


def analysis(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    category: str = "",
    corridor_id: int | None = None,
) -> Analysis:
    """Counts and medians of reports that happened between the two dates (default: the last
    twelve months). Delay in days, cost in US dollars (reports whose currency had no rate are
    left out of the cost median), time to resolve in days from filing to resolution.

    One query brings plain numbers and short strings (no per-row date or decimal objects);
    numpy groups them, so that 100,000 reports stay well under the page's time budget."""
    date_to = date_to or timezone.localdate()
    date_from = date_from or (date_to - datetime.timedelta(days=365))
    qs = BottleneckReport.objects.filter(occurred_on__gte=date_from, occurred_on__lte=date_to)
    if category in Category.values:
        qs = qs.filter(category=category)
    if corridor_id:
        qs = qs.filter(corridor_id=corridor_id)
    rows_qs = (
        qs.order_by()
        .annotate(
            c=Coalesce("crossing_id", Value(0)),
            month=Substr(Cast("occurred_on", CharField()), 1, 7),  # "YYYY-MM"
            d=Coalesce("delay_days", Value(-1)),
            cost=Coalesce(Cast("cost_usd", FloatField()), Value(-1.0)),
            act=Case(When(status__in=ACTIVE, then=1), default=0),
            res=Case(
                When(
                    status=Status.RESOLVED,
                    closed_at__isnull=False,
                    then=DaysBetween("closed_at", "created_at"),
                ),
                default=Value(-1.0),
                output_field=FloatField(),
            ),
        )
        .values_list("c", "category", "hs_chapter", "month", "d", "cost", "act", "res")
    )
    # Straight from the cursor: Django's per-row conversion would cost more than the grouping.
    sql, params = rows_qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    total = len(rows)
    crossings = dict(BorderCrossing.objects.values_list("id", "name"))
    categories = {k: str(v) for k, v in Category.choices}
    empty = Analysis(total, [], [], [], [], Group(None, ""), date_from, date_to)
    if not total:
        return empty
    c_crossing, c_cat, c_chapter, c_month, c_delay, c_cost, c_act, c_res = zip(*rows, strict=True)
    cols = {
        "delay": np.array(c_delay, dtype=float),
        "cost": np.array(c_cost, dtype=float),
        "active": np.array(c_act, dtype=float),
        "resolve": np.array(c_res, dtype=float),
    }

    def ranked(groups: list[Group]) -> list[Group]:
        return sorted(groups, key=lambda g: (-g.count, str(g.label)))

    by_chapter = ranked(_groups(np.array(c_chapter), cols, lambda k: k))
    names = dict(
        HSCode.objects.filter(code__in=[g.key for g in by_chapter if g.key]).values_list(
            "code", "description"
        )
    )
    for g in by_chapter:
        g.label = f"{g.key} {names.get(g.key, '')[:50]}".strip() if g.key else ""
    overall = _groups(np.zeros(total, dtype=int), cols, lambda k: "")[0]
    overall.key = None
    return Analysis(
        total=total,
        by_crossing=ranked(
            _groups(np.array(c_crossing), cols, lambda k: crossings.get(k, "") if k else "")
        ),
        by_category=ranked(_groups(np.array(c_cat), cols, lambda k: categories.get(k, k))),
        by_chapter=by_chapter,
        by_month=sorted(_groups(np.array(c_month), cols, lambda k: k), key=lambda g: g.key),
        overall=overall,
        date_from=date_from,
        date_to=date_to,
    )


def open_reports_by_crossing() -> dict[int, int]:
    """Active reports per border crossing, for the corridor map."""
    return dict(
        BottleneckReport.objects.filter(status__in=ACTIVE, crossing__isnull=False)
        .order_by()
        .values_list("crossing_id")
        .annotate(n=Count("id"))
        .values_list("crossing_id", "n")
    )
