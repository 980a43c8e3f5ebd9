"""Simulated annealing on breaks, the meetings fixed: Kempe-chain moves between two slots."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from .state import State

CHUNK = 256  # moves between two looks at the clock


def restore(st: State, slot_of: list[int]) -> None:
    """Put every scheduled meeting back into the slot `slot_of` gives it (same meeting set)."""
    moved = [m for m, s in enumerate(slot_of) if s >= 0 and st.slot_of[m] != s]
    for m in moved:
        st.remove(m)
    for m in moved:
        st.place(m, slot_of[m])


def epoch_moves(st: State) -> int:
    """Moves per annealing epoch: about ten per movable meeting, within 4,000 and 60,000."""
    return min(60_000, max(4_000, 10 * st.n_scheduled))


def anneal(
    st: State,
    deadline: float,
    seed: int,
    epochs: int | None = None,
    target: int = 0,
    stop: Callable[[], bool] | None = None,
) -> tuple[int, int]:
    """Lower the breaks of `st` by annealing; returns (epochs completed, moves tried).

    Without `epochs`: one run whose temperature follows the clock down to the deadline (the
    result depends on the machine's speed, as any time-limited search). With `epochs` (under
    --iterations): that many runs of `epoch_moves` moves each, every one from the best schedule
    so far with its own seeded generator; one cut by the deadline is undone, so the result
    depends only on the input, the seed and the epochs completed. Stops early when the breaks
    reach `target` (a lower bound).
    """
    if epochs is None:
        if st.breaks <= target or time.perf_counter() >= deadline:
            return 0, 0
        return 1, anneal_epoch(st, deadline, seed * 1000003, None, target, stop=stop)
    done = moves = 0
    length = epoch_moves(st)
    while done < epochs and st.breaks > target:
        if time.perf_counter() >= deadline:
            break
        start = st.slot_of[:]
        tried = anneal_epoch(st, deadline, seed * 1000003 + done, length, target)
        moves += tried
        if tried < length and st.breaks > target:  # cut by the deadline: undo it
            restore(st, start)
            break
        done += 1
    return done, moves


def anneal_epoch(
    st: State,
    deadline: float,
    seed: int,
    length: int | None,
    target: int = 0,
    temp_start: float = 0.3,
    temp_end: float = 0.01,
    limit: int = 24,
    stop: Callable[[], bool] | None = None,
) -> int:
    """One annealing run of `length` moves on breaks (None: until the deadline, the temperature
    following the clock); returns the moves tried (fewer when the deadline or `target` came
    first). The best schedule seen is kept.

    A move takes a meeting of a participant with a break (or, one time in four, any meeting) to
    another allowed slot, preferably next to a busy slot of one of its participants, and swaps the
    clashing meetings of the two slots (Kempe chain); tables are counted. Which meetings are
    scheduled never changes, so weight and coverage stay. A move that adds d breaks is accepted
    with probability exp(-d / T), T falling geometrically from `temp_start` to `temp_end`.
    """
    pb = st.pb
    S = st.S
    rng = random.Random(seed)
    movable = [m for m in range(pb.M) if st.slot_of[m] >= 0 and pb.locked[m] < 0]
    if not movable or S < 2:
        return length or 0
    people, feas, feas_list, tables = pb.people, pb.feas, pb.feas_list, pb.tables
    busy, count, slot_of = st.busy, st.count, st.slot_of
    bom = pb.breaks_of_mask
    mine = [
        [m for m in pb.meetings_of[p] if st.slot_of[m] >= 0 and pb.locked[m] < 0]
        for p in range(pb.n_people)
    ]
    one_day = len(pb.day_masks) == 1
    n_people = pb.n_people
    rand = rng.random
    best = st.breaks
    best_slots = slot_of[:]
    saved = True  # best_slots holds a schedule with `best` breaks (copied only when leaving it)
    ratio = temp_end / temp_start
    temp = temp_start
    done = 0
    begin = time.perf_counter()
    span = max(1e-3, deadline - begin)
    while length is None or done < length:
        if done % CHUNK == 0:
            now = time.perf_counter()
            if now >= deadline or best <= target or (stop is not None and stop()):
                break
            frac = (now - begin) / span if length is None else done / length
            temp = temp_start * ratio ** min(1.0, frac)
        done += 1
        if rand() < 0.75:
            p = int(rand() * n_people)
            x = busy[p]
            if (x & ~(x << 1)).bit_count() < 2 if one_day else not bom(x):
                continue
            ms = mine[p]
            if not ms:
                continue
            m = ms[int(rand() * len(ms))]
        else:
            m = movable[int(rand() * len(movable))]
        a = slot_of[m]
        near = 0
        for p in people[m]:
            x = busy[p]
            near |= (x << 1) | (x >> 1)
        options = near & feas[m] & ~(1 << a)
        if options and rand() < 0.8:
            choices = [s for s in feas_list[m] if options >> s & 1]
        else:
            choices = [s for s in feas_list[m] if s != a]
        if not choices:
            continue
        b = choices[int(rand() * len(choices))]
        ch = st.kempe_chain(m, b, a, limit)
        if ch is None:
            continue
        to_a, to_b = ch  # blockers in b go to a; what clashes with them in a goes to b
        if count[a] - 1 - len(to_b) + len(to_a) > tables[a]:
            continue
        if count[b] + 1 - len(to_a) + len(to_b) > tables[b]:
            continue
        # Break change, computed before anything moves: every meeting of an involved
        # participant in a or b is in the chain (it is closed), so their a/b bits are rebuilt.
        both = ~((1 << a) | (1 << b))
        new: dict[int, int] = {}
        for x in (m, *to_b, *to_a):
            for p in people[x]:
                if p not in new:
                    new[p] = busy[p] & both
        for x in to_a:
            for p in people[x]:
                new[p] |= 1 << a
        for x in (m, *to_b):
            for p in people[x]:
                new[p] |= 1 << b
        delta = 0
        if one_day:  # both masks are non-empty: breaks = blocks - 1 on each side
            for p, v in new.items():
                o = busy[p]
                delta += (v & ~(v << 1)).bit_count() - (o & ~(o << 1)).bit_count()
        else:
            for p, v in new.items():
                delta += bom(v) - bom(busy[p])
        if delta > 0:
            if rand() >= math.exp(-delta / temp):
                continue
            if not saved and st.breaks == best:
                best_slots = slot_of[:]
                saved = True
        st.remove(m)
        st.apply_swap(to_a, to_b, b, a)
        st.place(m, b)
        if st.breaks < best:
            best = st.breaks
            saved = False
    if st.breaks > best:
        restore(st, best_slots)
    return done
