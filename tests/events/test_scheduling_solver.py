"""Scheduler behaviour: fairness, determinism, breaks, re-scheduling, hand-move checks."""

from __future__ import annotations

import json
from typing import Any

from test_scheduling_properties import validate

from corridor.events.scheduling import check_move, parse_instance, resolve, solve
from corridor.events.scheduling.greedy import first_fit
from corridor.events.scheduling.model import Problem


def event(
    n_people: int = 30, n_meetings: int = 80, slots: int = 8, tables: int = 8, seed: int = 0
) -> dict[str, Any]:
    import random

    rng = random.Random(seed)
    people = [{"id": f"p{i}"} for i in range(n_people)]
    for p in people[: n_people // 5]:
        p["unavailable"] = [f"S{s}" for s in range(slots // 2)]
    meetings = []
    for k in range(n_meetings):
        group = rng.sample([p["id"] for p in people], 3 if k % 15 == 0 else 2)
        meetings.append({"id": f"m{k}", "participants": group, "weight": rng.randint(1, 3)})
    return {
        "slots": [f"S{s}" for s in range(slots)],
        "tables": tables,
        "participants": people,
        "meetings": meetings,
    }


def test_fairness_beats_weight() -> None:
    raw = {
        "slots": ["S1", "S2"],
        "tables": 1,
        "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}],
        "meetings": [
            {"id": "m1", "participants": ["a", "b"], "weight": 3},
            {"id": "m2", "participants": ["a", "b"], "weight": 3},
            {"id": "m3", "participants": ["c", "d"], "weight": 1},
        ],
    }
    inst = parse_instance(raw)
    greedy = first_fit(Problem(inst))
    assert greedy.covered == 2  # the weight-first greedy leaves c and d with nothing
    out = solve(inst, time_limit=1).to_json()
    validate(raw, out)
    assert "m3" in {a["meeting"] for a in out["assignments"]}
    assert out["stats"]["weight"] == 4


def test_same_seed_same_schedule() -> None:
    # Without the break phase the rounds end by patience, well within the limit (even on a loaded
    # machine); the break phase
    # uses the whole limit (its result depends on the epochs done: see the --iterations test).
    raw = event()
    a = solve(parse_instance(raw), time_limit=30, seed=7, exact=False).to_json()
    b = solve(parse_instance(json.loads(json.dumps(raw))), time_limit=30, seed=7, exact=False)
    b = b.to_json()
    assert a["assignments"] == b["assignments"] and a["unscheduled"] == b["unscheduled"]


def test_all_schedulable_means_all_scheduled_with_few_breaks() -> None:
    raw = event(n_meetings=40, tables=10)
    inst = parse_instance(raw)
    out = solve(inst, time_limit=2).to_json()
    validate(raw, out)
    base = first_fit(Problem(inst))
    assert out["stats"]["weight"] >= base.weight
    if out["stats"]["weight"] == base.weight:
        assert out["stats"]["breaks"] <= base.total_breaks()


def test_fixed_tables_hosts_and_impossible_pairs() -> None:
    raw = {
        "slots": ["S1", "S2"],
        "tables": {"S1": 3, "S2": 1},
        "participants": [
            {"id": "h1", "table": 3},
            {"id": "h2", "table": 3},
            {"id": "h3", "table": 1},
            {"id": "v1"},
            {"id": "v2"},
        ],
        "meetings": [
            {"id": "a", "participants": ["h1", "v1"]},
            {"id": "b", "participants": ["h2", "v2"]},
            {"id": "c", "participants": ["h1", "h3"]},
        ],
    }
    out = solve(parse_instance(raw), time_limit=1).to_json()
    validate(raw, out)
    assert "c" in out["unscheduled"]  # two hosts fixed at different tables never meet
    # h1 and h2 share table 3, which exists only in S1: only one of a and b fits.
    assert out["stats"]["scheduled"] == 1 and out["stats"]["status"] == "optimal"


def _schedule(raw: dict[str, Any]) -> dict[str, Any]:
    return solve(parse_instance(raw), time_limit=1, seed=1).to_json()


def test_resolve_cancel_places_waiting_meeting_without_moving_others() -> None:
    raw = {
        "slots": ["S1", "S2"],
        "tables": 1,
        "participants": [{"id": x} for x in "abcdef"],
        "meetings": [
            {"id": "m1", "participants": ["a", "b"], "weight": 3},
            {"id": "m2", "participants": ["c", "d"], "weight": 3},
            {"id": "m3", "participants": ["e", "f"], "weight": 1},
        ],
    }
    first = _schedule(raw)
    assert first["unscheduled"] == ["m3"]
    out = resolve(raw, first, {"cancel": ["m1"]}, time_limit=1).to_json()
    assert out["added"] == ["m3"] and out["moved"] == [] and out["dropped"] == []
    slots = {a["meeting"]: a["slot"] for a in out["assignments"]}
    assert slots["m2"] == {a["meeting"]: a["slot"] for a in first["assignments"]}["m2"]


def test_resolve_no_show_and_new_unavailability() -> None:
    raw = event(seed=3)
    first = _schedule(raw)
    before = {a["meeting"]: a["slot"] for a in first["assignments"]}
    p_gone = "p7"
    victim = next(
        a
        for a in first["assignments"]
        if "p9" in next(m for m in raw["meetings"] if m["id"] == a["meeting"])["participants"]
    )
    changes = {"no_show": [p_gone], "unavailable": {"p9": [victim["slot"]]}}
    out = resolve(raw, first, changes, time_limit=1).to_json()
    from corridor.events.scheduling import apply_changes

    validate(apply_changes(raw, changes)[0], out)
    after = {a["meeting"]: a["slot"] for a in out["assignments"]}
    gone = {m["id"] for m in raw["meetings"] if p_gone in m["participants"]}
    assert not gone & set(after)
    assert sorted(out["dropped"]) == sorted(
        (gone & set(before)) | ({victim["meeting"]} - set(after))
    )
    # Meetings untouched by the changes stay where they were unless moved to place another.
    unchanged = [m for m in before if m in after and m not in gone and m != victim["meeting"]]
    stayed = sum(1 for m in unchanged if after[m] == before[m])
    assert stayed >= len(unchanged) - len(out["moved"])
    assert (
        victim["meeting"] in after
        and victim["meeting"] in out["moved"]
        or victim["meeting"] in out["dropped"]
    )


def test_check_move_refuses_with_reasons() -> None:
    raw = {
        "slots": ["S1", "S2", "S3"],
        "tables": {"S1": 1, "S2": 2, "S3": 2},
        "participants": [
            {"id": "a"},
            {"id": "b", "unavailable": ["S3"]},
            {"id": "c", "max_meetings": 1},
            {"id": "h", "table": 2},
        ],
        "meetings": [
            {"id": "m1", "participants": ["a", "b"], "locked_slot": "S1"},
            {"id": "m2", "participants": ["a", "c"]},
            {"id": "m3", "participants": ["b", "c"], "allowed_slots": ["S2"]},
            {"id": "m4", "participants": ["a", "h"]},
        ],
    }
    inst = parse_instance(raw)
    sched = {
        "assignments": [
            {"meeting": "m1", "slot": "S1", "table": 1},
            {"meeting": "m2", "slot": "S2", "table": 2},
        ]
    }
    assert 'meeting "m1" is locked in slot "S1"' in check_move(inst, sched, "m1", "S2")
    reasons = check_move(inst, sched, "m2", "S1")
    assert any('participant "a" already has meeting "m1"' in r for r in reasons)
    assert any("no free table" in r for r in reasons)
    reasons = check_move(inst, sched, "m3", "S3")
    assert any("not among the allowed slots" in r for r in reasons)
    assert any('participant "b" is unavailable in slot "S3"' in r for r in reasons)
    assert any("max_meetings 1" in r for r in check_move(inst, sched, "m3", "S2"))
    assert any(
        "must be at its host's table 2" in r for r in check_move(inst, sched, "m4", "S3", table=1)
    )
    assert any("table 2" in r and "taken" in r for r in check_move(inst, sched, "m4", "S2"))
    assert check_move(inst, sched, "m2", "S3") == []
    assert check_move(inst, sched, "m9", "S3") == ['unknown meeting "m9"']


def test_iterations_make_the_anytime_search_reproducible() -> None:
    raw = event(n_people=40, n_meetings=160, tables=12, seed=3)
    a = solve(parse_instance(raw), time_limit=30, seed=5, iterations=3).to_json()
    b = solve(parse_instance(raw), time_limit=30, seed=5, iterations=3).to_json()
    validate(raw, a)
    assert a["assignments"] == b["assignments"]
    assert a["stats"]["rounds"] <= 3
    assert a["stats"]["anneal_epochs"] <= 3  # --iterations bounds the annealing epochs too


def test_anytime_rounds_never_make_the_schedule_worse() -> None:
    raw = event(n_people=40, n_meetings=160, tables=12, seed=4)
    base = solve(parse_instance(raw), time_limit=30, seed=2, iterations=0).to_json()
    more = solve(parse_instance(raw), time_limit=30, seed=2, iterations=20).to_json()
    validate(raw, more)
    sb, sm = base["stats"], more["stats"]
    assert sm["participants_without_meeting"] <= sb["participants_without_meeting"]
    assert sm["weight"] >= sb["weight"]
    if sm["weight"] == sb["weight"]:
        assert sm["breaks"] <= sb["breaks"]


def test_stats_report_break_spread_and_people_without_meeting() -> None:
    raw = event(n_meetings=40, tables=10)
    stats = solve(parse_instance(raw), time_limit=2).to_json()["stats"]
    assert (
        stats["participants_without_meeting"] >= stats["participants_without_meeting_unavoidable"]
    )
    assert 0 <= stats["breaks_max"] <= stats["breaks"]
    assert stats["breaks_std"] >= 0


def test_slot_swap_and_kempe_moves_lower_breaks_without_losing_meetings() -> None:
    import random

    from corridor.events.scheduling.search import Search
    from corridor.events.scheduling.state import State

    raw = event(n_people=20, n_meetings=50, slots=8, tables=10, seed=6)
    pb = Problem(parse_instance(raw))
    state = State(pb)
    for m in range(pb.M):  # scatter the meetings: last free slot first, to make breaks
        for s in reversed(pb.feas_list[m]):
            if state.can_place(m, s):
                state.place(m, s)
                break
    scheduled, weight, breaks = state.n_scheduled, state.weight, state.breaks
    assert breaks == state.total_breaks()
    search = Search(state, random.Random(0), float("inf"))
    search.improve_breaks()
    assert state.breaks == state.total_breaks() < breaks
    assert (state.n_scheduled, state.weight) == (scheduled, weight)


def test_anytime_does_not_start_a_round_that_would_be_cut() -> None:
    import time

    from corridor.events.scheduling.solver import anytime
    from corridor.events.scheduling.state import State

    class SlowRounds:
        """Rounds of 0.35 s that always improve, with 0.6 s until the rounds' deadline."""

        def __init__(self, state: State) -> None:
            self.st = state
            self.cur_fair = 0.0
            self.deadline = time.perf_counter() + 0.6
            self.cut = 0

        def setup_anytime(self, seed: int, hint: Any) -> None:
            pass

        def out_of_time(self) -> bool:
            return time.perf_counter() > self.deadline

        def anytime_round(self, number: int, moves: int) -> bool | None:
            time.sleep(0.35)
            if self.out_of_time():
                self.cut += 1
                return None
            return True

    state = State(Problem(parse_instance(event(n_people=6, n_meetings=5))))
    search = SlowRounds(state)
    # With the break phase following (weight patience set), the second round would end after
    # the deadline and be undone: it is not started, its time goes to breaks.
    assert anytime(search, 1, None, None, 25, weight_patience=10) == 1
    assert search.cut == 0 and time.perf_counter() < search.deadline
