"""Minimal-change re-scheduling after late changes (cancellations, additions, no-shows...)."""

from __future__ import annotations

import copy
import random
import time
from typing import Any

from . import bound as bound_mod
from .model import InputError, Instance, Problem, Schedule, parse_days, parse_instance
from .search import Search
from .solver import DEFAULT_TIME_LIMIT, build_schedule
from .state import State

CHANGE_KEYS = {
    "cancel",
    "add",
    "no_show",
    "unavailable",
    "participants",
    "tables",
    "frozen_before",
}


def apply_changes(raw_input: dict[str, Any], changes: Any) -> tuple[dict[str, Any], set[str]]:
    """The input with the changes applied, and the ids of cancelled meetings.

    Changes format (every key optional):
      {"cancel": ["m3"],                          meetings called off
       "add": [{meeting object}],                 new accepted requests
       "participants": [{participant object}],    new participants (for added meetings)
       "no_show": ["p7", {"participant": "p8", "from_slot": "S05"}],
                                                  p7 will not come at all; p8 is unavailable
                                                  from S05 to the end of S05's day
       "unavailable": {"p2": ["S05", "S06"]},     new unavailability
       "tables": 38 or {"S01": 38, ...},          a new table count
       "frozen_before": "S05"}                    slots before S05 are past: kept as they are
    A lock that a change makes impossible (its participant no longer available) is released.
    `frozen_before` is applied by `resolve` (it needs the previous schedule); here it only limits
    new unavailability to the slots from that one on (the past cannot change).
    """
    if not isinstance(changes, dict):
        raise InputError("the changes must be a JSON object")
    raw = copy.deepcopy(raw_input)
    if not isinstance(raw, dict):
        raise InputError("the input must be a JSON object")
    people = raw.setdefault("participants", [])
    meetings = raw.setdefault("meetings", [])
    if not isinstance(people, list) or not isinstance(meetings, list):
        raise InputError('"participants" and "meetings" must be lists')
    person = {p.get("id"): p for p in people if isinstance(p, dict)}
    meeting = {m.get("id"): m for m in meetings if isinstance(m, dict)}
    cancelled: set[str] = set()
    for key in ("cancel", "no_show"):
        value = changes.get(key, [])
        if not isinstance(value, list):
            raise InputError(f'changes: "{key}" must be a list of ids')
    slots = raw.get("slots") if isinstance(raw.get("slots"), list) else []
    frozen = frozen_slots(raw, changes)
    for mid in changes.get("cancel", []):
        if mid not in meeting:
            raise InputError(f'changes: cancelled meeting "{mid}" is unknown')
        cancelled.add(mid)
    raw["meetings"] = [
        m for m in meetings if not (isinstance(m, dict) and m.get("id") in cancelled)
    ]
    new_people = changes.get("participants", [])
    if not isinstance(new_people, list):
        raise InputError('changes: "participants" must be a list of participant objects')
    for p in new_people:
        if isinstance(p, dict) and p.get("id") in person:
            raise InputError(f'changes: duplicate participant "{p.get("id")}"')
        raw["participants"].append(p)
        if isinstance(p, dict):
            person[p.get("id")] = p
    added = changes.get("add", [])
    if not isinstance(added, list):
        raise InputError('changes: "add" must be a list of meeting objects')
    raw["meetings"].extend(added)
    blocked: dict[str, set[str]] = {}
    for entry in changes.get("no_show", []):
        pid, from_slot = _no_show(entry, slots)
        if pid not in person:
            raise InputError(f'changes: no-show participant "{pid}" is unknown')
        if from_slot is None:
            blocked.setdefault(pid, set()).update(slots)
        else:
            blocked.setdefault(pid, set()).update(rest_of_day(raw, from_slot))
    unavailable = changes.get("unavailable", {})
    if not isinstance(unavailable, dict):
        raise InputError('changes: "unavailable" must map participant ids to lists of slots')
    for pid, ss in unavailable.items():
        if pid not in person:
            raise InputError(f'changes: participant "{pid}" in "unavailable" is unknown')
        if not isinstance(ss, list):
            raise InputError(f'changes: "unavailable" of "{pid}" must be a list of slots')
        for s in ss:
            if s not in slots:
                raise InputError(f'changes: "unavailable" of "{pid}" names unknown slot "{s}"')
        blocked.setdefault(pid, set()).update(ss)
    for pid in blocked:
        blocked[pid] -= frozen  # the past cannot change
    for pid, ss in blocked.items():
        entry = person[pid]
        old = entry.get("unavailable") or []
        entry["unavailable"] = [s for s in slots if s in ss or s in old]
    if "tables" in changes:
        raw["tables"] = changes["tables"]
    # Release locks that the new unavailability contradicts.
    for m in raw["meetings"]:
        if not isinstance(m, dict) or m.get("locked_slot") is None:
            continue
        if any(m.get("locked_slot") in blocked.get(p, ()) for p in m.get("participants") or []):
            m["locked_slot"] = None
    return raw, cancelled


def _no_show(entry: Any, slots: list[str]) -> tuple[str, str | None]:
    """A no-show entry: "p7" (the whole event) or {"participant": "p7", "from_slot": "S05"}."""
    if isinstance(entry, str):
        return entry, None
    if not isinstance(entry, dict):
        raise InputError(
            'changes: a "no_show" entry must be a participant id or '
            f'{{"participant": id, "from_slot": slot}}: {entry!r}'
        )
    unknown = set(entry) - {"participant", "from_slot"}
    if unknown:
        raise InputError(f'changes: "no_show" entry has unknown key "{sorted(unknown)[0]}"')
    pid = entry.get("participant")
    if not isinstance(pid, str):
        raise InputError(f'changes: "no_show" entry needs a "participant" id: {entry!r}')
    from_slot = entry.get("from_slot")
    if from_slot is not None and from_slot not in slots:
        raise InputError(f'changes: no-show of "{pid}" names unknown slot "{from_slot}"')
    return pid, from_slot


def _days(raw: dict[str, Any]) -> list[list[str]]:
    slots = raw.get("slots") if isinstance(raw.get("slots"), list) else []
    try:
        return parse_days(raw.get("days"), list(slots))
    except InputError as exc:
        raise InputError(f"input: {exc}") from exc


def rest_of_day(raw: dict[str, Any], from_slot: str) -> list[str]:
    """`from_slot` and the slots after it on the same day."""
    for day in _days(raw):
        if from_slot in day:
            return day[day.index(from_slot) :]
    return [from_slot]


def frozen_slots(raw: dict[str, Any], changes: dict[str, Any]) -> set[str]:
    """The slots before `changes["frozen_before"]` (empty when the key is absent)."""
    first = changes.get("frozen_before")
    if first is None:
        return set()
    slots = raw.get("slots") if isinstance(raw.get("slots"), list) else []
    if not isinstance(first, str) or first not in slots:
        raise InputError(f'changes: "frozen_before" names unknown slot "{first}"')
    return set(slots[: slots.index(first)])


def freeze(raw: dict[str, Any], previous: Any, frozen: set[str]) -> None:
    """Keep the previous meetings of the frozen slots there (locked) and put nothing else there.

    Unavailability in frozen slots no longer matters (nothing new goes there) and is dropped, so
    that a participant marked a no-show afterwards keeps the meetings already held.
    """
    if not frozen:
        return
    if not isinstance(previous, dict) or not isinstance(previous.get("assignments"), list):
        raise InputError('the previous schedule must be an object with an "assignments" list')
    kept: dict[str, str] = {}
    for a in previous["assignments"]:
        if isinstance(a, dict) and a.get("slot") in frozen and isinstance(a.get("meeting"), str):
            kept[a["meeting"]] = a["slot"]
    slots = [s for s in raw.get("slots", []) if isinstance(s, str)]
    open_slots = [s for s in slots if s not in frozen]
    per_slot: dict[str, int] = {}
    for m in raw.get("meetings", []):
        if not isinstance(m, dict):
            continue
        if m.get("id") in kept:
            m["locked_slot"] = kept[m["id"]]
            m["allowed_slots"] = None
            per_slot[m["locked_slot"]] = per_slot.get(m["locked_slot"], 0) + 1
            continue
        if m.get("locked_slot") in frozen:
            m["locked_slot"] = None
        allowed = m.get("allowed_slots")
        if isinstance(allowed, list):
            m["allowed_slots"] = [s for s in allowed if s not in frozen]
        else:
            m["allowed_slots"] = list(open_slots)
    for p in raw.get("participants", []):
        if isinstance(p, dict) and isinstance(p.get("unavailable"), list):
            p["unavailable"] = [s for s in p["unavailable"] if s not in frozen]
    # A smaller table count does not undo meetings already held.
    tables = raw.get("tables")
    if isinstance(tables, int) and not isinstance(tables, bool):
        if any(n > tables for n in per_slot.values()):
            raw["tables"] = {s: max(tables, per_slot.get(s, 0)) for s in slots}
    elif isinstance(tables, dict):
        for s, n in per_slot.items():
            if isinstance(tables.get(s), int) and tables[s] < n:
                tables[s] = n


def parse_previous(previous: Any, instance: Instance) -> dict[str, tuple[str, int]]:
    """meeting id -> (slot, table) from a previous output; meetings no longer present are skipped."""
    if not isinstance(previous, dict) or not isinstance(previous.get("assignments"), list):
        raise InputError('the previous schedule must be an object with an "assignments" list')
    out: dict[str, tuple[str, int]] = {}
    for a in previous["assignments"]:
        if not isinstance(a, dict):
            raise InputError(f"previous schedule: assignment must be an object: {a!r}")
        mid, slot, table = a.get("meeting"), a.get("slot"), a.get("table", 0)
        if slot not in instance.tables:
            raise InputError(f'previous schedule: meeting "{mid}" is in unknown slot "{slot}"')
        if mid in out:
            raise InputError(f'previous schedule: meeting "{mid}" is assigned twice')
        out[mid] = (slot, table if isinstance(table, int) else 0)
    return out


def resolve(
    raw_input: dict[str, Any],
    previous: Any,
    changes: Any,
    time_limit: float = DEFAULT_TIME_LIMIT,
    seed: int = 0,
    started: float | None = None,
) -> Schedule:
    """Re-schedule after `changes`, keeping every meeting that still fits where it was.

    Meetings that no longer fit, new meetings and waiting meetings are placed into free room
    first; other meetings move only to make room for one more meeting (never for fewer breaks),
    and a meeting that was scheduled is never unscheduled to make room for another.
    """
    started = time.perf_counter() if started is None else started
    deadline = started + max(0.05, time_limit * 0.9 - 0.15)
    new_raw, cancelled = apply_changes(raw_input, changes)
    freeze(new_raw, previous, frozen_slots(new_raw, changes))
    instance = parse_instance(new_raw)
    old_ids = {m.get("id") for m in raw_input.get("meetings", []) if isinstance(m, dict)}
    prev = parse_previous(previous, instance)
    problem = Problem(instance)
    state = State(problem)
    for m in range(problem.M):
        if problem.locked[m] >= 0:
            state.place(m, problem.locked[m])
    prev_slot: dict[int, int] = {}
    prev_table: dict[int, int] = {}
    for mid, (slot, table) in prev.items():
        m = problem.meeting_index.get(mid)
        if m is None:
            if mid not in cancelled and mid not in old_ids:
                raise InputError(f'previous schedule names unknown meeting "{mid}"')
            continue
        prev_slot[m] = problem.slot_index[slot]
        prev_table[m] = table
    # Keep what still fits, in the previous order of slots and tables.
    displaced = []
    for m in sorted(prev_slot, key=lambda m: (prev_slot[m], prev_table[m], m)):
        if state.slot_of[m] >= 0:
            continue
        if state.can_place(m, prev_slot[m]):
            state.place(m, prev_slot[m])
        else:
            displaced.append(m)
    rng = random.Random(seed)
    search = Search(state, rng, deadline)
    search.prepare(lambda m: (-problem.weight[m], m))
    waiting = [m for m in range(problem.M) if state.slot_of[m] < 0 and problem.feas[m]]
    # Displaced meetings first (people were told about them), then the uncovered, then by weight.
    waiting.sort(
        key=lambda m: (
            m not in prev_slot,
            -sum(1 for p in problem.people[m] if state.deg[p] == 0),
            -problem.weight[m],
            m,
        )
    )
    # Pass 1: free room only, nobody else moves.
    from .greedy import best_slot

    rest = []
    for m in waiting:
        s = best_slot(state, m)
        if s >= 0:
            state.place(m, s)
        else:
            rest.append(m)
    # Pass 2: smallest Kempe swap or one participant's re-seating, to place one more meeting.
    for m in rest:
        if time.perf_counter() > deadline:
            break
        search.insert(m)
    bound = bound_mod.aggregated_bound(problem, max(0.05, deadline - time.perf_counter()))
    # Only a meeting that stays in its slot claims its old table (a moved one gets any free one).
    keep_table = {m: t for m, t in prev_table.items() if state.slot_of[m] == prev_slot[m]}
    schedule = build_schedule(problem, state, bound, started, keep_table)
    table_now = {a.meeting: (a.slot, a.table) for a in schedule.assignments}
    moved, added, dropped = [], [], []
    for m in range(problem.M):
        mid = problem.ids[m]
        now = table_now.get(mid)
        if m in prev_slot:
            before = (problem.slots[prev_slot[m]], prev_table[m])
            if now is None:
                dropped.append(mid)
            elif now != before:
                moved.append(mid)
        elif now is not None:
            added.append(mid)
    schedule.extra = {"moved": moved, "added": added, "dropped": dropped}
    return schedule
