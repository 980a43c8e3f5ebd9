"""The bridge between the database and the ORM-free scheduler engine (`events.scheduling`).

Ids given to the engine: registrations "r<pk>", meetings "m<pk>", slots their `key`.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.events import scheduling
from corridor.events.models import Event, Meeting, MeetingSeat, Registration, ScheduleRun, Slot


def engine_input(
    event: Event, *, frozen_before: Slot | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The engine's input for the event's current state, and readable names for its ids.

    Slots are grouped by day (`days`: a gap between the last meeting of one day and the first of
    the next is not a break). With `frozen_before` (a re-schedule during the event), the past
    slots are left out of everyone's unavailability: the engine's own `frozen_before` change
    keeps the meetings there as they are, whatever was marked since.
    """
    slots = list(
        event.slots.order_by("starts_at").values_list("key", "starts_at", "session__day_id")
    )
    keys = [k for k, _start, _day in slots]
    days: list[tuple[list[str], int]] = []
    for k, _start, day in slots:
        if not days or days[-1][1] != day:
            days.append(([], day))
        days[-1][0].append(k)
    past = set()
    if frozen_before is not None:
        past = {k for k, start, _day in slots if start < frozen_before.starts_at}
    regs = list(
        event.registrations.filter(status=Registration.Status.APPROVED)
        .select_related("organisation")
        .prefetch_related(Prefetch("unavailable_slots", queryset=Slot.objects.only("key")))
    )
    host_table = dict(event.table_set.filter(host__isnull=False).values_list("host_id", "number"))
    names = {k: k for k in keys}
    participants = []
    for reg in regs:
        entry: dict[str, Any] = {"id": reg.engine_id}
        unavailable = [s.key for s in reg.unavailable_slots.all() if s.key not in past]
        if unavailable:
            entry["unavailable"] = [k for k in keys if k in set(unavailable)]
        if reg.max_meetings is not None:
            entry["max_meetings"] = reg.max_meetings
        if reg.pk in host_table and host_table[reg.pk] <= event.tables:
            entry["table"] = host_table[reg.pk]
        participants.append(entry)
        names[reg.engine_id] = reg.organisation.name
    approved = {reg.pk for reg in regs}
    seats: dict[int, list[int]] = {}
    for meeting_id, reg_id in MeetingSeat.objects.filter(
        meeting__event=event, meeting__status=Meeting.Status.SCHEDULED
    ).values_list("meeting_id", "registration_id"):
        seats.setdefault(meeting_id, []).append(reg_id)
    meetings = []
    rows = Meeting.objects.filter(event=event, status=Meeting.Status.SCHEDULED).values_list(
        "pk", "weight", "locked", "slot__key"
    )
    unavailable_of = {p["id"]: set(p.get("unavailable", ())) for p in participants}
    for pk, weight, locked, slot_key in rows.order_by("pk"):
        people = [r for r in sorted(seats.get(pk, [])) if r in approved]
        if len(people) < 2:
            continue
        ids = [f"r{r}" for r in people]
        entry = {"id": f"m{pk}", "participants": ids, "weight": weight}
        blocked = any(slot_key in unavailable_of[i] for i in ids)
        if slot_key and not blocked and locked and slot_key not in past:
            entry["locked_slot"] = slot_key
        meetings.append(entry)
        names[f"m{pk}"] = " – ".join(names[i] for i in ids)
    raw = {
        "slots": keys,
        "days": [day for day, _pk in days],
        "tables": event.tables,
        "participants": participants,
        "meetings": meetings,
    }
    return raw, names


def current_schedule(event: Event) -> dict[str, Any]:
    rows = Meeting.objects.filter(
        event=event, status=Meeting.Status.SCHEDULED, slot__isnull=False
    ).values_list("pk", "slot__key", "table")
    return {
        "assignments": [
            {"meeting": f"m{pk}", "slot": key, "table": table or 0} for pk, key, table in rows
        ]
    }


_ID = re.compile(r'"([rm]\d+|S\d{8}T\d{4})"')


def reasons_for_people(reasons: list[str], names: dict[str, str]) -> list[str]:
    """The engine's reasons with organisation names and local slot times instead of ids."""
    return [_ID.sub(lambda m: f"“{names.get(m.group(1), m.group(1))}”", r) for r in reasons]


def _with_progress(run: ScheduleRun, seconds: float, work):
    """Run `work` in a thread and store progress (share of the time limit spent) meanwhile."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
        share = min(95, 5 + int(90 * (time.monotonic() - started) / max(seconds, 0.1)))
        ScheduleRun.objects.filter(pk=run.pk).update(progress=share)
    if "error" in box:
        raise box["error"]
    return box["result"]


def frozen_slot(event: Event, now: dt.datetime) -> Slot | None:
    """During the event, the first slot that has not started: earlier ones stay as they are."""
    first = event.slots.order_by("starts_at").first()
    if first is None or now < first.starts_at:
        return None
    return event.slots.filter(starts_at__gt=now).order_by("starts_at").first()


def run_engine(run: ScheduleRun, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Solve (or re-solve from the current schedule) and return the output with readable lists."""
    event = run.event
    now = now or timezone.now()
    frozen = frozen_slot(event, now) if run.kind == ScheduleRun.Kind.RESOLVE else None
    raw, names = engine_input(event, frozen_before=frozen)
    if (
        frozen is None
        and run.kind == ScheduleRun.Kind.RESOLVE
        and event.slots.filter(starts_at__lte=now).exists()
    ):
        raise ValueError(_("Every slot has started: nothing can be re-scheduled any more."))
    instance = scheduling.parse_instance(raw)
    ScheduleRun.objects.filter(pk=run.pk).update(progress=5)
    if run.kind == ScheduleRun.Kind.SOLVE:
        schedule = _with_progress(
            run, run.time_limit, lambda: scheduling.solve(instance, time_limit=run.time_limit)
        )
        out = schedule.to_json()
    else:
        previous = current_schedule(event)
        known = {m["id"] for m in raw["meetings"]}
        previous["assignments"] = [a for a in previous["assignments"] if a["meeting"] in known]
        changes = {"frozen_before": frozen.key} if frozen else {}
        schedule = _with_progress(
            run,
            run.time_limit,
            lambda: scheduling.resolve(raw, previous, changes, time_limit=run.time_limit),
        )
        out = schedule.to_json()
    changed = set(out.get("moved", [])) | set(out.get("added", [])) | set(out.get("dropped", []))
    out["names"] = {k: names[k] for k in sorted(changed) if k in names}
    out["frozen_before"] = frozen.key if frozen else None
    out["meetings_total"] = len(raw["meetings"])
    return out
