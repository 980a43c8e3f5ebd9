"""Reads of order timelines for staff: how long shipments wait at each border crossing."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass

from django.utils import timezone

from corridor.directory.models import BorderCrossing
from corridor.reporting.timeline.models import Step, TimelineStep


@dataclass
class BorderTime:
    crossing_id: int
    crossing: str
    shipments: int  # shipments that reached the border in the period
    cleared: int  # ... and were cleared
    median_days: float | None  # from "at the border" to "cleared"
    late_steps: int  # border steps done after their expected date, or overdue


def border_times(
    *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> list[BorderTime]:
    """Per crossing, shipments that arrived at the border between the dates (default: the last
    twelve months), the median days until cleared, and late border steps. One query."""
    date_to = date_to or timezone.localdate()
    date_from = date_from or date_to - datetime.timedelta(days=365)
    today = timezone.localdate()
    arrived = TimelineStep.objects.filter(
        kind=Step.AT_BORDER, actual_on__gte=date_from, actual_on__lte=date_to
    ).values("shipment_id")
    rows = (
        TimelineStep.objects.filter(
            shipment_id__in=arrived,
            kind__in=[Step.AT_BORDER, Step.CLEARED],
            shipment__crossing__isnull=False,
            timeline__cancelled_at__isnull=True,
        )
        .order_by()
        .values_list("shipment_id", "shipment__crossing_id", "kind", "actual_on", "expected_on")
    )
    per_shipment: dict[int, dict] = {}
    late: dict[int, int] = {}
    for shipment_id, crossing_id, kind, actual, expected in rows:
        s = per_shipment.setdefault(shipment_id, {"crossing": crossing_id})
        s[kind] = actual
        if expected and ((actual and actual > expected) or (not actual and expected < today)):
            late[crossing_id] = late.get(crossing_id, 0) + 1
    by_crossing: dict[int, list] = {}
    for s in per_shipment.values():
        by_crossing.setdefault(s["crossing"], []).append(s)
    names = dict(BorderCrossing.objects.filter(id__in=by_crossing).values_list("id", "name"))
    out = []
    for crossing_id, shipments in by_crossing.items():
        days = [
            (s[Step.CLEARED] - s[Step.AT_BORDER]).days
            for s in shipments
            if s.get(Step.CLEARED) and s.get(Step.AT_BORDER)
        ]
        out.append(
            BorderTime(
                crossing_id=crossing_id,
                crossing=names.get(crossing_id, ""),
                shipments=len(shipments),
                cleared=len(days),
                median_days=statistics.median(days) if days else None,
                late_steps=late.get(crossing_id, 0),
            )
        )
    return sorted(out, key=lambda b: (-(b.median_days or 0), b.crossing))
