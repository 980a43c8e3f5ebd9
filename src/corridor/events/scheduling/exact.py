"""Exact break minimisation with OR-Tools CP-SAT (whole event or a part), and break lower bounds.

The meetings stay the same (weight, covered participants and everyone's share are untouched);
only their slots change. Tables are counted per slot, not assigned (their numbers are symmetric
and are given afterwards), so the model has one Boolean per meeting and allowed slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .state import State


def _import_cp_model():  # noqa: ANN202 - returns the module
    """Import CP-SAT without pandas when pandas is not loaded yet.

    cp_model imports pandas at module level only for its DataFrame helpers, which the engine
    never calls; pandas costs ~0.7 s of a 1 s time limit at start-up. A placeholder stands in
    during the import and is removed at once, so a later `import pandas` gets the real one.
    """
    import sys
    import types

    if "pandas" in sys.modules:
        from ortools.sat.python import cp_model as module

        return module
    placeholder = types.ModuleType("pandas")
    placeholder.__getattr__ = lambda name: type(name, (), {})  # type: ignore[method-assign]
    sys.modules["pandas"] = placeholder
    try:
        from ortools.sat.python import cp_model as module
    finally:
        if sys.modules.get("pandas") is placeholder:
            del sys.modules["pandas"]
    return module


_CP_MODEL = None


def load() -> None:
    """Import CP-SAT now (~0.5 s), so that the time is counted where the caller wants."""
    global _CP_MODEL
    if _CP_MODEL is None:
        _CP_MODEL = _import_cp_model()


# Full model up to this many (meeting, slot) variables; larger events use annealing only.
FULL_MODEL_MAX_VARS = 12_000
# Deterministic time for the full model per round of --iterations.
DET_TIME_PER_ITERATION = 0.02


@dataclass
class Outcome:
    improved: bool = False
    optimal: bool = False
    bound: int | None = None  # lower bound on the breaks of the participants in the model
    status: str = "unknown"
    extra: dict[str, object] = field(default_factory=dict)


def _solver(time_limit: float, det_limit: float | None, seed: int, core: bool = False):  # noqa: ANN202
    load()
    solver = _CP_MODEL.CpSolver()
    params = solver.parameters
    params.num_workers = 1  # determinism: one worker, seeded
    params.random_seed = seed % (2**31)
    params.max_time_in_seconds = max(0.01, time_limit)
    if det_limit is not None:
        params.max_deterministic_time = det_limit
    params.log_search_progress = False
    if core:
        # Core-based search (as MaxSAT solvers do): it raises the lower bound.
        params.optimize_with_core = True
    return solver


def day_symmetries(st: State, free: list[int]) -> tuple[list[int], list[tuple[int, int]]]:
    """Days that read the same backwards, and pairs of interchangeable neighbouring days.

    A day is mirror-symmetric when every meeting may use slot i exactly when it may use its
    mirror image and table counts match; two days are interchangeable when each meeting's allowed
    slots and the table counts are the same, slot by slot. Breaks are counted per day, so
    mirroring a day or swapping two such days keeps every participant's breaks.
    """
    pb = st.pb
    feas = [pb.feas[m] for m in free]
    days = [[s for s in range(pb.S) if pb.day_masks[d] >> s & 1] for d in range(len(pb.day_masks))]
    mirror = []
    for d, slots in enumerate(days):
        rev = slots[::-1]
        if len(slots) > 1 and all(
            pb.tables[a] == pb.tables[b] and all((f >> a & 1) == (f >> b & 1) for f in feas)
            for a, b in zip(slots, rev, strict=True)
        ):
            mirror.append(d)
    pairs = []
    for d in range(len(days) - 1):
        a_slots, b_slots = days[d], days[d + 1]
        if len(a_slots) == len(b_slots) and all(
            pb.tables[a] == pb.tables[b] and all((f >> a & 1) == (f >> b & 1) for f in feas)
            for a, b in zip(a_slots, b_slots, strict=True)
        ):
            pairs.append((d, d + 1))
    return mirror, pairs


def reoptimise(
    st: State,
    free: list[int],
    time_limit: float,
    seed: int = 0,
    det_limit: float | None = None,
    spread: int | None = None,
    symmetry: bool = False,
    core: bool = False,
    light: bool = False,
    at_least: dict[int, int] | None = None,
) -> Outcome:
    """Re-place the meetings `free` (scheduled in `st`) with the fewest breaks; the rest stays.

    The state is changed only when the breaks drop (or, with `spread`, when the spread limit
    becomes met). Returns the lower bound on the breaks of the participants involved.
    """
    pb = st.pb
    S = st.S
    free = sorted(m for m in free if st.slot_of[m] >= 0)
    if not free:
        return Outcome(optimal=True, bound=0, status="empty")
    free_set = set(free)
    # What stays: busy slots per node and meetings per slot, without the freed meetings.
    busy_fixed: dict[int, int] = {}
    count_fixed = st.count[:]
    for m in free:
        s = st.slot_of[m]
        count_fixed[s] -= 1
        for n in pb.nodes[m]:
            busy_fixed.setdefault(n, st.busy[n])
            busy_fixed[n] &= ~(1 << s)
    people = sorted({p for m in free for p in pb.people[m]})
    load()
    cp_model = _CP_MODEL
    model = cp_model.CpModel()
    x: dict[tuple[int, int], object] = {}
    by_node_slot: dict[tuple[int, int], list] = {}
    by_slot: list[list] = [[] for _ in range(S)]
    for m in free:
        blocked = 0
        for n in pb.nodes[m]:
            blocked |= busy_fixed[n]
        dom = [s for s in pb.feas_list[m] if not blocked >> s & 1 and count_fixed[s] < pb.tables[s]]
        if st.slot_of[m] not in dom:  # cannot happen: the current slot is always allowed
            dom.append(st.slot_of[m])
        vs = []
        for s in dom:
            v = model.new_bool_var(f"x{m}_{s}")
            x[m, s] = v
            vs.append(v)
            by_slot[s].append(v)
            for n in pb.nodes[m]:
                by_node_slot.setdefault((n, s), []).append(v)
        model.add_exactly_one(vs)
    for vs in by_node_slot.values():
        if len(vs) > 1:
            model.add_at_most_one(vs)
    for s in range(S):
        room = pb.tables[s] - count_fixed[s]
        if len(by_slot[s]) > room:
            model.add(sum(by_slot[s]) <= room)
    # Breaks of each participant involved, per day: a sum of Booleans (a MaxSAT-like form).
    mine: dict[int, list[int]] = {p: [] for p in people}
    for m in free:
        for p in pb.people[m]:
            mine[p].append(m)
    objective = []
    const = 0
    per_person: dict[int, list] = {}
    for p in people:
        fixed = busy_fixed.get(p, 0)
        terms: list = []
        pconst = 0
        for dmask in pb.day_masks:
            day_slots = [s for s in range(S) if dmask >> s & 1]
            ys: list = []
            for s in day_slots:
                if fixed >> s & 1:
                    ys.append(1)
                else:
                    vs = [x[m, s] for m in mine[p] if (m, s) in x]
                    ys.append(sum(vs) if vs else 0)
            day_terms, day_const = _day_breaks(model, ys, f"{p}_{day_slots[0]}", spread is not None)
            terms.extend(day_terms)
            pconst += day_const
        if (
            at_least
            and at_least.get(p, 0) > 0
            and set(pb.meetings_of[p]) & free_set
            == set(m for m in pb.meetings_of[p] if st.slot_of[m] >= 0)
        ):
            model.add(sum(terms) + pconst >= at_least[p])  # redundant: a stronger LP bound
        const += pconst
        objective.extend(terms)
        per_person[p] = [pconst, terms]
    if symmetry:
        mirror, pairs = day_symmetries(st, free)
        slot_count = [sum(by_slot[s]) for s in range(S)]
        for d in mirror:
            slots = [s for s in range(S) if pb.day_masks[d] >> s & 1]
            model.add(slot_count[slots[0]] >= slot_count[slots[-1]])
        for d, e in pairs:
            a = sum(slot_count[s] for s in range(S) if pb.day_masks[d] >> s & 1)
            b = sum(slot_count[s] for s in range(S) if pb.day_masks[e] >> s & 1)
            model.add(a >= b)
    if spread is not None:
        # Participants with two meetings or more (the set is fixed): max - min breaks <= spread.
        lo = model.new_int_var(0, S, "bmin")
        hi = model.new_int_var(0, S, "bmax")
        outside = [
            pb.breaks_of_mask(st.busy[p])
            for p in range(pb.n_people)
            if st.deg[p] >= 2 and p not in per_person
        ]
        if outside:
            model.add(lo <= min(outside))
            model.add(hi >= max(outside))
        for p, (pconst, terms) in per_person.items():
            if st.deg[p] >= 2:
                b = sum(terms) + pconst
                model.add(lo <= b)
                model.add(hi >= b)
        model.add(hi - lo <= spread)
    model.minimize(sum(objective) + const)
    # Warm start from the current schedule, made to satisfy the symmetry constraints.
    hint_slot = {m: st.slot_of[m] for m in free}
    if symmetry:
        hint_slot = _canonical(st, free, hint_slot)
    for (m, s), v in x.items():
        model.add_hint(v, 1 if hint_slot[m] == s else 0)
    before = sum(pb.breaks_of_mask(st.busy[p]) for p in people)
    solver = _solver(time_limit, det_limit, seed, core)
    if light:
        # Small neighbourhoods: search without the LP, no symmetry detection.
        solver.parameters.linearization_level = 0
        solver.parameters.symmetry_level = 0
    status = solver.solve(model)
    out = Outcome(status=solver.status_name(status))
    if status == cp_model.INFEASIBLE:
        return out
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # No solution found in time; the proven bound still holds (core-based search).
        out.bound = max(0, int(-(-solver.best_objective_bound // 1)))
        return out
    value = round(solver.objective_value)
    out.bound = max(0, int(-(-solver.best_objective_bound // 1)))  # ceil of the proven bound
    out.optimal = status == cp_model.OPTIMAL
    take = value < before
    if spread is not None and not take:
        per = [pb.breaks_of_mask(st.busy[p]) for p in range(pb.n_people) if st.deg[p] >= 2]
        take = value <= before or (bool(per) and max(per) - min(per) > spread)
    if take:
        new_slot = {}
        for m in free:
            for s in range(S):
                v = x.get((m, s))
                if v is not None and solver.boolean_value(v):
                    new_slot[m] = s
        changed = [m for m in free if new_slot[m] != st.slot_of[m]]
        for m in changed:
            st.remove(m)
        for m in changed:
            st.place(m, new_slot[m])
        out.improved = value < before
    out.extra = {"before": before, "after": value, "changed": len(free_set)}
    return out


def _day_breaks(model, ys: list, name: str, exact: bool) -> tuple[list, int]:  # noqa: ANN001
    """Break Booleans of one participant on one day, from the busy terms `ys` (0, 1 or a sum of
    Booleans per slot): a break starts at slot i when busy at i-1, idle at i and busy later.
    `later` and the break Booleans are only bounded below (the objective keeps them small) unless
    `exact`. Returns (Booleans, constant breaks)."""
    n = len(ys)
    const = 0
    terms = []
    later: list = [0] * n  # busy after the i-th slot (an OR)
    for i in range(n - 2, -1, -1):
        nxt, rest = ys[i + 1], later[i + 1]
        if (isinstance(nxt, int) and nxt) or (isinstance(rest, int) and rest):
            later[i] = 1
        elif isinstance(nxt, int) and isinstance(rest, int):
            later[i] = 0
        else:
            v = model.new_bool_var(f"l{name}_{i}")
            model.add(v >= nxt)
            model.add(v >= rest)
            if exact:
                model.add(v <= nxt + rest)
            later[i] = v
    for i in range(1, n):
        before, here, after = ys[i - 1], ys[i], later[i]
        if (
            (isinstance(before, int) and not before)
            or (isinstance(here, int) and here)
            or (isinstance(after, int) and not after)
        ):
            continue
        if all(isinstance(v, int) for v in (before, here, after)):
            const += 1
            continue
        g = model.new_bool_var(f"g{name}_{i}")
        model.add(g >= before - here + after - 1)
        if exact:
            model.add(g <= before)
            model.add(g <= 1 - here)
            model.add(g <= after)
        terms.append(g)
    return terms, const


def _canonical(st: State, free: list[int], slot: dict[int, int]) -> dict[int, int]:
    """The current schedule mirrored / with days swapped so it meets the symmetry constraints."""
    pb = st.pb
    S = st.S
    mirror, pairs = day_symmetries(st, free)
    slot = dict(slot)

    def counts() -> list[int]:
        c = [0] * S
        for s in slot.values():
            c[s] += 1
        return c

    days = [[s for s in range(S) if pb.day_masks[d] >> s & 1] for d in range(len(pb.day_masks))]
    # Order interchangeable neighbouring days by their number of meetings (bubble sort).
    for _ in range(len(pairs)):
        for d, e in pairs:
            c = counts()
            if sum(c[s] for s in days[d]) < sum(c[s] for s in days[e]):
                swap = dict(zip(days[d], days[e], strict=True))
                swap.update(zip(days[e], days[d], strict=True))
                slot = {m: swap.get(s, s) for m, s in slot.items()}
    for d in mirror:
        c = counts()
        if c[days[d][0]] < c[days[d][-1]]:
            flip = dict(zip(days[d], days[d][::-1], strict=True))
            slot = {m: flip.get(s, s) for m, s in slot.items()}
    return slot


def per_person_bound(st: State) -> int:
    """A lower bound on the breaks of the scheduled meetings: the sum of `person_bounds`."""
    return sum(person_bounds(st).values())


def person_bounds(st: State) -> dict[int, int]:
    """Per participant (those with a positive bound), fewest breaks their meetings allow alone.

    With k meetings and the slots where those meetings could be (per day, runs of consecutive
    usable slots), the longest run of each day comes free; every further run costs one break.
    On a one-day event, meetings that fit no window of consecutive slots (a matching per window)
    cost at least one break.
    """
    pb = st.pb
    S = st.S
    out: dict[int, int] = {}
    for p in range(pb.n_people):
        k = st.deg[p]
        if k < 2:
            continue
        usable = 0
        for m in pb.meetings_of[p]:
            if st.slot_of[m] >= 0:
                usable |= pb.feas[m]
        first, extra = [], []
        for dmask in pb.day_masks:
            runs, run = [], 0
            for s in range(S):
                if not dmask >> s & 1:
                    continue
                if usable >> s & 1:
                    run += 1
                else:
                    if run:
                        runs.append(run)
                    run = 0
            if run:
                runs.append(run)
            runs.sort(reverse=True)
            if runs:
                first.append(runs[0])
                extra.extend(runs[1:])
        first.sort(reverse=True)
        extra.sort(reverse=True)
        have = sum(first)
        cost = 0
        for r in extra:
            if have >= k:
                break
            have += r
            cost += 1
        if cost == 0 and len(pb.day_masks) == 1 and not contiguous_possible(st, p):
            cost = 1
        if cost:
            out[p] = cost
    return out


def contiguous_possible(st: State, p: int) -> bool:
    """Whether p's scheduled meetings fit some window of consecutive slots, one per slot, each
    in a slot it may take (a bipartite matching per window; partners' other meetings ignored)."""
    pb = st.pb
    ms = [m for m in pb.meetings_of[p] if st.slot_of[m] >= 0]
    k = len(ms)
    feas = [pb.feas[m] for m in ms]
    return any(_fits(feas, range(a, a + k)) for a in range(pb.S - k + 1))


def _fits(feas: list[int], window: range) -> bool:
    """A perfect matching of the meetings (allowed-slot masks) into the window's slots."""
    match: dict[int, int] = {}  # slot -> meeting

    def augment(i: int, seen: set[int]) -> bool:
        for s in window:
            if feas[i] >> s & 1 and s not in seen:
                seen.add(s)
                if s not in match or augment(match[s], seen):
                    match[s] = i
                    return True
        return False

    return all(augment(i, set()) for i in range(len(feas)))


def certify(
    st: State,
    extra: int,
    at_least: dict[int, int],
    time_limit: float,
    seed: int = 0,
    det_limit: float | None = None,
) -> tuple[str, list[int] | None]:
    """Is there a schedule of the same meetings where participants' breaks exceed their
    per-participant bounds `at_least` by `extra` in total at most? A feasibility model with
    block starts (start[p, s] >= busy[p, s] - busy[p, s - 1]) and hard per-participant caps:
    CP-SAT proves "INFEASIBLE" in a fraction of a second where the optimisation model's bound
    stays low (then every schedule has at least sum(at_least) + extra + 1 breaks), or finds a
    schedule meeting the caps (returned as slot per meeting). Returns (status, slots or None).
    """
    pb = st.pb
    S = st.S
    load()
    cp_model = _CP_MODEL
    model = cp_model.CpModel()
    x: dict[tuple[int, int], object] = {}
    by_slot: list[list] = [[] for _ in range(S)]
    by_node_slot: dict[tuple[int, int], list] = {}
    scheduled = [m for m in range(pb.M) if st.slot_of[m] >= 0]
    for m in scheduled:
        vs = []
        for s in pb.feas_list[m]:
            v = model.new_bool_var(f"x{m}_{s}")
            x[m, s] = v
            vs.append(v)
            by_slot[s].append(v)
            for n in pb.nodes[m]:
                by_node_slot.setdefault((n, s), []).append(v)
        model.add_exactly_one(vs)
    for vs in by_node_slot.values():
        if len(vs) > 1:
            model.add_at_most_one(vs)
    for s in range(S):
        if len(by_slot[s]) > pb.tables[s]:
            model.add(sum(by_slot[s]) <= pb.tables[s])
    extras = []
    for p in range(pb.n_people):
        if st.deg[p] < 2:
            continue
        starts: list = []
        days_busy: list = []
        for dmask in pb.day_masks:
            prev = None
            day_y = []
            for s in range(S):
                if not dmask >> s & 1:
                    continue
                vs = by_node_slot.get((p, s), [])
                y = sum(vs) if vs else 0
                if vs:
                    b = model.new_bool_var(f"b{p}_{s}")
                    model.add(b >= y - prev) if prev is not None else model.add(b >= y)
                    starts.append(b)
                    day_y.append(y)
                prev = y
            if day_y:
                d = model.new_bool_var(f"d{p}_{dmask}")
                model.add(d <= sum(day_y))
                days_busy.append(d)
        cap = at_least.get(p, 0)
        if extra:
            e = model.new_int_var(0, extra, f"e{p}")
            extras.append(e)
            model.add(sum(starts) - sum(days_busy) <= cap + e)
        else:
            model.add(sum(starts) - sum(days_busy) <= cap)
    if extras:
        model.add(sum(extras) <= extra)
    solver = _solver(time_limit, det_limit, seed)
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        slots = [-1] * pb.M
        for (m, s), v in x.items():
            if solver.boolean_value(v):
                slots[m] = s
        return "FEASIBLE", slots
    return solver.status_name(status), None


def sat_start(
    st: State, at_least: dict[int, int], conflicts: int | None = None, extra: int = 0
) -> SatJob | None:
    """`sat_certify` started in a child process (None without python-sat); `.wait(t)` for it.
    With `conflicts`, CaDiCaL stops after that many conflicts ("UNKNOWN"): a deterministic limit,
    so the answer depends only on the clauses and the budget (used under --iterations)."""
    built = _sat_clauses(st, at_least, extra)
    return None if built is None else SatJob(st.pb, *built, conflicts=conflicts)


def sat_certify(
    st: State,
    at_least: dict[int, int],
    time_limit: float,
    extra: int = 0,
) -> tuple[str, list[int] | None]:
    """Can every participant be at their own bound `at_least` at once? A SAT model (CaDiCaL,
    python-sat) of the same meetings: x[m, s] (exactly one slot each), at most one meeting per
    participant (and fixed table) per slot, tables per slot, busy[p, s] <-> some x, a break
    Boolean g[p, s] forced by busy[p, s-1], idle at s and busy later the same day; per participant
    at most `at_least[p]` of them. On the small forums CaDiCaL finds such a schedule in seconds
    where CP-SAT and annealing did not: then it is optimal (the per-participant bounds sum to a
    lower bound). Returns ("FEASIBLE", slot per meeting), ("INFEASIBLE", None): every schedule
    has at least sum(at_least) + 1 breaks, or ("UNKNOWN", None) when stopped by `time_limit`
    (wall clock), or when python-sat is missing. With `extra` = 1 the question is "one break more
    in total" (one participant may exceed their bound by one); "INFEASIBLE" then means at least
    sum(at_least) + 2 breaks.
    """
    job = sat_start(st, at_least, extra=extra)
    if job is None:  # pragma: no cover - python-sat is a dependency
        return "UNKNOWN", None
    try:
        return job.wait(time_limit)
    finally:
        job.stop()


def _sat_clauses(st: State, at_least: dict[int, int], extra: int = 0):  # noqa: ANN202
    """(scheduled meetings, clauses, variable pool) of `sat_certify`, or None without python-sat.
    With `extra` = 1, one participant may have one break more than their bound (the question
    asked when every participant at their bound at once is unsatisfiable)."""
    try:
        from pysat.card import CardEnc, EncType
        from pysat.formula import IDPool
    except ImportError:  # pragma: no cover - python-sat is a dependency
        return None

    pb = st.pb
    S = st.S
    pool = IDPool()
    clauses: list[list[int]] = []

    def atmost(lits: list[int], k: int) -> None:
        if len(lits) <= k:
            return
        enc = EncType.pairwise if k == 1 and len(lits) <= 6 else EncType.seqcounter
        clauses.extend(CardEnc.atmost(lits, k, vpool=pool, encoding=enc).clauses)

    scheduled = [m for m in range(pb.M) if st.slot_of[m] >= 0]
    by_node_slot: dict[tuple[int, int], list[int]] = {}
    by_slot: list[list[int]] = [[] for _ in range(S)]
    for m in scheduled:
        lits = [pool.id(("x", m, s)) for s in pb.feas_list[m]]
        clauses.append(lits)
        atmost(lits, 1)
        for s, v in zip(pb.feas_list[m], lits, strict=True):
            by_slot[s].append(v)
            for n in pb.nodes[m]:
                by_node_slot.setdefault((n, s), []).append(v)
    for vs in by_node_slot.values():
        atmost(vs, 1)
    smallest = min((len(pb.nodes[m]) for m in scheduled), default=1)
    for s in range(S):
        # Skipped when the meetings that may use s cannot exceed the tables anyway: each holds
        # `smallest` nodes or more, one meeting per node (a large counter slows CaDiCaL down).
        nodes = {n for (n, t) in by_node_slot if t == s}
        if len(nodes) // smallest > pb.tables[s]:
            atmost(by_slot[s], pb.tables[s])
    overs: list[int] = []
    for p in range(pb.n_people):
        if st.deg[p] < 2:
            continue
        gaps: list[int] = []
        for dmask in pb.day_masks:
            day = [s for s in range(S) if dmask >> s & 1]
            busy: dict[int, int | None] = {}
            for s in day:
                vs = by_node_slot.get((p, s), [])
                if not vs:
                    busy[s] = None
                    continue
                y = pool.id(("y", p, s))
                busy[s] = y
                clauses.extend([-v, y] for v in vs)
                clauses.append([-y, *vs])
            later: dict[int, int | None] = {}  # busy strictly after s (only bounded below)
            after = None  # busy at s or later
            for s in reversed(day):
                later[s] = after
                parts = [a for a in (busy[s], after) if a is not None]
                if not parts:
                    after = None
                    continue
                cur = pool.id(("l", p, s))
                clauses.extend([-a, cur] for a in parts)
                after = cur
            for prev, s in zip(day, day[1:], strict=False):
                if busy[prev] is None or later[s] is None:
                    continue
                g = pool.id(("g", p, s))
                clause = [-busy[prev], -later[s], g]
                if busy[s] is not None:
                    clause.append(busy[s])
                clauses.append(clause)
                gaps.append(g)
        cap = at_least.get(p, 0)
        over = None  # true when p may have one break more (with `extra`)
        if extra and gaps:
            over = pool.id(("over", p))
            overs.append(over)
            # gaps + (not over) <= cap + 1: at most cap gaps, or cap + 1 when over.
            atmost([*gaps, -over], cap + 1)
        elif cap == 0:
            clauses.extend([-g] for g in gaps)
        else:
            atmost(gaps, cap)
        if cap == 0 and len(pb.day_masks) == 1:
            _interval_clauses(st, p, by_node_slot, pool, clauses, over)
    if extra:
        atmost(overs, extra)
    return scheduled, clauses, pool


def _interval_clauses(st: State, p: int, by_node_slot, pool, clauses, over=None) -> None:  # noqa: ANN001
    """A participant without breaks on a one-day event holds one window of k consecutive slots:
    exactly one start among the windows their meetings fit; busy exactly inside it. With `over`
    (a literal), only when `over` is false."""
    pb = st.pb
    ms = [m for m in pb.meetings_of[p] if st.slot_of[m] >= 0]
    k = len(ms)
    feas = [pb.feas[m] for m in ms]
    starts = [a for a in range(pb.S - k + 1) if _fits(feas, range(a, a + k))]
    free = [] if over is None else [over]
    if not starts:
        clauses.append(free)
        return
    lits = [pool.id(("w", p, a)) for a in starts]
    clauses.append([*free, *lits])
    for i, u in enumerate(lits):
        clauses.extend([-u, -v] for v in lits[i + 1 :])
    for s in range(pb.S):
        cover = [w for a, w in zip(starts, lits, strict=True) if a <= s < a + k]
        y = pool.id(("y", p, s)) if (p, s) in by_node_slot else None
        if y is None:
            clauses.extend([-w] for w in cover)
            continue
        clauses.append([*free, -y, *cover])
        clauses.extend([-w, y] for w in cover)


class SatJob:
    """CaDiCaL on a certificate's clauses in a forked child (CaDiCaL cannot be interrupted
    through python-sat; the child is killed at the limit), so the caller can anneal meanwhile."""

    def __init__(  # noqa: ANN001
        self, pb, scheduled: list[int], clauses: list[list[int]], pool, conflicts: int | None = None
    ) -> None:
        import multiprocessing

        self.pb, self.scheduled, self.pool = pb, scheduled, pool
        self.result: tuple[str, list[int] | None] | None = None
        ctx = multiprocessing.get_context("fork")
        self.receive, send = ctx.Pipe(duplex=False)
        self.child = ctx.Process(target=_sat_child, args=(clauses, send, conflicts), daemon=True)
        self.child.start()
        send.close()

    def wait(self, timeout: float) -> tuple[str, list[int] | None]:
        """The answer when it comes within `timeout` s, else ("UNKNOWN", None) (still running)."""
        if self.result is not None:
            return self.result
        try:
            if not self.receive.poll(max(0.0, timeout)):
                return "UNKNOWN", None
            answer = self.receive.recv()
        except (EOFError, OSError):
            self.result = ("UNKNOWN", None)
            return self.result
        if answer is None:  # the conflict budget ran out
            self.result = ("UNKNOWN", None)
        elif answer is False:
            self.result = ("INFEASIBLE", None)
        else:
            true = set(answer)
            slots = [-1] * self.pb.M
            for m in self.scheduled:
                for s in self.pb.feas_list[m]:
                    if self.pool.id(("x", m, s)) in true:
                        slots[m] = s
            self.result = ("FEASIBLE", slots)
        self.stop()
        return self.result

    def ready(self) -> bool:
        """Whether the answer has come (wall-clock runs stop annealing for it)."""
        try:
            return self.result is not None or self.receive.poll(0)
        except OSError:
            return False

    def stop(self) -> None:
        if self.child.is_alive():
            self.child.kill()
        self.child.join()
        self.receive.close()


def _sat_child(clauses: list[list[int]], send, conflicts: int | None) -> None:  # noqa: ANN001
    """Solve with CaDiCaL and send the true literals (False when unsatisfiable, None when the
    conflict budget ran out)."""
    from pysat.solvers import Solver

    with Solver(name="cadical195", bootstrap_with=clauses) as solver:
        if conflicts is None:
            found = solver.solve()
        else:
            solver.conf_budget(conflicts)
            found = solver.solve_limited()
        if found is None:
            send.send(None)
        else:
            send.send([lit for lit in solver.get_model() if lit > 0] if found else False)
    send.close()
