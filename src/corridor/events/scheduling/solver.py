"""The scheduler's main entry: construct, repair fairness, improve weight, then breaks; bound it."""

from __future__ import annotations

import random
import time

from . import bound as bound_mod
from .greedy import construct, coverable
from .model import Assignment, Instance, Problem, Schedule
from .search import Search
from .state import State

DEFAULT_TIME_LIMIT = 10.0


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


def build_schedule(
    problem: Problem,
    state: State,
    upper_bound: float,
    started: float,
    previous_tables: dict[int, int] | None = None,
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
        weight = int(weight)
        upper_bound = int(upper_bound)
    upper_bound = max(upper_bound, weight)
    optimal = weight >= upper_bound - 1e-9
    return Schedule(
        assignments,
        unscheduled,
        {
            "scheduled": state.n_scheduled,
            "weight": weight,
            "upper_bound": upper_bound,
            "breaks": state.total_breaks(),
            "seconds": round(time.perf_counter() - started, 3),
            "status": "optimal" if optimal else "feasible",
        },
    )


def solve(
    instance: Instance,
    time_limit: float = DEFAULT_TIME_LIMIT,
    seed: int = 0,
    started: float | None = None,
) -> Schedule:
    """Schedule the meetings of `instance` within `time_limit` seconds (wall clock, whole call)."""
    started = time.perf_counter() if started is None else started
    # Keep a margin for writing the output; small limits still get a minimal search.
    deadline = started + max(0.05, time_limit * 0.92 - 0.15)
    problem = Problem(instance)
    rng = random.Random(seed)
    bound, hint = bound_mod.aggregated_lp(problem, max(0.05, deadline - time.perf_counter()))
    cover = coverable(problem)
    if hint is not None:
        # The LP ignores fairness; when its choice leaves someone out, steer by the LP that
        # gives everyone a meeting instead (when that LP is feasible).
        selected_cover = [False] * problem.n_people
        for m in range(problem.M):
            if hint[m] > 1e-6:
                for p in problem.people[m]:
                    selected_cover[p] = True
        if selected_cover != cover:
            _, fair_hint = bound_mod.aggregated_lp(
                problem, max(0.05, (deadline - time.perf_counter()) / 2), cover
            )
            hint = fair_hint or hint
    state = construct(problem, rng, hint)
    search = Search(state, rng, deadline)
    noise = [rng.random() for _ in range(problem.M)]
    h = hint or [0.0] * problem.M
    search.prepare(lambda m: (-round(h[m], 3), -problem.weight[m], noise[m]))
    search.repair_cover(cover)
    search.improve_weight(bound, hint)
    if state.weight < bound and not search.out_of_time():
        # Wider, slower neighbourhoods for the last points; still deterministic.
        # Half of the time left at most: the break pass needs the rest.
        search.deadline = time.perf_counter() + (deadline - time.perf_counter()) / 2
        search.eject_width, search.drop_width, search.chain_limit = 12, 16, 80
        search.improve_weight(bound, hint, rounds=2)
        search.deadline = deadline
    search.improve_breaks()
    return build_schedule(problem, state, bound, started)
