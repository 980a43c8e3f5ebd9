"""The scheduler's main entry: construct, repair fairness, improve weight, then breaks; bound it."""

from __future__ import annotations

import math
import random
import time
from typing import Any

from . import bound as bound_mod
from .greedy import construct, coverable
from .model import Assignment, Instance, Problem, Schedule
from .search import Search
from .state import State

DEFAULT_TIME_LIMIT = 10.0
PATIENCE = 25  # anytime rounds in a row without improvement before stopping early
ROUND_MOVES = 200  # randomised ejection chains per anytime round
WEIGHT_PATIENCE = 10  # rounds without a weight or fairness gain before the break phase
ROUNDS_SHARE = 0.2  # at most this share of the time left goes to the rounds (break phase on)


def assign_tables(
    problem: Problem, state: State, previous: dict[int, int] | None = None
) -> dict[int, int]:
    """Table numbers per slot: hosts get their fixed table, others fill the rest from 1.

    `previous` (meeting -> table) is kept when that table is still free, so a re-schedule does not
    send people to another table without need.
    """
    table_of: dict[int, int] = {}
    for s in range(problem.S):
        members = sorted(state.members[s])
        used: set[int] = set()
        for m in members:
            t = problem.fixed_table[m]
            if t:
                table_of[m] = t
                used.add(t)
        rest = [m for m in members if not problem.fixed_table[m]]
        if previous:
            for m in rest:
                t = previous.get(m, 0)
                if 1 <= t <= problem.tables[s] and t not in used:
                    table_of[m] = t
                    used.add(t)
        nxt = 1
        for m in rest:
            if m in table_of:
                continue
            while nxt in used:
                nxt += 1
            table_of[m] = nxt
            used.add(nxt)
    return table_of


def break_stats(problem: Problem, state: State) -> dict[str, float]:
    """Spread of breaks over the participants who have at least one meeting."""
    per = [problem.breaks_of_mask(state.busy[p]) for p in range(problem.n_people) if state.deg[p]]
    if not per:
        return {"breaks_max": 0, "breaks_mean": 0.0, "breaks_std": 0.0}
    mean = sum(per) / len(per)
    std = math.sqrt(sum((b - mean) ** 2 for b in per) / len(per))
    return {"breaks_max": max(per), "breaks_mean": round(mean, 3), "breaks_std": round(std, 3)}


def build_schedule(
    problem: Problem,
    state: State,
    upper_bound: float,
    started: float,
    previous_tables: dict[int, int] | None = None,
    extra_stats: dict[str, Any] | None = None,
) -> Schedule:
    table_of = assign_tables(problem, state, previous_tables)
    assignments = [
        Assignment(problem.ids[m], problem.slots[state.slot_of[m]], table_of[m])
        for m in sorted(range(problem.M), key=lambda m: (state.slot_of[m], table_of.get(m, 0), m))
        if state.slot_of[m] >= 0
    ]
    unscheduled = [problem.ids[m] for m in range(problem.M) if state.slot_of[m] < 0]
    weight = state.weight
    if problem.integral:
        weight = int(round(weight))
        upper_bound = int(upper_bound)
    upper_bound = max(upper_bound, weight)
    optimal = weight >= upper_bound - 1e-9
    cover = coverable(problem)
    requested = [False] * problem.n_people
    for m in range(problem.M):
        for p in problem.people[m]:
            requested[p] = True
    stats: dict[str, Any] = {
        "scheduled": state.n_scheduled,
        "weight": weight,
        "upper_bound": upper_bound,
        "breaks": state.total_breaks(),
        "seconds": 0.0,
        "status": "optimal" if optimal else "feasible",
        # Participants with an accepted request and no meeting; "unavoidable": none of their
        # requests can be held at all (availability, tables, max_meetings 0).
        "participants_without_meeting": sum(
            1 for p in range(problem.n_people) if requested[p] and not state.deg[p]
        ),
        "participants_without_meeting_unavoidable": sum(
            1 for p in range(problem.n_people) if requested[p] and not cover[p]
        ),
        **break_stats(problem, state),
    }
    if extra_stats:
        stats.update(extra_stats)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return Schedule(assignments, unscheduled, stats)


def output_margin(problem: Problem, time_limit: float) -> float:
    """Seconds kept for building and writing the output (about 10 us per meeting, measured)."""
    return min(0.1 + 1.5e-5 * problem.M, 0.3 * time_limit)


def solve(
    instance: Instance,
    time_limit: float = DEFAULT_TIME_LIMIT,
    seed: int = 0,
    started: float | None = None,
    iterations: int | None = None,
    patience: int = PATIENCE,
    max_break_spread: int | None = None,
    exact: bool = True,
) -> Schedule:
    """Schedule the meetings of `instance` within `time_limit` seconds (wall clock, whole call).

    After the construction and the local search, rounds of randomised improvement run until the
    deadline, until `patience` rounds in a row bring nothing, or after `iterations` rounds. Each
    round is deterministic (seeded by `seed` and its number); a round cut by the deadline is
    undone, so the result depends only on the input, the seed and the number of rounds completed.
    """
    started = time.perf_counter() if started is None else started
    problem = Problem(instance)
    from . import exact as exact_mod

    small = sum(len(fl) for fl in problem.feas_list) <= exact_mod.FULL_MODEL_MAX_VARS
    if exact and small:
        # OR-Tools takes ~0.5 s to import: inside the limit, before the phases share it out.
        # Large events import it only if the rounds stop early (their time goes to them first).
        exact_mod.load()
    deadline = started + time_limit - output_margin(problem, time_limit)
    rng = random.Random(seed)
    cover = coverable(problem)

    def left() -> float:
        return deadline - time.perf_counter()

    # The LP takes ~0.3 s at 5,000 participants (x2 when the fairness hint is needed); with less
    # time than ~4 LPs, use the cheap combinatorial bound and no hint.
    lp_cost = 1e-5 * problem.M
    hint = None
    if left() > 4 * lp_cost + 0.05:
        bound, hint = bound_mod.aggregated_lp(problem, max(0.05, left() / 3))
    else:
        bound = bound_mod.cheap_bound(problem)
    if hint is not None:
        # The LP ignores fairness; when its choice leaves someone out, steer by the LP that
        # gives everyone a meeting instead (when that LP is feasible).
        selected_cover = [False] * problem.n_people
        for m in range(problem.M):
            if hint[m] > 1e-6:
                for p in problem.people[m]:
                    selected_cover[p] = True
        if selected_cover != cover and left() > 3 * lp_cost:
            _, fair_hint = bound_mod.aggregated_lp(problem, max(0.05, left() / 3), cover)
            hint = fair_hint or hint
    phases: dict[str, float] = {"bound": time.perf_counter() - started}
    state = construct(problem, rng, hint, deadline=time.perf_counter() + 0.5 * left())
    search = Search(state, rng, deadline)
    search.round_breaks = not exact
    noise = [rng.random() for _ in range(problem.M)]
    h = hint or [0.0] * problem.M
    search.prepare(lambda m: (-round(h[m], 3), -problem.weight[m], noise[m]))
    search.repair_cover(cover)
    phases["construct"] = time.perf_counter() - started
    # When time is short, keep a quarter of it for the break pass.
    search.deadline = time.perf_counter() + 0.75 * left()
    search.improve_weight(bound, hint)
    search.deadline = deadline
    if state.weight < bound and not search.out_of_time():
        # Wider, slower neighbourhoods for the last points; still deterministic.
        # Half of the time left at most: the break pass needs the rest.
        search.deadline = time.perf_counter() + left() / 2
        search.eject_width, search.drop_width, search.chain_limit = 12, 16, 80
        search.improve_weight(bound, hint, rounds=2)
        search.eject_width, search.drop_width, search.chain_limit = 4, 6, 40
        search.deadline = deadline
    phases["weight"] = time.perf_counter() - started
    # A descent on breaks before the rounds, also when annealing follows (one pass then): the
    # rounds find weight from the schedule it leaves (1,000 participants: 5,963 after one
    # round, 5,962 after eight without it; measured).
    search.improve_breaks(rounds=1 if exact else 4)
    phases["breaks"] = time.perf_counter() - started
    rounds = 0
    if not search.out_of_time():
        # With the break phase, the rounds stop once weight and fairness have not moved for
        # WEIGHT_PATIENCE rounds (not under --iterations, which fixes their number): per second,
        # annealing lowers breaks far more than the rounds do (measured, docs/scheduler.md).
        wp = WEIGHT_PATIENCE if exact and iterations is None else None
        if wp is not None:
            # Rounds can take seconds each on a loaded machine at 1,000 participants and more,
            # and rarely add weight there: at most ROUNDS_SHARE of the time left.
            search.deadline = time.perf_counter() + ROUNDS_SHARE * left()
        rounds = anytime(search, seed, hint, iterations, patience, wp)
        search.deadline = deadline
    phases["anytime"] = time.perf_counter() - started
    spread = instance.max_break_spread if max_break_spread is None else max_break_spread
    extra: dict[str, Any] = {}
    if exact:
        extra = finish_breaks(state, deadline, seed, iterations, spread)
        phases["exact"] = time.perf_counter() - started
    extra.update(rounds=rounds, phases={k: round(v, 2) for k, v in phases.items()})
    return build_schedule(problem, state, bound, started, extra_stats=extra)


# Share of the time left after annealing that may go on waiting for the SAT certificate.
SAT_SHARE = 0.75
# CaDiCaL's conflict budget per round of --iterations (the 180-300-meeting forums need
# 2,600-8,700 conflicts).
SAT_CONFLICTS_PER_ITERATION = 5_000


def finish_breaks(
    state: State, deadline: float, seed: int, iterations: int | None, spread: int | None
) -> dict[str, Any]:
    """Spend the time left on breaks, the meetings fixed (weight and coverage cannot change).

    Simulated annealing on Kempe moves first (all sizes); at forum size the exact model then
    proves a lower bound (core-based search, warm-started from the annealed schedule) or, with
    `spread`, enforces the spread. Stops early only when the breaks reach the proven bound.
    """
    from . import anneal as anneal_mod
    from . import exact as exact_mod

    problem = state.pb
    scheduled = [m for m in range(problem.M) if state.slot_of[m] >= 0]
    n_vars = sum(len(problem.feas_list[m]) for m in scheduled)
    # Under --iterations every phase has a deterministic limit, growing with N.
    det = None if iterations is None else exact_mod.DET_TIME_PER_ITERATION * max(1, iterations)
    epochs = None if iterations is None else max(1, iterations)
    info: dict[str, Any] = {}
    at_least = exact_mod.person_bounds(state)
    lower = sum(at_least.values())
    spread_status = None
    requested = spread
    small = n_vars <= exact_mod.FULL_MODEL_MAX_VARS
    extras: tuple[int, ...] = (0, 1)
    job = None
    budget = None if iterations is None else SAT_CONFLICTS_PER_ITERATION * max(1, iterations)
    if small and spread is None and scheduled and state.breaks > lower:
        # Everyone at their own bound at once? A SAT solver (CaDiCaL, in a child process, while
        # annealing runs here) often finds such a schedule in seconds: it is then optimal; "no"
        # raises the bound by one. Under --iterations it gets a conflict budget (deterministic)
        # and is awaited before annealing, so that annealing's epochs do not depend on its timing.
        job = exact_mod.sat_start(state, at_least, budget)
    sat_extra = 0  # the question CaDiCaL works on: everyone at their bound, plus this in total

    def sat_answer(timeout: float) -> None:
        """Read CaDiCaL's answer when it comes within `timeout` s. After "no" to "everyone at
        their bound", ask "one break more in total" (CP-SAT's certificate is skipped meanwhile)."""
        nonlocal lower, extras, job, sat_extra
        end = time.perf_counter() + timeout
        while job is not None:
            status, slots = job.wait(end - time.perf_counter())
            if job.result is None:  # no answer yet
                return
            info.setdefault("breaks_sat", []).append(status)
            job = None
            if slots is not None:
                restore_if_better(state, slots)
            if status != "INFEASIBLE":  # a schedule at the bound, or the conflict budget ran out
                return
            lower = max(lower, sum(at_least.values()) + sat_extra + 1)
            extras = (1,) if sat_extra == 0 else ()
            if sat_extra == 0 and state.breaks > lower:
                sat_extra = 1
                job = exact_mod.sat_start(state, at_least, budget, extra=1)

    first = 1.0 if iterations is None else float("inf")
    sat_answer(min(first, SAT_SHARE * (deadline - time.perf_counter())))
    if small and spread is None and scheduled and state.breaks > lower and job is None:
        # Can everyone be at their own bound (then with at most one break more in total)?
        # CP-SAT often proves "no" in a fraction of a second, which raises the bound by one.
        # Skipped while CaDiCaL still works on the same question (it needs the CPU).
        for extra in extras:
            left = min(1.5, 0.1 * (deadline - time.perf_counter()))
            if left < 0.05:
                break
            status, slots = exact_mod.certify(state, extra, at_least, left, seed, det)
            info.setdefault("breaks_certify", []).append(status)
            if slots is not None:
                restore_if_better(state, slots)
                break
            if status != "INFEASIBLE":
                break
            lower = sum(at_least.values()) + extra + 1
            if state.breaks <= lower:
                break
    if scheduled and deadline - time.perf_counter() > 0.02 and state.breaks > lower:
        # Forum size: half of the time to annealing, the rest to the exact model.
        share = 0.5 if small else 1.0
        sa_deadline = time.perf_counter() + share * (deadline - time.perf_counter())
        info["anneal_epochs"], info["anneal_moves"] = anneal_mod.anneal(
            state,
            sa_deadline,
            seed,
            epochs,
            target=lower,
            stop=None if job is None else job.ready,  # the SAT answer came: look at it first
        )
        info["breaks_method"] = "anneal"
    if state.breaks > lower:
        sat_answer(SAT_SHARE * (deadline - time.perf_counter()))
    if small and scheduled and deadline - time.perf_counter() > 0.02:
        if state.breaks > lower or spread is not None:
            info["breaks_method"] = "exact"
            outs = []

            def whole() -> exact_mod.Outcome:
                left = max(0.02, deadline - time.perf_counter())
                out = exact_mod.reoptimise(
                    state,
                    scheduled,
                    left,
                    seed,
                    det,
                    spread,
                    symmetry=True,
                    core=spread is None,
                    at_least=at_least,
                )
                outs.append(out)
                return out

            out = whole()
            if out.status == "INFEASIBLE" and spread is not None:
                spread_status = "INFEASIBLE"
                spread = None
                if deadline - time.perf_counter() > 0.02:
                    out = whole()  # the fewest breaks without the limit
            elif spread is not None:
                spread_status = out.status
            for o in outs:
                if o.bound is not None and o.status != "INFEASIBLE":
                    lower = max(lower, o.bound)
            info["breaks_solver_status"] = out.status
    if job is not None:
        job.stop()
    per = [
        problem.breaks_of_mask(state.busy[p]) for p in range(problem.n_people) if state.deg[p] >= 2
    ]
    actual = max(per) - min(per) if per else 0
    lower = min(lower, state.breaks)
    info["breaks_lower_bound"] = lower
    info["breaks_optimal"] = lower >= state.breaks
    info["breaks_spread"] = actual
    if requested is not None:
        info["max_break_spread"] = requested
        info["max_break_spread_met"] = actual <= requested
        if actual > requested:
            # "infeasible": proven impossible with these meetings; "unknown": not found in time.
            info["max_break_spread_status"] = (
                "infeasible" if spread_status == "INFEASIBLE" else "unknown"
            )
    return info


def restore_if_better(state: State, slots: list[int]) -> None:
    """Move the scheduled meetings to `slots` (same meeting set) when that has fewer breaks."""
    from .anneal import restore

    before = state.slot_of[:]
    breaks = state.breaks
    restore(state, slots)
    if state.breaks > breaks:
        restore(state, before)


def anytime(
    search: Search,
    seed: int,
    hint: list[float] | None,
    iterations: int | None,
    patience: int,
    weight_patience: int | None = None,
) -> int:
    """Improvement rounds until the deadline; returns the number of rounds completed."""
    state = search.st
    search.setup_anytime(seed, hint)
    best = State(state.pb)
    best.copy_from(state)
    waiting = sum(1 for m in range(state.pb.M) if state.pb.feas[m] and state.slot_of[m] < 0)
    moves = max(10, min(ROUND_MOVES, waiting))
    rounds = stall = weight_stall = 0
    last = 0.0  # seconds the previous round took
    while stall < patience and (iterations is None or rounds < iterations):
        if search.out_of_time():
            break
        if weight_patience is not None and weight_stall >= weight_patience:
            break  # weight has stalled: the exact break phase gets the time left
        if weight_patience is not None and search.deadline - time.perf_counter() < last:
            # A round that would be cut is undone: its time is better spent on breaks
            # (up to ~0.8 s of 10 at 1,000 participants on a loaded machine).
            break
        began = time.perf_counter()
        before = (state.covered, round(state.weight, 6), search.cur_fair)
        improved = search.anytime_round(rounds, moves)
        last = time.perf_counter() - began
        if improved is None:  # cut by the deadline: undo the partial round
            state.copy_from(best)
            break
        rounds += 1
        best.copy_from(state)
        stall = 0 if improved else stall + 1
        gained = (state.covered, round(state.weight, 6), search.cur_fair) > before
        weight_stall = 0 if gained else weight_stall + 1
    return rounds
