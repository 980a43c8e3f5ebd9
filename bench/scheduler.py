"""Benchmark of the meeting scheduler on generated matchmaking events; prints a table of figures."""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from corridor.events.scheduling import bound as bound_mod  # noqa: E402
from corridor.events.scheduling import greedy, solve  # noqa: E402
from corridor.events.scheduling.model import Problem, parse_instance  # noqa: E402


def generate(n: int, seed: int = 1, variant: str = "forum") -> dict:
    """A realistic event: two sessions of 8 slots, popularity skew, partial availability.

    variant "forum": anyone may request anyone. variant "buyers": a third of the participants are
    buyers who host at fixed tables; every meeting is between one buyer and one or two sellers.
    About 10 accepted requests per participant, strong popularity skew (lognormal sigma 1.0: the
    most wanted participants are asked for far more than 16 meetings), 10% with max_meetings.
    Tables: 0.85 x requests / slots, about 1.1 x the meetings per slot a good schedule holds, so
    tables bind in the busiest slots (morning-only and afternoon-only participants crowd them).
    """
    rng = random.Random(seed)
    slots = [f"D1-{'AM' if i < 8 else 'PM'}-{i % 8 + 1}" for i in range(16)]
    morning, afternoon = slots[:8], slots[8:]
    people = []
    ids = [f"p{i:05d}" for i in range(n)]
    buyers = set(ids[: n // 3]) if variant == "buyers" else set()
    popularity = {pid: rng.lognormvariate(0, 1.0) for pid in ids}
    for i, pid in enumerate(ids):
        entry: dict = {"id": pid}
        r = rng.random()
        if r < 0.1:
            entry["unavailable"] = list(afternoon)
        elif r < 0.2:
            entry["unavailable"] = list(morning)
        elif r < 0.35:
            entry["unavailable"] = rng.sample(slots, rng.randint(1, 3))
        if rng.random() < 0.1:
            entry["max_meetings"] = rng.randint(5, 10)
        if pid in buyers:
            entry["table"] = i + 1
        people.append(entry)
    n_meetings = n * 10 // 2
    meetings = []
    if variant == "buyers":
        requesters = [p for p in ids if p not in buyers]
        targets = sorted(buyers)
    else:
        requesters = ids
        targets = ids
    tw = [popularity[t] for t in targets]
    seen: set[tuple[str, ...]] = set()
    k = 0
    while len(meetings) < n_meetings:
        a = rng.choice(requesters)
        b = rng.choices(targets, tw)[0]
        group = [a, b]
        if rng.random() < 0.05:
            c = rng.choice(requesters)
            group.append(c)
        if len(set(group)) < len(group):
            continue
        key = tuple(sorted(group))
        if key in seen:
            continue
        seen.add(key)
        k += 1
        w = rng.choices([1, 2, 3], [0.6, 0.3, 0.1])[0]
        meetings.append({"id": f"m{k:06d}", "participants": group, "weight": w})
    # 1% locked, placed so that locks never clash (first free slot common to all participants).
    unavailable = {p["id"]: set(p.get("unavailable", ())) for p in people}
    busy: dict[str, set[str]] = {pid: set() for pid in ids}
    locked_per_slot = dict.fromkeys(slots, 0)
    for m in rng.sample(meetings, len(meetings) // 100):
        options = [
            s
            for s in slots
            if all(s not in unavailable[p] and s not in busy[p] for p in m["participants"])
        ]
        if options:
            s = rng.choice(options)
            m["locked_slot"] = s
            locked_per_slot[s] += 1
            for p in m["participants"]:
                busy[p].add(s)
    tables = max(math.ceil(0.85 * len(meetings) / len(slots)), len(buyers))
    return {"slots": slots, "tables": tables, "participants": people, "meetings": meetings}


FORUMS = [  # (participants, slots, meetings): sizes of real business-matching forums
    (20, 10, 40),
    (30, 12, 80),
    (35, 14, 110),
    (45, 16, 150),
    (50, 16, 180),
    (55, 18, 220),
    (65, 20, 260),
    (70, 21, 300),
]


def generate_forum(n: int, n_slots: int, n_meetings: int, seed: int = 1) -> dict:
    """A small one-day forum where every meeting fits: morning and afternoon sessions, 15%
    morning-only and 15% afternoon-only participants, 15% with one or two forbidden slots.
    A meeting is kept only if its participants share at least two free slots and neither would
    exceed 70% of their free slots, so the engine places them all."""
    rng = random.Random(seed)
    slots = [f"S{i + 1:02d}" for i in range(n_slots)]
    half = n_slots // 2
    morning, afternoon = slots[:half], slots[half:]
    people, free = [], {}
    for i in range(n):
        pid = f"p{i:03d}"
        r = rng.random()
        blocked: list[str] = []
        if r < 0.15:
            blocked = list(afternoon)
        elif r < 0.30:
            blocked = list(morning)
        elif r < 0.45:
            blocked = rng.sample(slots, rng.randint(1, 2))
        entry: dict = {"id": pid}
        if blocked:
            entry["unavailable"] = [s for s in slots if s in blocked]
        people.append(entry)
        free[pid] = set(slots) - set(blocked)
    ids = [p["id"] for p in people]
    popularity = [rng.lognormvariate(0, 0.6) for _ in ids]
    deg = dict.fromkeys(ids, 0)
    meetings, seen = [], set()
    tries = 0
    while len(meetings) < n_meetings and tries < 200 * n_meetings:
        tries += 1
        a, b = rng.choices(ids, popularity, k=2)
        key = tuple(sorted((a, b)))
        if a == b or key in seen or len(free[a] & free[b]) < 2:
            continue
        if deg[a] + 1 > 0.7 * len(free[a]) or deg[b] + 1 > 0.7 * len(free[b]):
            continue
        seen.add(key)
        deg[a] += 1
        deg[b] += 1
        w = rng.choices([2, 3, 4, 5, 6], [0.3, 0.25, 0.2, 0.15, 0.1])[0]
        meetings.append({"id": f"m{len(meetings) + 1:03d}", "participants": [a, b], "weight": w})
    tables = max(4, n // 2)
    return {"slots": slots, "tables": tables, "participants": people, "meetings": meetings}


def run_forums(limit: float) -> None:
    """Small forums: the engine without the exact phase (baseline) and with it, in one run."""
    print(
        f"{'forum':<16}{'meet':>6}{'placed':>8}{'base breaks':>13}{'base s':>8}"
        f"{'breaks':>8}{'bound':>7}{'proven':>8}{'s':>7}"
    )
    for i, (n, n_slots, n_meetings) in enumerate(FORUMS):
        raw = generate_forum(n, n_slots, n_meetings, seed=100 + i)
        inst = parse_instance(raw)
        t0 = time.perf_counter()
        base = solve(inst, time_limit=limit, seed=1, exact=False)
        base_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ours = solve(inst, time_limit=limit, seed=1)
        took = time.perf_counter() - t0
        st = ours.stats
        assert st["weight"] >= base.stats["weight"]
        print(
            f"{f'{n}p {n_slots}s':<16}{len(inst.meetings):>6}"
            f"{str(st['scheduled']) + '/' + str(len(inst.meetings)):>8}"
            f"{base.stats['breaks']:>13}{base_s:>8.1f}{st['breaks']:>8}"
            f"{st['breaks_lower_bound']:>7}{'yes' if st['breaks_optimal'] else 'no':>8}"
            f"{took:>7.1f}"
        )
        sys.stdout.flush()


def describe(problem: Problem, slot_of: list[int]) -> dict:
    deg = [0] * problem.n_people
    busy = [0] * problem.n_people
    weight = 0
    for m, s in enumerate(slot_of):
        if s >= 0:
            weight += problem.weight[m]
            for p in problem.people[m]:
                deg[p] += 1
                busy[p] |= 1 << s
    cover = greedy.coverable(problem)
    zero = sum(1 for p in range(problem.n_people) if deg[p] == 0 and any(problem.meetings_of[p]))
    unavoidable = sum(
        1 for p in range(problem.n_people) if not cover[p] and any(problem.meetings_of[p])
    )
    from corridor.events.scheduling.model import breaks_of_mask

    breaks = sum(breaks_of_mask(b) for b in busy)
    return {"weight": weight, "zero": zero, "unavoidable": unavoidable, "breaks": breaks}


def run(
    sizes: list[int], limits: list[float], variants: list[str], lp_limit: float, long_max: int
) -> None:
    """One line per event and time limit; limits above 10 s only for events up to `long_max`."""
    print(
        f"{'event':<14}{'meet':>7}{'LP':>8}{'greedy':>15}{'limit':>7}{'ours':>15}{'time':>7}"
        f"{'rounds':>7}{'zero (unav; greedy)':>21}{'breaks g/ours':>15}{'max':>5}"
    )
    for variant in variants:
        for n in sizes:
            raw = generate(n, seed=n, variant=variant)
            inst = parse_instance(raw)
            pb = Problem(inst)
            lp, lp_s = bound_mod.timed(bound_mod.assignment_lp_bound, pb, lp_limit, "ipm")
            if lp is None:
                lp = bound_mod.aggregated_bound(pb)
            g = describe(pb, greedy.first_fit(pb).slot_of)
            for t in limits:
                if t > 10 and n > long_max:
                    continue
                t0 = time.perf_counter()
                sched = solve(inst, time_limit=t, seed=1)
                took = time.perf_counter() - t0
                slot_of = [-1] * pb.M
                for a in sched.assignments:
                    slot_of[pb.meeting_index[a.meeting]] = pb.slot_index[a.slot]
                d = describe(pb, slot_of)
                zero = f"{d['zero']} ({d['unavoidable']}; {g['zero']})"
                print(
                    f"{variant[:6] + '-' + str(n):<14}{pb.M:>7}{lp:>8.0f}"
                    f"{g['weight']:>7} {100 * g['weight'] / lp:6.2f}%{f'{t:g}s':>7}"
                    f"{d['weight']:>7} {100 * d['weight'] / lp:6.2f}%{took:>6.1f}s"
                    f"{sched.stats.get('rounds', 0):>7}{zero:>21}"
                    f"{str(g['breaks']) + '/' + str(d['breaks']):>15}"
                    f"{sched.stats.get('breaks_max', 0):>5}"
                )
                sys.stdout.flush()
            print(f"    full assignment LP in {lp_s:.1f}s (outside the limit)")


def run_breaks(sizes: list[int], limits: list[float], base_max: float) -> None:
    """Breaks on the large generated events (forum variant): the engine without the exact
    phase (baseline, for limits up to `base_max`) and with it, same seed."""
    print(
        f"{'event':<12}{'limit':>7}{'weight base/ours':>18}{'breaks base/ours':>18}"
        f"{'bound':>7}{'method':>8}{'s':>7}"
    )
    for n in sizes:
        inst = parse_instance(generate(n, seed=n, variant="forum"))
        for t in limits:
            base = solve(inst, time_limit=t, seed=1, exact=False) if t <= base_max else None
            t0 = time.perf_counter()
            ours = solve(inst, time_limit=t, seed=1)
            took = time.perf_counter() - t0
            st = ours.stats
            bw = base.stats["weight"] if base else "-"
            bb = base.stats["breaks"] if base else "-"
            print(
                f"{'forum ' + str(n):<12}{f'{t:g}s':>7}{str(bw) + '/' + str(st['weight']):>18}"
                f"{str(bb) + '/' + str(st['breaks']):>18}{st['breaks_lower_bound']:>7}"
                f"{st.get('breaks_method', '-'):>8}{took:>7.1f}"
            )
            sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "table",
        nargs="?",
        choices=["weight", "forums", "breaks"],
        default="weight",
        help="weight: the large events against LP and greedy (default); forums: small real-size "
        "forums, breaks against the lower bound; breaks: breaks on the large events",
    )
    ap.add_argument("--limit", type=float, default=10.0, help="seconds per forum (forums)")
    ap.add_argument("--quick", action="store_true", help="small events and short limits")
    ap.add_argument(
        "--long-max",
        type=int,
        default=5000,
        help="run the 60 s limit only for events up to this many participants (0: never)",
    )
    args = ap.parse_args()
    if args.table == "forums":
        run_forums(args.limit)
        return
    if args.table == "breaks":
        if args.quick:
            run_breaks([1000], [10.0], 10.0)
        else:
            run_breaks([1000], [10.0, 60.0], 60.0)
            run_breaks([5000], [10.0, 60.0], 60.0)
        return
    if args.quick:
        run([200, 1000], [2.0], ["forum"], 30, 0)
    else:
        run([200, 1000, 5000], [10.0, 60.0], ["forum", "buyers"], 600, args.long_max)


if __name__ == "__main__":
    main()
