"""Reads of training: programme pages, a session's attendance, an organisation's trainings and
milestones, and "what followed" — trained and untrained SMEs side by side."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, Prefetch, Q, QuerySet

from corridor.directory.models import Organisation
from corridor.training import permissions
from corridor.training.models import (
    AssessmentResponse,
    Attendance,
    ClusterMilestone,
    Module,
    Programme,
    Session,
)


def programmes() -> QuerySet[Programme]:
    return Programme.objects.annotate(
        n_modules=Count("modules", distinct=True),
        n_sessions=Count("modules__sessions", distinct=True),
    ).order_by("-starts_on", "name")


def programme_detail(pk: int) -> Programme:
    return Programme.objects.prefetch_related(
        Prefetch(
            "modules",
            queryset=Module.objects.annotate(n_questions=Count("questions")).prefetch_related(
                Prefetch(
                    "sessions",
                    queryset=Session.objects.annotate(
                        n_present=Count("attendances")
                    ).select_related("event"),
                )
            ),
        )
    ).get(pk=pk)


def session_detail(pk: int) -> Session:
    return Session.objects.select_related("module__programme", "event").get(pk=pk)


def session_attendance(session: Session) -> list[Attendance]:
    return list(
        session.attendances.select_related("organisation")
        .prefetch_related("responses")
        .order_by("person_name", "id")
    )


def attendance_detail(pk: int) -> Attendance:
    return Attendance.objects.select_related("organisation", "session__module").get(pk=pk)


def known_people(session: Session) -> list[Attendance]:
    """People who attended another session of the same programme and are not marked at this
    one: the list staff tick from (one row per person and organisation)."""
    present = set(session.attendances.values_list("person_key", flat=True))
    seen: dict[tuple[str, int], Attendance] = {}
    for a in (
        Attendance.objects.filter(session__module__programme_id=session.module.programme_id)
        .exclude(session=session)
        .select_related("organisation")
        .order_by("person_name", "id")
    ):
        if a.person_key not in present:
            seen.setdefault((a.person_key, a.organisation_id), a)
    return list(seen.values())


def milestones(cluster: Organisation) -> list[ClusterMilestone]:
    return list(ClusterMilestone.objects.filter(cluster=cluster).order_by("date", "id"))


@dataclass
class OrgTraining:
    attendances: list[Attendance]
    milestones: list[ClusterMilestone]
    cluster: Organisation | None
    can_add_milestone: bool
    can_see_evidence: bool
    may_see_attendance: bool


def org_training(user, org: Organisation) -> OrgTraining:
    """What an organisation's profile shows: trainings attended (to those who may see them;
    a cluster shows its members' too) and, for a cluster, its milestones as a timeline."""
    ids = permissions.attendance_org_ids(user)
    may_see = ids is None or org.id in ids
    attendances: list[Attendance] = []
    if may_see:
        q = Q(organisation=org)
        if org.kind == "cluster":
            q |= Q(organisation__cluster=org)
        attendances = list(
            Attendance.objects.filter(q)
            .select_related("session__module__programme", "organisation")
            .order_by("-session__date", "person_name")[:50]
        )
    # An SME shows the milestones of its cluster (the consortium it exports through).
    cluster = org if org.kind == "cluster" else (org.cluster if org.cluster_id else None)
    stones = milestones(cluster) if cluster is not None else []
    return OrgTraining(
        attendances=attendances,
        milestones=stones,
        cluster=cluster,
        can_add_milestone=org.kind == "cluster" and permissions.can_add_milestone(user, org),
        can_see_evidence=cluster is not None
        and permissions.can_view_milestone_evidence(user, cluster),
        may_see_attendance=may_see,
    )


def response_for(attendance: Attendance, phase: str) -> AssessmentResponse | None:
    return AssessmentResponse.objects.filter(attendance=attendance, phase=phase).first()


def assessment_summary(module: Module) -> list[dict]:
    """Per question: mean before, mean after, and how many answered each."""
    questions = list(module.questions.all())
    sums: dict[tuple[str, str], list[int]] = {}
    for phase, answers in AssessmentResponse.objects.filter(
        attendance__session__module=module
    ).values_list("phase", "answers"):
        for qid, value in answers.items():
            sums.setdefault((qid, phase), []).append(value)
    out = []
    for q in questions:
        before = sums.get((str(q.pk), "before"), [])
        after = sums.get((str(q.pk), "after"), [])
        out.append(
            {
                "question": q,
                "before": round(sum(before) / len(before), 1) if before else None,
                "n_before": len(before),
                "after": round(sum(after) / len(after), 1) if after else None,
                "n_after": len(after),
            }
        )
    return out


# --- What followed ----------------------------------------------------------------------------


def add_year(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@dataclass
class Group:
    smes: int = 0
    leads: int = 0
    smes_with_leads: int = 0
    deals: int = 0
    smes_with_deals: int = 0
    value_usd: Decimal = Decimal(0)
    orders: int = 0
    smes_with_orders: int = 0
    unconverted: int = 0

    @property
    def leads_per_sme(self) -> float | None:
        return round(self.leads / self.smes, 2) if self.smes else None

    @property
    def deals_per_sme(self) -> float | None:
        return round(self.deals / self.smes, 2) if self.smes else None

    @property
    def value_per_sme(self) -> Decimal | None:
        return (self.value_usd / self.smes).quantize(Decimal("0.01")) if self.smes else None


@dataclass
class WhatFollowed:
    programme: Programme
    window_start: datetime.date
    window_end: datetime.date
    trained: Group = field(default_factory=Group)
    untrained: Group = field(default_factory=Group)


def what_followed(programme: Programme) -> WhatFollowed:
    """Leads, deals and order value (USD) in the 12 months after training.

    Trained: SMEs with someone at a session of the programme; their 12 months start on their
    first attended session. Untrained: every other SME in the directory that no one from
    attended any training session; their 12 months start on the programme's first day.
    A lead counts when the SME is one of its two sides and it started in the SME's window; a
    deal is such a lead now at a deal stage (as on the impact dashboard); value is the SME's
    orders as supplier dated in the window, in US dollars at the rate of the order's day
    (amounts without a known rate are counted apart). A constant number of queries (five at
    most), whatever the number of SMEs."""
    from corridor.core.money import RateTable
    from corridor.followup.models import DEAL_STAGES, Lead, Order

    first = dict(
        Attendance.objects.filter(session__module__programme=programme, organisation__kind="sme")
        .values_list("organisation_id")
        .annotate(first=Min("session__date"))
        .order_by()
    )
    untrained_ids = set(
        Organisation.objects.filter(kind="sme", merged_into__isnull=True)
        .exclude(id__in=Attendance.objects.values("organisation_id"))
        .values_list("id", flat=True)
        .order_by()
    )
    start = programme.starts_on
    windows: dict[int, tuple[datetime.date, datetime.date]] = {
        sid: (day, add_year(day)) for sid, day in first.items()
    }
    for sid in untrained_ids:
        windows[sid] = (start, add_year(start))
    result = WhatFollowed(programme, start, add_year(start))
    groups = {sid: result.trained for sid in first} | {
        sid: result.untrained for sid in untrained_ids
    }
    result.trained.smes = len(first)
    result.untrained.smes = len(untrained_ids)
    if not windows:
        return result
    low = min(w[0] for w in windows.values())
    high = max(w[1] for w in windows.values())
    per_sme: dict[int, dict[str, int]] = {}
    # By kind, not by a list of thousands of ids: the windows dict below does the picking.
    for supplier_id, buyer_id, started_on, stage in (
        Lead.objects.filter(Q(supplier__kind="sme") | Q(buyer__kind="sme"))
        .filter(started_on__gte=low, started_on__lt=high)
        .values_list("supplier_id", "buyer_id", "started_on", "stage")
        .order_by()
    ):
        for sid in {supplier_id, buyer_id}:
            w = windows.get(sid)
            if w and w[0] <= started_on < w[1]:
                mine = per_sme.setdefault(sid, {"leads": 0, "deals": 0, "orders": 0})
                mine["leads"] += 1
                groups[sid].leads += 1
                if stage in DEAL_STAGES:
                    mine["deals"] += 1
                    groups[sid].deals += 1
    orders = list(
        Order.objects.filter(supplier__kind="sme", ordered_on__gte=low, ordered_on__lt=high)
        .values_list("supplier_id", "ordered_on", "value", "currency")
        .order_by()
    )
    table = RateTable.load({o[3] for o in orders})
    for sid, ordered_on, value, currency in orders:
        w = windows.get(sid)
        if not w or not (w[0] <= ordered_on < w[1]):
            continue
        group = groups[sid]
        per_sme.setdefault(sid, {"leads": 0, "deals": 0, "orders": 0})["orders"] += 1
        group.orders += 1
        usd = table.to_usd(value, currency, ordered_on)
        if usd is None:
            group.unconverted += 1
        else:
            group.value_usd += usd
    for sid, counts in per_sme.items():
        group = groups[sid]
        group.smes_with_leads += bool(counts["leads"])
        group.smes_with_deals += bool(counts["deals"])
        group.smes_with_orders += bool(counts["orders"])
    return result
