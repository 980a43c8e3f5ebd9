"""Constructive schedules: the first-fit baseline and the scarcity-ordered, fairness-first greedy."""

from __future__ import annotations

import random
import time

from .model import Problem
from .state import State


def place_locked(state: State) -> None:
    pb = state.pb
    for m in range(pb.M):
        if pb.locked[m] >= 0:
            state.place(m, pb.locked[m])  # the parser has checked that locks fit together


def first_fit(problem: Problem) -> State:
    """The baseline: meetings by weight (heaviest first, input order within), first slot that fits."""
    state = State(problem)
    place_locked(state)
    order = sorted(range(problem.M), key=lambda m: -problem.weight[m])
    for m in order:
        if state.slot_of[m] >= 0:
            continue
        for s in problem.feas_list[m]:
            if state.can_place(m, s):
                state.place(m, s)
                break
    return state


def break_delta(state: State, m: int, s: int) -> int:
    """Change in the total breaks if m were added in slot s (m not scheduled)."""
    delta = 0
    busy = state.busy
    day = state.pb.day_mask_of_slot[s]
    for p in state.pb.people[m]:
        x = busy[p] & day
        if not x:
            continue
        nxt = x >> (s + 1) & 1
        prv = x >> (s - 1) & 1 if s > 0 else 0
        before = x & ((1 << s) - 1)
        after = x >> (s + 1)
        if before and after:
            # s lies in an idle stretch: filling it closes it, touching one side keeps it,
            # touching neither splits it in two.
            delta += 1 - prv - nxt
        elif before:
            delta += 1 - prv
        else:
            delta += 1 - nxt
    return delta


def best_slot(state: State, m: int) -> int:
    """The free slot for m that adds the fewest breaks (earliest on ties), or -1."""
    best, best_key = -1, None
    for s in state.pb.feas_list[m]:
        if state.can_place(m, s):
            key = break_delta(state, m, s)
            if best_key is None or key < best_key:
                best, best_key = s, key
    return best


def scarcity(problem: Problem) -> list[float]:
    """How hard each participant is to serve: requests per usable slot (higher = scarcer)."""
    demand = [0] * problem.n_people
    for m in range(problem.M):
        if problem.feas[m]:
            for p in problem.people[m]:
                demand[p] += 1
    out = []
    for p in range(problem.n_people):
        room = min(problem.cap[p], problem.avail[p].bit_count())
        out.append(demand[p] / room if room else 0.0)
    return out


def coverable(problem: Problem) -> list[bool]:
    """Participants who have at least one meeting that could be held on its own."""
    out = [False] * problem.n_people
    for m in range(problem.M):
        if problem.feas[m]:
            for p in problem.people[m]:
                out[p] = True
    return out


def construct(
    problem: Problem,
    rng: random.Random,
    hint: list[float] | None = None,
    deadline: float = float("inf"),
) -> State:
    """Fairness first (one meeting for everyone who can have one), then heaviest and scarcest first.

    With `hint` (an LP solution, one value per meeting) the meetings the LP selects go first,
    those confined to the fewest slots first: the LP has already chosen which requests of a
    popular participant to serve, and the narrow ones are the hardest to seat later.
    """
    state = State(problem)
    hint = hint or [0.0] * problem.M
    place_locked(state)
    scar = scarcity(problem)
    noise = [rng.random() for _ in range(problem.M)]

    def place_all(ms: list[int]) -> None:
        hurry = False
        for i, m in enumerate(ms):
            if state.slot_of[m] < 0:
                if not hurry and not i & 255:
                    hurry = time.perf_counter() > deadline
                if hurry:  # out of time: first fit, without looking at breaks
                    for s in problem.feas_list[m]:
                        if state.can_place(m, s):
                            state.place(m, s)
                            break
                    continue
                s = best_slot(state, m)
                if s >= 0:
                    state.place(m, s)

    selected = sorted(
        (m for m in range(problem.M) if problem.feas[m] and hint[m] > 0.5),
        key=lambda m: (
            -round(hint[m], 3),
            problem.feas[m].bit_count(),
            -problem.weight[m],
            noise[m],
        ),
    )
    place_all(selected)
    # Cover pass: participants with the fewest options choose first.
    options = [0] * problem.n_people
    for m in range(problem.M):
        if problem.feas[m]:
            for p in problem.people[m]:
                options[p] += 1
    people_order = sorted(
        (p for p in range(problem.n_people) if options[p]), key=lambda p: (options[p], p)
    )
    for p in people_order:
        if state.deg[p]:
            continue
        cands = [m for m in problem.meetings_of[p] if problem.feas[m] and state.slot_of[m] < 0]
        # Prefer meetings that cover other uncovered people too, then heavier, then with slack.
        cands.sort(
            key=lambda m: (
                -sum(1 for q in problem.people[m] if state.deg[q] == 0),
                -round(hint[m], 3),
                -problem.weight[m],
                max(scar[q] for q in problem.people[m]),
                noise[m],
            )
        )
        for m in cands:
            s = best_slot(state, m)
            if s >= 0:
                state.place(m, s)
                break
    rest = sorted(
        (m for m in range(problem.M) if problem.feas[m] and state.slot_of[m] < 0),
        key=lambda m: (
            -round(hint[m], 3),
            -problem.weight[m],
            -max(scar[q] for q in problem.people[m]),
            problem.feas[m].bit_count(),
            noise[m],
        ),
    )
    place_all(rest)
    return state
