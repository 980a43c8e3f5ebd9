"""Break minimisation: exact phase, lower bound, spread limit and days, against brute force."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_scheduling_properties import count_breaks, covered, instances, validate

from corridor.events.scheduling import InputError, parse_instance, solve
from corridor.events.scheduling.cli import main


@st.composite
def events_with_days(draw: st.DrawFn) -> dict[str, Any]:
    raw = draw(instances(max_people=5, max_meetings=6))
    n = len(raw["slots"])
    if n > 1 and draw(st.booleans()):
        cuts = sorted(draw(st.lists(st.integers(1, n - 1), unique=True, max_size=2)))
        bounds = [0, *cuts, n]
        raw["days"] = [raw["slots"][a:b] for a, b in itertools.pairwise(bounds)]
    return raw


def same_meetings_schedules(raw: dict[str, Any], out: dict[str, Any]) -> list[tuple[int, int]]:
    """(breaks, spread) of every valid schedule of exactly the meetings `out` schedules."""
    slots = raw["slots"]
    tables = raw["tables"]
    tables = dict.fromkeys(slots, tables) if isinstance(tables, int) else tables
    people = {p["id"]: p for p in raw["participants"]}
    meetings = {m["id"]: m for m in raw["meetings"]}
    chosen = [meetings[a["meeting"]] for a in out["assignments"]]
    options = []
    for m in chosen:
        ok = [
            s
            for s in slots
            if (m.get("allowed_slots") is None or s in m["allowed_slots"])
            and m.get("locked_slot") in (None, s)
            and all(s not in (people[p].get("unavailable") or []) for p in m["participants"])
        ]
        options.append(ok)
    result = []
    for choice in itertools.product(*options):
        busy: dict[tuple[str, str], str] = {}
        count: dict[str, int] = {}
        fixed: set[tuple[str, int]] = set()
        ok = True
        for m, s in zip(chosen, choice, strict=True):
            count[s] = count.get(s, 0) + 1
            tabs = {people[p]["table"] for p in m["participants"] if people[p].get("table")}
            for t in tabs:
                if t > tables[s] or (s, t) in fixed:
                    ok = False
                fixed.add((s, t))
            for p in m["participants"]:
                if (p, s) in busy:
                    ok = False
                busy[p, s] = m["id"]
        if not ok or any(n > tables[s] for s, n in count.items()):
            continue
        per = []
        for p in people:
            mine = {k: v for k, v in busy.items() if k[0] == p}
            if len(mine) >= 2:
                per.append(count_breaks(slots, mine, raw.get("days")))
        spread = max(per) - min(per) if per else 0
        result.append((count_breaks(slots, busy, raw.get("days")), spread))
    return result


def small_enough(raw: dict[str, Any]) -> bool:
    return len(raw["slots"]) ** len(raw["meetings"]) <= 20_000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events_with_days())
def test_break_phase_keeps_meetings_and_its_lower_bound_is_valid(raw: dict[str, Any]) -> None:
    inst = parse_instance(raw)
    base = solve(inst, time_limit=5, seed=1, iterations=2, exact=False).to_json()
    out = solve(inst, time_limit=5, seed=1, iterations=2).to_json()
    validate(raw, out)  # breaks counted per day, independently
    # Break minimisation never lowers weight or the participants covered: same meetings.
    assert sorted(a["meeting"] for a in out["assignments"]) == sorted(
        a["meeting"] for a in base["assignments"]
    )
    assert out["stats"]["weight"] == base["stats"]["weight"]
    assert covered(raw, out) == covered(raw, base)
    assert out["stats"]["breaks"] <= base["stats"]["breaks"]
    stats = out["stats"]
    assert 0 <= stats["breaks_lower_bound"] <= stats["breaks"]
    if not small_enough(raw):
        return
    best = min(b for b, _ in same_meetings_schedules(raw, out))
    assert stats["breaks_lower_bound"] <= best
    assert stats["breaks_optimal"]  # tiny events are always proven
    assert stats["breaks"] == best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events_with_days(), st.integers(0, 1))
def test_max_break_spread_is_honoured_when_feasible(raw: dict[str, Any], spread: int) -> None:
    if not small_enough(raw):
        return
    out = solve(parse_instance(raw), time_limit=5, seed=1, iterations=2, max_break_spread=spread)
    out = out.to_json()
    validate(raw, out)
    stats = out["stats"]
    options = same_meetings_schedules(raw, out)
    within = [b for b, s in options if s <= spread]
    assert stats["max_break_spread"] == spread
    if within:
        assert stats["breaks_spread"] <= spread
        assert stats["max_break_spread_met"] is True
        assert stats["breaks"] == min(within)  # fewest breaks within the spread
        assert stats["breaks_lower_bound"] <= min(within)
    else:
        assert stats["max_break_spread_met"] is False
        assert stats["max_break_spread_status"] == "infeasible"
        assert stats["breaks"] == min(b for b, _ in options)


def test_days_gap_between_two_days_is_not_a_break() -> None:
    raw = {
        "slots": ["A1", "A2", "B1", "B2"],
        "tables": 1,
        "participants": [{"id": "p1"}, {"id": "p2"}, {"id": "p3"}],
        "meetings": [
            {"id": "m1", "participants": ["p1", "p2"], "allowed_slots": ["A1"]},
            {"id": "m2", "participants": ["p1", "p3"], "allowed_slots": ["B2"]},
        ],
    }
    one_day = solve(parse_instance(raw), time_limit=2, seed=1).to_json()["stats"]
    raw["days"] = [["A1", "A2"], ["B1", "B2"]]
    two_days = solve(parse_instance(raw), time_limit=2, seed=1).to_json()["stats"]
    assert (one_day["breaks"], one_day["breaks_lower_bound"]) == (1, 1)
    assert (two_days["breaks"], two_days["breaks_lower_bound"]) == (0, 0)
    assert two_days["breaks_optimal"] is True


def test_exact_phase_closes_the_gaps_local_search_leaves() -> None:
    # Everyone meets everyone of a group of 5 over 10 slots: 10 meetings, two per slot fit.
    people = [f"p{i}" for i in range(5)]
    raw = {
        "slots": [f"S{i}" for i in range(10)],
        "tables": 2,
        "participants": [{"id": p} for p in people],
        "meetings": [
            {"id": f"m{a}{b}", "participants": [people[a], people[b]]}
            for a, b in itertools.combinations(range(5), 2)
        ],
    }
    stats = solve(parse_instance(raw), time_limit=5, seed=1).to_json()["stats"]
    assert stats["scheduled"] == 10
    assert stats["breaks_optimal"] is True
    assert stats["breaks"] == stats["breaks_lower_bound"]


def test_cli_max_break_spread(tmp_path: Path) -> None:
    raw = {
        "slots": ["S1", "S2", "S3", "S4"],
        "tables": 2,
        "participants": [{"id": f"p{i}"} for i in range(4)],
        "meetings": [
            {"id": "m1", "participants": ["p0", "p1"]},
            {"id": "m2", "participants": ["p0", "p2"]},
            {"id": "m3", "participants": ["p1", "p3"]},
            {"id": "m4", "participants": ["p2", "p3"]},
        ],
    }
    src = tmp_path / "in.json"
    src.write_text(json.dumps(raw))
    out = tmp_path / "out.json"
    args = ["solve", "--input", str(src), "--output", str(out), "--time-limit", "3"]
    assert main([*args, "--max-break-spread", "0"]) == 0
    stats = json.loads(out.read_text())["stats"]
    assert stats["max_break_spread"] == 0
    assert stats["max_break_spread_met"] is True
    assert stats["breaks_spread"] == 0
    assert main([*args, "--max-break-spread", "-1"]) == 2


@pytest.mark.parametrize("value", [-1, "2", 1.5, True])
def test_bad_max_break_spread_in_input(value: Any) -> None:
    raw = {"slots": ["S1"], "tables": 1, "max_break_spread": value}
    with pytest.raises(InputError) as err:
        parse_instance(raw)
    assert str(err.value) == '"max_break_spread" must be a non-negative integer'


def test_annealing_on_days_keeps_meetings_and_lowers_breaks() -> None:
    import random
    import time

    from corridor.events.scheduling.anneal import anneal
    from corridor.events.scheduling.model import Problem
    from corridor.events.scheduling.solver import build_schedule
    from corridor.events.scheduling.state import State

    rng = random.Random(4)
    slots = [f"S{i}" for i in range(9)]
    people = [{"id": f"p{i}"} for i in range(12)]
    meetings = []
    for k in range(30):
        a, b = rng.sample([p["id"] for p in people], 2)
        meetings.append({"id": f"m{k}", "participants": [a, b]})
    raw = {
        "slots": slots,
        "days": [slots[:1], slots[1:5], slots[5:]],  # a one-slot day too
        "tables": 3,
        "participants": people,
        "meetings": meetings,
    }
    pb = Problem(parse_instance(raw))
    state = State(pb)
    for m in range(pb.M):  # scatter: last free slot first
        for s in reversed(pb.feas_list[m]):
            if state.can_place(m, s):
                state.place(m, s)
                break
    placed, breaks = sorted(m for m in range(pb.M) if state.slot_of[m] >= 0), state.breaks
    again = State(pb)
    again.copy_from(state)

    epochs, moves = anneal(state, time.perf_counter() + 60, seed=2, epochs=2)
    anneal(again, time.perf_counter() + 60, seed=2, epochs=2)

    # Stops early only at breaks 0, the trivial bound.
    assert (epochs, moves) == (2, 8000) or (state.breaks == 0 and moves <= 8000)
    assert state.slot_of == again.slot_of  # a move budget makes it deterministic
    assert sorted(m for m in range(pb.M) if state.slot_of[m] >= 0) == placed
    assert state.breaks == state.total_breaks() < breaks  # it did improve
    out = build_schedule(pb, state, 0, time.perf_counter()).to_json()
    validate(raw, out)


def test_break_phase_on_a_forum_keeps_weight_and_cuts_breaks() -> None:
    import random

    rng = random.Random(11)
    slots = [f"S{i:02d}" for i in range(12)]
    people = [{"id": f"p{i}"} for i in range(24)]
    for p in people[:4]:
        p["unavailable"] = slots[6:]  # morning only
    pairs = set()
    while len(pairs) < 60:
        a, b = sorted(rng.sample(range(24), 2))
        if not (a < 4 and b < 4):
            pairs.add((a, b))
    raw = {
        "slots": slots,
        "tables": 12,
        "participants": people,
        "meetings": [
            {"id": f"m{k}", "participants": [f"p{a}", f"p{b}"], "weight": 1 + k % 3}
            for k, (a, b) in enumerate(sorted(pairs))
        ],
    }
    inst = parse_instance(raw)
    base = solve(inst, time_limit=30, seed=3, iterations=3, exact=False).to_json()
    out = solve(inst, time_limit=30, seed=3, iterations=3).to_json()
    validate(raw, out)
    assert out["stats"]["weight"] == base["stats"]["weight"]
    assert covered(raw, out) == covered(raw, base)
    assert out["stats"]["breaks"] < base["stats"]["breaks"]
    assert out["stats"]["breaks_lower_bound"] <= out["stats"]["breaks"]
    again = solve(inst, time_limit=30, seed=3, iterations=3).to_json()
    assert again["assignments"] == out["assignments"]  # deterministic under --iterations


def test_certificate_raises_the_bound_above_each_participant_alone() -> None:
    from corridor.events.scheduling import exact
    from corridor.events.scheduling.model import Problem
    from corridor.events.scheduling.state import State

    # A triangle in three slots with one table: each participant alone could meet back to back,
    # but whoever holds the first and the last meeting waits in between.
    raw = {
        "slots": ["S1", "S2", "S3"],
        "tables": 1,
        "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "meetings": [
            {"id": "ab", "participants": ["a", "b"]},
            {"id": "bc", "participants": ["b", "c"]},
            {"id": "ac", "participants": ["a", "c"]},
        ],
    }
    pb = Problem(parse_instance(raw))
    state = State(pb)
    for m in range(3):
        state.place(m, m)
    at_least = exact.person_bounds(state)
    assert at_least == {}  # each participant alone: no break needed

    assert exact.certify(state, 0, at_least, 10.0) == ("INFEASIBLE", None)
    status, slots = exact.certify(state, 1, at_least, 10.0)
    assert status == "FEASIBLE" and sorted(slots) == [0, 1, 2]
    stats = solve(parse_instance(raw), time_limit=5, seed=1, iterations=2).to_json()["stats"]
    assert (stats["breaks"], stats["breaks_lower_bound"], stats["breaks_optimal"]) == (1, 1, True)


def test_sat_certificate_on_the_triangle_and_in_solve() -> None:
    from corridor.events.scheduling import exact
    from corridor.events.scheduling.model import Problem
    from corridor.events.scheduling.state import State

    raw = {
        "slots": ["S1", "S2", "S3"],
        "tables": 1,
        "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "meetings": [
            {"id": "ab", "participants": ["a", "b"]},
            {"id": "bc", "participants": ["b", "c"]},
            {"id": "ac", "participants": ["a", "c"]},
        ],
    }
    state = State(Problem(parse_instance(raw)))
    for m in range(3):
        state.place(m, m)
    # Nobody can be without a break at once (see the CP-SAT certificate above).
    assert exact.sat_certify(state, {}, 10.0) == ("INFEASIBLE", None)
    # A participant allowed one break: a schedule with exactly that break is found.
    status, slots = exact.sat_certify(state, {0: 1}, 10.0)
    assert status == "FEASIBLE" and sorted(slots) == [0, 1, 2]
    b = State(state.pb)
    for m, s in enumerate(slots):
        b.place(m, s)
    assert b.breaks == 1 and state.pb.breaks_of_mask(b.busy[0]) == 1


def _as_state(raw: dict[str, Any], out: dict[str, Any]):
    """The schedule `out` of the event `raw` as a State."""
    from corridor.events.scheduling.model import Problem
    from corridor.events.scheduling.state import State

    pb = Problem(parse_instance(raw))
    state = State(pb)
    index = {m.id: i for i, m in enumerate(pb.instance.meetings)}
    for a in out["assignments"]:
        state.place(index[a["meeting"]], pb.slot_index[a["slot"]])
    return state


def _placed(pb, slots: list[int]):  # noqa: ANN001
    """A certificate's schedule (a slot per meeting, -1 when unscheduled) as a State."""
    from corridor.events.scheduling.state import State

    state = State(pb)
    for m, s in enumerate(slots):
        if s >= 0:
            state.place(m, s)
    return state


def _solved_state(raw: dict[str, Any]):
    """(the engine's schedule of a small event as a State, its JSON), or None when the event is
    too large for brute force or nothing was placed."""
    out = solve(parse_instance(raw), time_limit=5, seed=1, iterations=1).to_json()
    if not small_enough(raw) or not out["assignments"]:
        return None
    return _as_state(raw, out), out


def _forum_300() -> dict[str, Any]:
    """The largest forum of the bench table (bench/scheduler.py, 300 meetings)."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "bench" / "scheduler.py"
    spec = importlib.util.spec_from_file_location("bench_scheduler", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench.generate_forum(70, 21, 300, seed=107)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events_with_days())
def test_sat_certificate_agrees_with_brute_force(raw: dict[str, Any]) -> None:
    from corridor.events.scheduling import exact

    solved = _solved_state(raw)
    if solved is None:
        return
    state, out = solved
    pb = state.pb
    at_least = exact.person_bounds(state)
    best = min(b for b, _ in same_meetings_schedules(raw, out))
    status, slots = exact.sat_certify(state, at_least, 30.0)
    # Feasible exactly when some schedule of the same meetings meets every bound at once.
    assert status == ("FEASIBLE" if best == sum(at_least.values()) else "INFEASIBLE")
    if slots is not None:
        other = _placed(pb, slots)
        assert other.breaks == best
        assert sorted(m for m, s in enumerate(slots) if s >= 0) == sorted(
            m for m in range(pb.M) if state.slot_of[m] >= 0
        )
        assert all(other.count[s] <= pb.tables[s] for s in range(pb.S))


def test_sat_certificate_proves_the_300_meeting_forum() -> None:
    import time

    from corridor.events.scheduling import exact

    raw = _forum_300()
    out = solve(parse_instance(raw), time_limit=5, seed=1, iterations=1, exact=False).to_json()
    state = _as_state(raw, out)
    pb = state.pb
    at_least = exact.person_bounds(state)
    started = time.perf_counter()
    # With the one-window rows for participants at bound 0, CaDiCaL answers in ~1 s on a quiet
    # machine (45 s without them): every participant at their own bound, hence optimal.
    status, slots = exact.sat_certify(state, at_least, 20.0)
    assert status == "FEASIBLE" and time.perf_counter() - started < 20.0
    # A conflict budget too small for it: "unknown", whatever the machine's speed.
    job = exact.sat_start(state, at_least, conflicts=10)
    assert job.wait(20.0) == ("UNKNOWN", None) and job.result == ("UNKNOWN", None)
    other = _placed(pb, slots)
    assert other.breaks == sum(at_least.values()) == 3
    assert all(other.count[s] <= pb.tables[s] for s in range(pb.S))


def test_iterations_prove_the_300_meeting_forum_and_stay_deterministic() -> None:
    inst = parse_instance(_forum_300())
    # Under --iterations CaDiCaL gets a conflict budget (deterministic) instead of a wall clock.
    out = solve(inst, time_limit=60, seed=1, iterations=3).to_json()
    again = solve(inst, time_limit=60, seed=1, iterations=3).to_json()
    assert again["assignments"] == out["assignments"]
    stats = out["stats"]
    assert (stats["breaks"], stats["breaks_lower_bound"], stats["breaks_optimal"]) == (3, 3, True)
    assert stats["breaks_sat"] == ["FEASIBLE"]


def test_sat_certificates_agree_with_brute_force_on_dense_tiny_events() -> None:
    import random

    from corridor.events.scheduling import exact

    seen = set()
    for seed in range(70):
        rng = random.Random(seed)
        slots = [f"S{i}" for i in range(rng.randint(4, 5))]
        people = [{"id": f"p{i}"} for i in range(rng.randint(3, 5))]
        for p in people:
            if rng.random() < 0.3:
                p["unavailable"] = rng.sample(slots, 1)
        pairs = {tuple(rng.sample(range(len(people)), 2)) for _ in range(6)}
        raw = {
            "slots": slots,
            "tables": rng.randint(1, 2),
            "participants": people,
            "meetings": [
                {"id": f"m{k}", "participants": [f"p{a}", f"p{b}"]}
                for k, (a, b) in enumerate(sorted(pairs))
            ],
        }
        if seed % 3 == 0:
            raw["days"] = [slots[:2], slots[2:]]
        solved = _solved_state(raw)
        if solved is None:
            continue
        state, out = solved
        at_least = exact.person_bounds(state)
        gap = min(b for b, _ in same_meetings_schedules(raw, out)) - sum(at_least.values())
        seen.add((min(gap, 2), "days" in raw))
        for extra in (0, 1):
            status, slots = exact.sat_certify(state, at_least, 30.0, extra=extra)
            assert status == ("FEASIBLE" if gap <= extra else "INFEASIBLE"), (seed, extra)
            if slots is not None:  # the same meetings, within the breaks asked for
                other = _placed(state.pb, slots)
                assert other.n_scheduled == state.n_scheduled
                assert other.breaks <= sum(at_least.values()) + extra
    # Both answers of both questions were checked (and days: several days at the bound).
    assert {(0, False), (1, False), (2, False), (0, True)} <= seen, seen


def test_sat_one_break_more_is_one_in_total_not_one_each() -> None:
    from corridor.events.scheduling import exact
    from corridor.events.scheduling.model import Problem
    from corridor.events.scheduling.state import State

    # Two triangles (see the certificate tests above) side by side, two tables: each costs one
    # break, two in all. A second day nobody can use keeps the one-window rows out of it.
    people = [{"id": x, "unavailable": ["S4"]} for x in "abcdef"]
    meetings = [
        {"id": f"{x}{y}", "participants": [x, y]}
        for tri in ("abc", "def")
        for x, y in (tri[:2], tri[1:], tri[::2])
    ]
    raw = {
        "slots": ["S1", "S2", "S3", "S4"],
        "days": [["S1", "S2", "S3"], ["S4"]],
        "tables": 2,
        "participants": people,
        "meetings": meetings,
    }
    state = State(Problem(parse_instance(raw)))
    for m in range(6):
        state.place(m, m % 3)
    assert exact.person_bounds(state) == {} and state.breaks == 2
    assert exact.sat_certify(state, {}, 10.0) == ("INFEASIBLE", None)
    assert exact.sat_certify(state, {}, 10.0, extra=1) == ("INFEASIBLE", None)
    # One participant allowed a break per triangle: both at once are possible.
    status, slots = exact.sat_certify(state, {0: 1, 3: 1}, 10.0)
    assert status == "FEASIBLE"
