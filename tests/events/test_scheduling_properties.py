"""Property tests: every schedule the scheduler returns satisfies every constraint of its input."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.events.scheduling import InputError, parse_instance, resolve, solve


def validate(raw: dict[str, Any], out: dict[str, Any]) -> None:
    """Re-check a schedule against the raw input, independently of the scheduler's code."""
    slots = raw["slots"]
    tables = raw["tables"]
    tables = dict.fromkeys(slots, tables) if isinstance(tables, int) else tables
    people = {p["id"]: p for p in raw["participants"]}
    meetings = {m["id"]: m for m in raw["meetings"]}
    seen = set()
    used_tables: dict[tuple[str, int], str] = {}
    busy: dict[tuple[str, str], str] = {}
    load: dict[str, int] = {}
    per_slot: dict[str, int] = {}
    weight = 0
    for a in out["assignments"]:
        mid, slot, table = a["meeting"], a["slot"], a["table"]
        assert mid in meetings, mid
        assert mid not in seen, f"{mid} twice"
        seen.add(mid)
        m = meetings[mid]
        assert slot in slots
        assert isinstance(table, int) and 1 <= table <= tables[slot], (mid, slot, table)
        assert (slot, table) not in used_tables, (slot, table)
        used_tables[slot, table] = mid
        per_slot[slot] = per_slot.get(slot, 0) + 1
        if m.get("allowed_slots") is not None:
            assert slot in m["allowed_slots"], (mid, slot)
        if m.get("locked_slot") is not None:
            assert slot == m["locked_slot"], (mid, slot)
        for pid in m["participants"]:
            p = people[pid]
            assert slot not in (p.get("unavailable") or []), (mid, pid, slot)
            assert (pid, slot) not in busy, (mid, busy[pid, slot], pid, slot)
            busy[pid, slot] = mid
            load[pid] = load.get(pid, 0) + 1
            if p.get("table") is not None:
                assert table == p["table"], (mid, pid, table)
        weight += m.get("weight", 1)
    for slot, n in per_slot.items():
        assert n <= tables[slot]
    for pid, n in load.items():
        if people[pid].get("max_meetings") is not None:
            assert n <= people[pid]["max_meetings"], pid
    for mid, m in meetings.items():
        if m.get("locked_slot") is not None:
            assert mid in seen, f"locked {mid} not scheduled"
    assert sorted(out["unscheduled"]) == sorted(set(meetings) - seen)
    stats = out["stats"]
    assert stats["scheduled"] == len(seen)
    assert abs(stats["weight"] - weight) < 1e-6
    assert stats["upper_bound"] >= stats["weight"] - 1e-6
    assert stats["status"] in ("optimal", "feasible")
    if stats["status"] == "optimal":
        assert abs(stats["upper_bound"] - weight) < 1e-6
    assert stats["breaks"] == count_breaks(slots, busy, raw.get("days"))


def count_breaks(
    slots: list[str], busy: dict[tuple[str, str], str], days: list[list[str]] | None = None
) -> int:
    """Idle gaps between two meetings of a participant on the same day."""
    order = {s: i for i, s in enumerate(slots)}
    day_of = {s: d for d, day in enumerate(days or [slots]) for s in day}
    per: dict[str, list[int]] = {}
    for pid, slot in busy:
        per.setdefault(pid, []).append(order[slot])
    total = 0
    for idx in per.values():
        idx.sort()
        total += sum(
            1
            for a, b in itertools.pairwise(idx)
            if b > a + 1 and day_of[slots[a]] == day_of[slots[b]]
        )
    return total


@st.composite
def instances(draw: st.DrawFn, max_people: int = 8, max_meetings: int = 14) -> dict[str, Any]:
    n_slots = draw(st.integers(1, 6))
    slots = [f"S{i}" for i in range(n_slots)]
    if draw(st.booleans()):
        tables: Any = draw(st.integers(0, 4))
    else:
        tables = {s: draw(st.integers(0, 4)) for s in slots}
    n_people = draw(st.integers(2, max_people))
    people = []
    for i in range(n_people):
        p: dict[str, Any] = {"id": f"p{i}"}
        p["unavailable"] = draw(st.lists(st.sampled_from(slots), unique=True, max_size=n_slots))
        if draw(st.integers(0, 4)) == 0:
            p["max_meetings"] = draw(st.integers(0, 3))
        if draw(st.integers(0, 4)) == 0:
            p["table"] = draw(st.integers(1, 3))
        people.append(p)
    meetings = []
    for k in range(draw(st.integers(0, max_meetings))):
        size = 3 if draw(st.integers(0, 5)) == 0 and n_people >= 3 else 2
        group = draw(
            st.lists(
                st.sampled_from([p["id"] for p in people]),
                min_size=size,
                max_size=size,
                unique=True,
            )
        )
        m: dict[str, Any] = {
            "id": f"m{k}",
            "participants": group,
            "weight": draw(st.integers(1, 3)),
        }
        if draw(st.integers(0, 3)) == 0:
            m["allowed_slots"] = draw(
                st.lists(st.sampled_from(slots), unique=True, max_size=n_slots)
            )
        meetings.append(m)
    raw = {"slots": slots, "tables": tables, "participants": people, "meetings": meetings}
    # Locks: keep each drawn lock only if the instance stays valid.
    for m in meetings:
        if draw(st.integers(0, 5)) == 0:
            m["locked_slot"] = draw(st.sampled_from(slots))
            try:
                parse_instance(raw)
            except InputError:
                m["locked_slot"] = None
    return raw


def brute_force(raw: dict[str, Any]) -> tuple[float, int]:
    """Best (participants covered, weight) over all schedules, ignoring table numbers' order."""
    inst = parse_instance(raw)
    slots = inst.slots
    ms = inst.meetings
    people = inst.participant_by_id
    best = (-1, -1.0)
    for choice in itertools.product([None, *slots], repeat=len(ms)):
        ok = True
        busy = set()
        count: dict[str, int] = {}
        load: dict[str, int] = {}
        fixed: set[tuple[str, int]] = set()
        for m, s in zip(ms, choice, strict=True):
            if s is None:
                if m.locked_slot is not None:
                    ok = False
                    break
                continue
            if (m.locked_slot not in (None, s)) or (
                m.allowed_slots is not None and s not in m.allowed_slots
            ):
                ok = False
                break
            tabs = {people[p].table for p in m.participants if people[p].table is not None}
            if len(tabs) > 1 or (
                tabs and (next(iter(tabs)) > inst.tables[s] or (s, next(iter(tabs))) in fixed)
            ):
                ok = False
                break
            if tabs:
                fixed.add((s, next(iter(tabs))))
            count[s] = count.get(s, 0) + 1
            if count[s] > inst.tables[s]:
                ok = False
                break
            for p in m.participants:
                if s in people[p].unavailable or (p, s) in busy:
                    ok = False
                    break
                busy.add((p, s))
                load[p] = load.get(p, 0) + 1
                if people[p].max_meetings is not None and load[p] > people[p].max_meetings:
                    ok = False
                    break
            if not ok:
                break
        if ok:
            covered = len({p for p, _ in busy})
            w = sum(m.weight for m, s in zip(ms, choice, strict=True) if s is not None)
            best = max(best, (covered, w))
    return best[1], best[0]


def covered(raw: dict[str, Any], out: dict[str, Any]) -> int:
    meetings = {m["id"]: m for m in raw["meetings"]}
    return len({p for a in out["assignments"] for p in meetings[a["meeting"]]["participants"]})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_schedule_satisfies_every_constraint(raw: dict[str, Any]) -> None:
    out = solve(parse_instance(raw), time_limit=0.5, seed=1).to_json()
    validate(raw, out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_people=5, max_meetings=5))
def test_small_events_fair_optimal_and_bounded(raw: dict[str, Any]) -> None:
    if (len(raw["slots"]) + 1) ** len(raw["meetings"]) > 8000:
        return
    out = solve(parse_instance(raw), time_limit=0.5, seed=1).to_json()
    validate(raw, out)
    best_weight, best_covered = brute_force(raw)
    assert covered(raw, out) == best_covered  # fairness first
    assert out["stats"]["upper_bound"] >= best_weight - 1e-6  # the bound is valid
    if out["stats"]["status"] == "optimal":
        assert out["stats"]["weight"] == best_weight


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_resolve_keeps_constraints_and_reports_moves(
    raw: dict[str, Any], data: st.DataObject
) -> None:
    first = solve(parse_instance(raw), time_limit=0.3, seed=1).to_json()
    ids = [m["id"] for m in raw["meetings"]]
    pids = [p["id"] for p in raw["participants"]]
    changes: dict[str, Any] = {
        "cancel": data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=2)) if ids else [],
        "no_show": data.draw(st.lists(st.sampled_from(pids), unique=True, max_size=1)),
        "unavailable": {
            data.draw(st.sampled_from(pids)): data.draw(
                st.lists(st.sampled_from(raw["slots"]), unique=True, max_size=2)
            )
        },
        "participants": [{"id": "new1"}],
        "add": [{"id": "new-m", "participants": ["new1", pids[0]], "weight": 2}],
    }
    out = resolve(raw, first, changes, time_limit=0.3, seed=1).to_json()
    from corridor.events.scheduling import apply_changes

    new_raw, _ = apply_changes(raw, changes)
    validate(new_raw, out)
    before = {a["meeting"]: (a["slot"], a["table"]) for a in first["assignments"]}
    after = {a["meeting"]: (a["slot"], a["table"]) for a in out["assignments"]}
    assert sorted(out["moved"]) == sorted(m for m in after if m in before and after[m] != before[m])
    assert sorted(out["added"]) == sorted(m for m in after if m not in before)
    assert sorted(out["dropped"]) == sorted(
        m for m in before if m not in after and m not in changes["cancel"]
    )
