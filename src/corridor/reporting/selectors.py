"""Reads of bottleneck reports: a person's own list, the anonymised public list (with its
three-report rule), and the staff analysis (by crossing, category, product and month)."""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
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
    big_groups = (
        BottleneckReport.objects.order_by()
        .values("public_group")
        .annotate(n=Count("id"))
        .filter(n__gte=PUBLIC_MIN_GROUP)
        .values("public_group")
    )
    qs = (
        BottleneckReport.objects.filter(public_group__in=big_groups)
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


@dataclass
class Group:
    """The figures of one crossing, category, HS chapter or month."""

    key: Any
    label: str
    count: int = 0
    active: int = 0
    resolved: int = 0
    delays: list[int] = field(default_factory=list, repr=False)
    costs: list[Decimal] = field(default_factory=list, repr=False)
    resolve_days: list[float] = field(default_factory=list, repr=False)

    @property
    def median_delay(self) -> float | None:
        return statistics.median(self.delays) if self.delays else None

    @property
    def median_cost(self) -> Decimal | None:
        return statistics.median(self.costs) if self.costs else None

    @property
    def median_resolve_days(self) -> float | None:
        return statistics.median(self.resolve_days) if self.resolve_days else None


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


def analysis(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    category: str = "",
    corridor_id: int | None = None,
) -> Analysis:
    """Counts and medians of reports that happened between the two dates (default: the last
    twelve months). Delay in days, cost in US dollars (reports whose currency had no rate are
    left out of the cost median), time to resolve in days from filing to resolution."""
    date_to = date_to or timezone.localdate()
    date_from = date_from or (date_to - datetime.timedelta(days=365))
    qs = BottleneckReport.objects.filter(occurred_on__gte=date_from, occurred_on__lte=date_to)
    if category in Category.values:
        qs = qs.filter(category=category)
    if corridor_id:
        qs = qs.filter(corridor_id=corridor_id)
    rows = qs.order_by().values_list(
        "crossing_id",
        "category",
        "hs_chapter",
        "occurred_on",
        "delay_days",
        "cost_usd",
        "status",
        "created_at",
        "closed_at",
    )
    crossings = dict(BorderCrossing.objects.values_list("id", "name"))
    categories = dict(Category.choices)
    groups: dict[str, dict[Any, Group]] = {
        k: {} for k in ("crossing", "category", "chapter", "month")
    }
    overall = Group(key=None, label="")

    def bucket(kind: str, key: Any, label: str) -> Group:
        g = groups[kind].get(key)
        if g is None:
            g = groups[kind][key] = Group(key=key, label=label)
        return g

    total = 0
    for crossing_id, cat, chapter, occurred, delay, cost, status, created, closed in rows:
        total += 1
        resolve = None
        if status == Status.RESOLVED and closed is not None:
            resolve = round((closed - created).total_seconds() / 86400, 1)
        targets = (
            overall,
            bucket("crossing", crossing_id, crossings.get(crossing_id, "")),
            bucket("category", cat, str(categories.get(cat, cat))),
            bucket("chapter", chapter, chapter),
            bucket("month", occurred.replace(day=1), occurred.strftime("%Y-%m")),
        )
        for g in targets:
            g.count += 1
            if status in ACTIVE:
                g.active += 1
            if delay is not None:
                g.delays.append(delay)
            if cost is not None:
                g.costs.append(cost)
            if resolve is not None:
                g.resolved += 1
                g.resolve_days.append(resolve)

    def ranked(kind: str) -> list[Group]:
        return sorted(groups[kind].values(), key=lambda g: (-g.count, str(g.label)))

    chapters = ranked("chapter")
    names = dict(
        HSCode.objects.filter(code__in=[g.key for g in chapters if g.key]).values_list(
            "code", "description"
        )
    )
    for g in chapters:
        g.label = f"{g.key} {names.get(g.key, '')[:50]}".strip() if g.key else ""
    return Analysis(
        total=total,
        by_crossing=ranked("crossing"),
        by_category=ranked("category"),
        by_chapter=chapters,
        by_month=sorted(groups["month"].values(), key=lambda g: g.key),
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
