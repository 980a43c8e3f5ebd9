"""Upper bounds on the schedulable weight: the assignment LP (HiGHS) and a fast aggregated LP."""

from __future__ import annotations

import ctypes
import math
import os
import sys
import time

import numpy as np

from .model import Problem

try:  # highspy is a declared dependency; the import is guarded so that a missing wheel degrades
    import highspy  # the bound to the trivial one rather than breaking scheduling.
except ImportError:  # pragma: no cover
    highspy = None


_banner_done = False


def _new_highs():  # noqa: ANN202
    """A silent Highs object. The first one prints a banner on the C stdout: send it to null."""
    global _banner_done
    if _banner_done:
        return highspy.Highs()
    _banner_done = True
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
            try:
                ctypes.CDLL(None).fflush(None)
            except (OSError, AttributeError):  # pragma: no cover - not a POSIX libc
                pass
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def trivial_bound(problem: Problem) -> float:
    return float(sum(problem.weight[m] for m in range(problem.M) if problem.feas[m]))


def cheap_bound(problem: Problem) -> float:
    """A bound without LP, for very short time limits.

    Split each meeting's weight evenly among its participants: a participant collects at most
    its k heaviest shares, k = min(max_meetings, usable slots). Also at most the weight of the
    heaviest meetings that fit on all tables.
    """
    shares: list[list[float]] = [[] for _ in range(problem.n_people)]
    feasible = []
    for m in range(problem.M):
        if problem.feas[m]:
            w = float(problem.weight[m])
            feasible.append(w)
            for p in problem.people[m]:
                shares[p].append(w / len(problem.people[m]))
    total = 0.0
    for p, sh in enumerate(shares):
        if sh:
            k = min(problem.cap[p], problem.avail[p].bit_count())
            total += sum(sorted(sh, reverse=True)[:k])
    feasible.sort(reverse=True)
    by_tables = sum(feasible[: sum(problem.tables)])
    return _finish(problem, min(total, by_tables) + 1e-9)


def _dual_bound(
    col_cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    row_upper: np.ndarray,
    start: np.ndarray,
    index: np.ndarray,
    duals: np.ndarray,
    values: np.ndarray | None = None,
) -> float:
    """Weak duality: for any y >= 0, y.b + sum_j max over [l_j, u_j] of (c_j - a_j.y) x_j >= LP."""
    y = np.maximum(duals, 0.0)
    # a_j.y for each column, all coefficients are 1.
    n = len(col_cost)
    col_of_entry = np.repeat(np.arange(n), np.diff(start))
    contrib = y[index] if values is None else y[index] * values
    sums = np.bincount(col_of_entry, weights=contrib, minlength=n)
    reduced = col_cost - sums
    total = float(y @ row_upper)
    total += float(np.sum(np.where(reduced > 0, reduced * col_upper, reduced * col_lower)))
    return total


def _solve_lp(
    col_cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    row_upper: np.ndarray,
    start: np.ndarray,
    index: np.ndarray,
    time_limit: float,
    solver: str = "simplex",
    values: np.ndarray | None = None,
) -> tuple[float | None, bool, np.ndarray | None]:
    """Max c.x s.t. A x <= b, l <= x <= u (A 0/1, columnwise). Returns (bound, solved, x)."""
    if highspy is None or time_limit <= 0:
        return None, False, None
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    h.setOptionValue("threads", 1)
    h.setOptionValue("solver", solver)
    if solver == "ipm":
        h.setOptionValue("run_crossover", "off")
    lp = highspy.HighsLp()
    lp.num_col_ = len(col_cost)
    lp.num_row_ = len(row_upper)
    lp.col_cost_ = col_cost
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = np.full(len(row_upper), -highspy.kHighsInf)
    lp.row_upper_ = row_upper
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = np.ones(len(index)) if values is None else values
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    solved = status == highspy.HighsModelStatus.kOptimal
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=float) if sol.value_valid else None
    if not sol.dual_valid:
        return None, False, x
    duals = np.asarray(sol.row_dual, dtype=float)
    if duals.size and np.max(duals) <= 0 and not solved:
        return None, False, x
    bound = _dual_bound(col_cost, col_lower, col_upper, row_upper, start, index, duals, values)
    return bound, solved, x


def _finish(problem: Problem, bound: float) -> float:
    # The dual bound is exact arithmetic on float duals; round integral bounds down with a guard.
    if problem.integral:
        return float(math.floor(bound + 1e-6))
    return bound


def assignment_lp_bound(
    problem: Problem, time_limit: float, solver: str = "simplex"
) -> float | None:
    """The LP relaxation of the full model: x[m, s] for each meeting and allowed slot.

    Rows: each meeting at most once; each node (participant or fixed table) at most one meeting
    per slot; tables per slot; max_meetings per participant. Returns a valid bound or None.
    """
    S = problem.S
    col_m: list[int] = []
    col_s: list[int] = []
    for m in range(problem.M):
        for s in problem.feas_list[m]:
            col_m.append(m)
            col_s.append(s)
    n = len(col_m)
    if n == 0:
        return 0.0
    rows_of_col: list[list[int]] = [[] for _ in range(n)]
    n_rows = 0
    row_upper: list[float] = []
    # Meeting rows, only for meetings with 2+ slots.
    first_col = {}
    for j, m in enumerate(col_m):
        first_col.setdefault(m, []).append(j)
    for _m, js in first_col.items():
        if len(js) > 1:
            for j in js:
                rows_of_col[j].append(n_rows)
            n_rows += 1
            row_upper.append(1.0)
    # Node-slot rows, only where two or more columns compete.
    node_slot: dict[int, list[int]] = {}
    for j in range(n):
        m, s = col_m[j], col_s[j]
        for p in problem.nodes[m]:
            node_slot.setdefault(p * S + s, []).append(j)
    for key in sorted(node_slot):
        js = node_slot[key]
        if len(js) > 1:
            for j in js:
                rows_of_col[j].append(n_rows)
            n_rows += 1
            row_upper.append(1.0)
    # Table rows.
    per_slot: list[list[int]] = [[] for _ in range(S)]
    for j in range(n):
        per_slot[col_s[j]].append(j)
    for s in range(S):
        if len(per_slot[s]) > problem.tables[s]:
            for j in per_slot[s]:
                rows_of_col[j].append(n_rows)
            n_rows += 1
            row_upper.append(float(problem.tables[s]))
    # max_meetings rows.
    per_person: dict[int, list[int]] = {}
    for j in range(n):
        for p in problem.people[col_m[j]]:
            per_person.setdefault(p, []).append(j)
    for p in sorted(per_person):
        js = per_person[p]
        if len(js) > problem.cap[p] and problem.cap[p] < problem.avail[p].bit_count():
            for j in js:
                rows_of_col[j].append(n_rows)
            n_rows += 1
            row_upper.append(float(problem.cap[p]))
    start = np.zeros(n + 1, dtype=np.int32)
    start[1:] = np.cumsum([len(r) for r in rows_of_col])
    index = np.fromiter(
        (r for rows in rows_of_col for r in rows), dtype=np.int32, count=int(start[-1])
    )
    cost = np.array([float(problem.weight[m]) for m in col_m])
    lower = np.array([1.0 if problem.locked[m] >= 0 else 0.0 for m in col_m])
    upper = np.ones(n)
    if n_rows == 0:
        return _finish(problem, float(cost.sum()))
    bound, _, _ = _solve_lp(
        cost, lower, upper, np.array(row_upper), start, index, time_limit, solver
    )
    return None if bound is None else _finish(problem, bound)


def aggregated_bound(problem: Problem, time_limit: float = 5.0) -> float:
    return aggregated_lp(problem, time_limit)[0]


def aggregated_lp(
    problem: Problem, time_limit: float = 5.0, cover: list[bool] | None = None
) -> tuple[float, list[float] | None]:
    """A fast bound: one variable per meeting, capacity rows per participant.

    Per participant and per distinct set F of slots their meetings may use: meetings confined to
    F are at most |F| (and max_meetings overall); all meetings at most the total of tables.
    """
    cols = [m for m in range(problem.M) if problem.feas[m]]
    if not cols:
        return 0.0, None
    col_pos = {m: j for j, m in enumerate(cols)}
    rows_of_col: list[list[int]] = [[] for _ in cols]
    row_upper: list[float] = []
    for p in range(problem.n_nodes):
        ms = [m for m in problem.meetings_of[p] if problem.feas[m]]
        if not ms:
            continue
        masks = sorted({problem.feas[m] for m in ms})
        union = 0
        for f in masks:
            union |= f
        limit = union.bit_count()
        if p < problem.n_people:
            limit = min(limit, problem.cap[p])
        candidates = [(union, limit)] + [(f, f.bit_count()) for f in masks if f != union]
        for f, lim in candidates:
            inside = [m for m in ms if problem.feas[m] & ~f == 0]
            if len(inside) > lim:
                r = len(row_upper)
                row_upper.append(float(lim))
                for m in inside:
                    rows_of_col[col_pos[m]].append(r)
    if len(cols) > sum(problem.tables):
        r = len(row_upper)
        row_upper.append(float(sum(problem.tables)))
        for j in range(len(cols)):
            rows_of_col[j].append(r)
    negative: set[int] = set()
    if cover is not None:
        # Fairness rows (for a hint only, not a bound): -sum of p's meetings <= -1.
        for p in range(problem.n_people):
            if cover[p]:
                r = len(row_upper)
                row_upper.append(-1.0)
                negative.add(r)
                for m in problem.meetings_of[p]:
                    if problem.feas[m]:
                        rows_of_col[col_pos[m]].append(r)
    cost = np.array([float(problem.weight[m]) for m in cols])
    if not row_upper:
        return _finish(problem, float(cost.sum())), None
    start = np.zeros(len(cols) + 1, dtype=np.int32)
    start[1:] = np.cumsum([len(r) for r in rows_of_col])
    index = np.fromiter(
        (r for rows in rows_of_col for r in rows), dtype=np.int32, count=int(start[-1])
    )
    values = np.array([-1.0 if r in negative else 1.0 for r in index]) if negative else None
    lower = np.array([1.0 if problem.locked[m] >= 0 else 0.0 for m in cols])
    bound, solved, x = _solve_lp(
        cost,
        lower,
        np.ones(len(cols)),
        np.array(row_upper),
        start,
        index,
        time_limit,
        values=values,
    )
    if cover is not None and not solved:
        return float("inf"), None
    values = None
    if x is not None:
        values = [0.0] * problem.M
        for j, m in enumerate(cols):
            values[m] = float(x[j])
    if bound is None:
        return _finish(problem, float(cost.sum())), values
    return _finish(problem, min(bound, float(cost.sum()))), values


def timed(fn, *args, **kwargs):  # noqa: ANN001, ANN201 - small helper for the benchmark
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0
