"""Local search on a schedule: Kempe-chain insertion, ejection chains, fairness repair, breaks.

`anytime` keeps improving after the first local optimum: rounds of randomised ejection chains
(weight, then the smallest share of a participant's requests) and break moves (single moves,
Kempe swaps for one participant, swapping the contents of two slots). Every move is a transaction
kept only when (covered, weight, fairness, -breaks) does not get worse lexicographically.
"""

from __future__ import annotations

import random
import time

from .greedy import best_slot, break_delta
from .state import State


class Search:
    """Improvement moves over a State; every move keeps every constraint satisfied."""

    def __init__(self, state: State, rng: random.Random, deadline: float) -> None:
        self.st = state
        self.pb = state.pb
        self.rng = rng
        self.deadline = deadline
        self.chain_limit = 40
        self.eject_width = 4  # ejection options tried per meeting
        self.drop_width = 6  # meetings of a full participant tried as the one to drop
        # Participants whose programme changed since the last break pass (anytime rounds).
        self.dirty: list[int] = []
        self.dirty_flag = [False] * state.pb.n_people
        # Break moves at the end of each anytime round (off when annealing follows them).
        self.round_breaks = True

    def out_of_time(self) -> bool:
        return time.perf_counter() > self.deadline

    # --- insertion without losing anything -----------------------------------------------------

    def saturated(self, m: int) -> bool:
        st, pb = self.st, self.pb
        return any(st.deg[p] >= pb.cap[p] for p in pb.people[m])

    def relocate_one(self, a: int, avoid: tuple[int, ...]) -> bool:
        """Free a table in slot a by moving one of its meetings to a slot where it fits."""
        st, pb = self.st, self.pb
        tried = 0
        for x in list(st.members[a]):
            if pb.locked[x] >= 0:
                continue
            tried += 1
            if tried > 300:
                return False
            bits = pb.feas[x] & ~(1 << a)
            if not bits:
                continue
            for s in pb.feas_list[x]:
                if s != a and st.can_place(x, s):
                    st.move(x, s)
                    return True
        return False

    def rematch(self, p: int, extra: int) -> bool:
        """Re-seat all of p's movable meetings plus `extra` by a bipartite matching to slots.

        The partners stay where they are; only p's meetings change slot. This is the move that
        fills a popular participant's programme, where two-slot Kempe swaps get stuck.
        """
        st, pb = self.st, self.pb
        S = st.S
        occ = st.occ
        locked = pb.locked
        mine = [occ[p * S + s] for s in range(S) if occ[p * S + s] >= 0]
        movable = [x for x in mine if locked[x] < 0]
        if len(mine) + 1 > pb.cap[p]:
            return False
        old = {x: st.slot_of[x] for x in movable}
        journal_open = st.journal is not None
        if not journal_open:
            st.begin()
        for x in movable:
            st.remove(x)
        items = [extra, *movable]
        edges: list[list[int]] = []
        for x in items:
            opts = [s for s in pb.feas_list[x] if st.can_place(x, s)]
            if not opts:
                break
            o = old.get(x, -1)
            if o in opts:  # try the current slot first, so few meetings move
                opts.remove(o)
                opts.insert(0, o)
            edges.append(opts)
        else:
            match_slot: dict[int, int] = {}  # slot -> item index
            for i in range(len(items)):
                if not _augment(i, edges, match_slot, set()):
                    break
            else:
                for s, i in match_slot.items():
                    st.place(items[i], s)
                if not journal_open:
                    st.commit()
                return True
        if journal_open:
            for x in movable:
                if st.slot_of[x] < 0:
                    st.place(x, old[x])
        else:
            st.rollback()
        return False

    def insert(self, m: int) -> bool:
        """Place unscheduled m without unscheduling anything: directly, or after a Kempe swap."""
        st, pb = self.st, self.pb
        if self.saturated(m):
            return False
        s = best_slot(st, m)
        if s >= 0:
            st.place(m, s)
            return True
        for p in sorted(pb.people[m], key=lambda p: (-st.deg[p], p)):
            if self.rematch(p, m):
                return True
        S = pb.S
        tables = pb.tables
        count = st.count
        best = None
        best_len = 1 << 30
        full_slots = []
        for a in pb.feas_list[m]:
            blk = st.blockers(m, a)
            if not blk:
                full_slots.append(a)  # free for everyone but no table left
                continue
            if any(pb.locked[x] >= 0 for x in blk):
                continue
            common = pb.feas[blk[0]]
            for x in blk[1:]:
                common &= pb.feas[x]
            for b in range(S):
                if b == a or not common >> b & 1:
                    continue
                ch = st.kempe_chain(m, a, b, min(self.chain_limit, best_len - 1))
                if ch is None:
                    continue
                to_b, to_a = ch
                if count[a] + 1 - len(to_b) + len(to_a) > tables[a]:
                    continue
                if count[b] - len(to_a) + len(to_b) > tables[b]:
                    continue
                size = len(to_a) + len(to_b)
                if size < best_len:
                    best, best_len = (a, b, to_b, to_a), size
                    if size == 1:
                        break
            if best_len == 1:
                break
        if best is not None:
            a, b, to_b, to_a = best
            st.apply_swap(to_b, to_a, a, b)
            st.place(m, a)
            return True
        for a in full_slots:
            if self.relocate_one(a, pb.nodes[m]):
                st.place(m, a)
                return True
        return False

    # --- ejection chains -------------------------------------------------------------------------

    def eject_options(self, m: int, max_weight: float) -> list[tuple[float, int, int, list[int]]]:
        """Ways to make room for m in one slot by unscheduling meetings of total weight <= max."""
        st, pb = self.st, self.pb
        out = []
        locked = pb.locked
        weight = pb.weight
        for a in pb.feas_list[m]:
            ejected = st.blockers(m, a)
            if any(locked[x] >= 0 for x in ejected):
                continue
            ok = True
            for p in pb.people[m]:
                load = st.deg[p] - sum(1 for x in ejected if p in pb.people[x])
                if load >= pb.cap[p]:
                    # p must give up one more meeting: its lightest unlocked one.
                    cands = [x for x in st_meetings_of(st, p) if locked[x] < 0 and x not in ejected]
                    if not cands:
                        ok = False
                        break
                    ejected.append(min(cands, key=lambda x: (weight[x], x)))
            if not ok:
                continue
            in_a = sum(1 for x in ejected if st.slot_of[x] == a)
            if st.count[a] - in_a >= pb.tables[a]:
                cands = [x for x in st.members[a] if locked[x] < 0 and x not in ejected]
                if not cands:
                    continue
                ejected.append(min(cands, key=lambda x: (weight[x], x)))
            w = sum(weight[x] for x in ejected)
            if w <= max_weight:
                out.append((w, len(ejected), a, ejected))
        out.sort(key=lambda o: (o[0], o[1], o[2]))
        return out

    def try_eject(self, m: int, allow_equal: bool, follow: bool = True) -> bool:
        """Place m by unscheduling lighter meetings, then re-place what was unscheduled."""
        st, pb = self.st, self.pb
        weight = pb.weight
        if self.drop_and_rematch(m, allow_equal, follow):
            return True
        options = self.eject_options(m, weight[m])
        for w, _n, a, ejected in options[: self.eject_width]:
            if w == weight[m] and not allow_equal:
                continue
            covered0, weight0 = st.covered, st.weight
            st.begin()
            for x in ejected:
                st.remove(x)
            if not st.can_place(m, a):
                st.rollback()
                continue
            st.place(m, a)
            for x in sorted(ejected, key=lambda x: (-weight[x], x)):
                self.insert(x)
            if follow:
                # Freed participants may now take one of their waiting meetings.
                for x in ejected:
                    if st.slot_of[x] >= 0:
                        continue
                    for p in pb.people[x]:
                        self.fill_person(p)
            if st.covered > covered0 or (st.covered == covered0 and st.weight > weight0):
                st.commit()
                return True
            st.rollback()
        return False

    def drop_and_rematch(self, m: int, allow_equal: bool, follow: bool) -> bool:
        """For a full participant of m: drop one lighter meeting and re-seat the rest with m."""
        st, pb = self.st, self.pb
        weight = pb.weight
        S = st.S
        for p in sorted(pb.people[m], key=lambda p: (-st.deg[p], p)):
            if st.deg[p] < pb.cap[p] and st.busy[p] & pb.feas[m] != pb.feas[m]:
                continue
            mine = [st.occ[p * S + s] for s in range(S) if st.occ[p * S + s] >= 0]
            drops = [
                x
                for x in mine
                if pb.locked[x] < 0
                and (weight[x] < weight[m] or (allow_equal and weight[x] == weight[m]))
            ]
            drops.sort(key=lambda x: (weight[x], x))
            for d in drops[: self.drop_width]:
                covered0, weight0 = st.covered, st.weight
                st.begin()
                st.remove(d)
                if self.rematch(p, m):
                    if follow:
                        for q in pb.people[d]:
                            if q != p:
                                self.fill_person(q)
                    if st.covered > covered0 or (st.covered == covered0 and st.weight > weight0):
                        st.commit()
                        return True
                st.rollback()
        return False

    def fill_person(self, p: int, limit: int = 6) -> bool:
        st, pb = self.st, self.pb
        if st.deg[p] >= pb.cap[p]:
            return False
        tried = 0
        for x in self.waiting_of[p]:
            if st.slot_of[x] >= 0:
                continue
            tried += 1
            if self.insert(x):
                return True
            if tried >= limit:
                break
        return False

    # --- drivers ---------------------------------------------------------------------------------

    def prepare(self, key) -> None:  # noqa: ANN001 - a sort key over meetings
        pb = self.pb
        self.order = sorted((m for m in range(pb.M) if pb.feas[m]), key=key)
        rank = {m: i for i, m in enumerate(self.order)}
        self.waiting_of = [
            sorted((m for m in pb.meetings_of[p] if pb.feas[m]), key=rank.__getitem__)
            for p in range(pb.n_people)
        ]

    def repair_cover(self, coverable: list[bool]) -> None:
        """Give a meeting to everyone who can have one and has none (fairness comes first)."""
        st, pb = self.st, self.pb
        for p in range(pb.n_people):
            if st.deg[p] or not coverable[p] or self.out_of_time():
                continue
            for m in self.waiting_of[p]:
                if st.slot_of[m] >= 0:
                    continue
                if self.insert(m):
                    break
                if self.try_eject_for_cover(m):
                    break

    def try_eject_for_cover(self, m: int) -> bool:
        st = self.st
        for _w, _n, a, ejected in self.eject_options(m, float("inf"))[:6]:
            covered0 = st.covered
            st.begin()
            for x in ejected:
                st.remove(x)
            if not st.can_place(m, a):
                st.rollback()
                continue
            st.place(m, a)
            for x in ejected:
                self.insert(x)
            # Whoever lost their only meeting may take another waiting one.
            for x in ejected:
                if st.slot_of[x] < 0:
                    for p in self.pb.people[x]:
                        if not st.deg[p]:
                            self.fill_person(p)
            if st.covered > covered0:
                st.commit()
                return True
            st.rollback()
        return False

    def improve_weight(
        self, target: float, hint: list[float] | None = None, rounds: int = 8
    ) -> None:
        """Insert waiting meetings until the weight reaches `target` or nothing more helps.

        With an LP solution as `hint`, only the meetings the LP uses get the expensive ejection
        moves: reaching the LP's selection is reaching the bound.
        """
        st = self.st
        for _ in range(rounds):
            improved = False
            for m in self.order:
                if st.slot_of[m] >= 0:
                    continue
                if st.weight >= target or self.out_of_time():
                    return
                if hint is not None and hint[m] <= 1e-6:
                    # Outside the LP's selection: only a free slot (the anytime rounds may do more).
                    s = -1 if self.saturated(m) else best_slot(st, m)
                    if s >= 0:
                        st.place(m, s)
                        improved = True
                elif self.insert(m):
                    improved = True
                elif (hint is None or hint[m] > 1e-6) and self.try_eject(m, allow_equal=True):
                    improved = True
            if not improved:
                return

    # --- breaks ----------------------------------------------------------------------------------

    def improve_breaks(self, rounds: int = 4) -> bool:
        """Move meetings (alone, by Kempe swap, or whole slots) to lower breaks; weight is kept.

        Returns False when the deadline cut the pass.
        """
        st, pb = self.st, self.pb
        for _ in range(rounds):
            before = st.breaks
            for m in range(pb.M):
                if st.slot_of[m] < 0 or pb.locked[m] >= 0:
                    continue
                if self.out_of_time():
                    return False
                self.move_for_breaks(m)
            if not self.kempe_breaks(range(pb.n_people)):
                return False
            self.swap_slots()
            if st.breaks >= before:
                break
        return True

    def kempe_breaks(self, people) -> bool:  # noqa: ANN001 - an iterable of participants
        """For participants with breaks: move one of their meetings to a slot next to another of
        theirs, swapping the clashing meetings between the two slots (Kempe chain) if needed."""
        st, pb = self.st, self.pb
        S = st.S
        occ = st.occ
        for p in people:
            if pb.breaks_of_mask(st.busy[p]) == 0:
                continue
            if self.out_of_time():
                return False
            for a in range(S):
                m = occ[p * S + a]
                if m < 0 or pb.locked[m] >= 0 or st.slot_of[m] != a:
                    continue
                busy = st.busy[p]
                near = ((busy << 1) | (busy >> 1)) & ~busy & pb.feas[m]
                for b in range(S):
                    if near >> b & 1 and self.kempe_move(m, b):
                        break
        return True

    def kempe_move(self, m: int, b: int, limit: int = 16) -> bool:
        """Move m to slot b, swapping the component of clashing meetings; keep if breaks drop."""
        st, pb = self.st, self.pb
        a = st.slot_of[m]
        ch = st.kempe_chain(m, b, a, limit)
        if ch is None:
            return False
        to_a, to_b = ch  # blockers in b go to a; what clashes with them in a goes to b
        if st.count[a] - 1 - len(to_b) + len(to_a) > pb.tables[a]:
            return False
        if st.count[b] + 1 - len(to_a) + len(to_b) > pb.tables[b]:
            return False
        moves = [(m, a, b)] + [(x, b, a) for x in to_a] + [(x, a, b) for x in to_b]
        if self.moves_delta(moves) >= 0:
            return False
        st.begin()
        st.remove(m)
        st.apply_swap(to_a, to_b, b, a)
        st.place(m, b)
        self.touch(st.journal)
        st.commit()
        return True

    def moves_delta(self, moves: list[tuple[int, int, int]]) -> int:
        """Change in total breaks if each (meeting, from slot, to slot) were applied together."""
        busy = self.st.busy
        people = self.pb.people
        new: dict[int, int] = {}
        for x, f, _t in moves:
            for p in people[x]:
                new[p] = new.get(p, busy[p]) & ~(1 << f)
        for x, _f, t in moves:
            for p in people[x]:
                new[p] |= 1 << t
        bom = self.pb.breaks_of_mask
        return sum(bom(v) - bom(busy[p]) for p, v in new.items())

    def swap_slots(self) -> int:
        """Swap the whole contents of two slots when everything stays allowed and breaks drop.

        Participants and fixed tables stay consistent by construction (a slot's meetings move
        together); only allowed slots (availability, locks, allowed_slots, table counts) change.
        """
        st, pb = self.st, self.pb
        S = st.S
        feas = pb.feas
        people = pb.people
        busy = st.busy
        done = 0
        for a in range(S):
            for b in range(a + 1, S):
                ma, mb = st.members[a], st.members[b]
                if len(ma) > pb.tables[b] or len(mb) > pb.tables[a]:
                    continue
                if any(not feas[x] >> b & 1 for x in ma):
                    continue
                if any(not feas[x] >> a & 1 for x in mb):
                    continue
                bits = (1 << a) | (1 << b)
                seen: dict[int, None] = {}
                for x in (*ma, *mb):
                    for p in people[x]:
                        seen[p] = None
                delta = 0
                for p in seen:
                    x = busy[p]
                    y = x & ~bits
                    if x >> a & 1:
                        y |= 1 << b
                    if x >> b & 1:
                        y |= 1 << a
                    delta += pb.breaks_of_mask(y) - pb.breaks_of_mask(x)
                if delta < 0:
                    xa, xb = list(ma), list(mb)
                    for x in xa + xb:
                        st.remove(x)
                    for x in xa:
                        st.place(x, b)
                    for x in xb:
                        st.place(x, a)
                    for p in seen:
                        self.mark(p)
                    done += 1
        return done

    # --- anytime improvement ---------------------------------------------------------------------

    def setup_anytime(self, seed: int, hint: list[float] | None) -> None:
        pb = self.pb
        n_req = [0] * pb.n_people
        for m in range(pb.M):
            if pb.feas[m]:
                for p in pb.people[m]:
                    n_req[p] += 1
        self.fair_people = [p for p in range(pb.n_people) if n_req[p]]
        self.fair_den = [
            max(1, min(n_req[p], pb.cap[p], pb.avail[p].bit_count())) for p in range(pb.n_people)
        ]
        self.seed = seed
        self.hint = hint
        self.cur_fair = self.fair_key()

    def fair_key(self) -> tuple[float, int]:
        """(smallest share of a participant's requests scheduled, -how many are at it)."""
        deg, den = self.st.deg, self.fair_den
        best, count = 2.0, 0
        for p in self.fair_people:
            v = deg[p] / den[p]
            if v < best - 1e-12:
                best, count = v, 1
            elif v < best + 1e-12:
                count += 1
        return round(best, 9), -count

    def mark(self, p: int) -> None:
        if p < self.pb.n_people and not self.dirty_flag[p]:
            self.dirty_flag[p] = True
            self.dirty.append(p)

    def touch(self, journal: dict[int, int] | None) -> None:
        for x in journal or ():
            for p in self.pb.people[x]:
                self.mark(p)

    def keep_if_not_worse(self, covered0: int, weight0: float, breaks0: int) -> bool:
        """Close the open transaction: commit if the lexicographic objective did not get worse."""
        st = self.st
        journal = st.journal or {}
        c0, w0 = (covered0, round(weight0, 6)), (st.covered, round(st.weight, 6))
        if w0 != c0:
            ok = w0 > c0
            fair = self.fair_key() if ok else None
        else:
            same_set = all((s >= 0) == (st.slot_of[x] >= 0) for x, s in journal.items())
            fair = self.cur_fair if same_set else self.fair_key()
            ok = (fair, -st.breaks) >= (self.cur_fair, -breaks0)
        if ok and journal:
            self.touch(journal)
            st.commit()
            self.cur_fair = fair
            return True
        st.rollback()
        return False

    def lns_insert(self, m: int, rng: random.Random) -> bool:
        """Randomised ejection chain: seat m in a random allowed slot, evicting whatever is in
        the way (any weight), re-insert the evicted meetings elsewhere and let freed
        participants take waiting meetings; kept only if the objective does not get worse."""
        st, pb = self.st, self.pb
        a = rng.choice(pb.feas_list[m])
        ejected = st.blockers(m, a)
        locked = pb.locked
        if any(locked[x] >= 0 for x in ejected):
            return False
        for p in pb.people[m]:
            load = st.deg[p] - sum(1 for x in ejected if p in pb.people[x])
            if load >= pb.cap[p]:
                cands = [x for x in st_meetings_of(st, p) if locked[x] < 0 and x not in ejected]
                if not cands:
                    return False
                ejected.append(rng.choice(cands))
        in_a = sum(1 for x in ejected if st.slot_of[x] == a)
        if st.count[a] - in_a >= pb.tables[a]:
            cands = [x for x in st.members[a] if locked[x] < 0 and x not in ejected]
            if not cands:
                return False
            ejected.append(rng.choice(cands))
        covered0, weight0, breaks0 = st.covered, st.weight, st.breaks
        st.begin()
        for x in ejected:
            st.remove(x)
        if not st.can_place(m, a):
            st.rollback()
            return False
        st.place(m, a)
        rng.shuffle(ejected)
        ejected.sort(key=lambda x: -pb.weight[x])
        for x in ejected:
            self.insert(x)
        for x in ejected:
            if st.slot_of[x] < 0:
                for p in pb.people[x]:
                    self.fill_person(p)
        return self.keep_if_not_worse(covered0, weight0, breaks0)

    def anytime_round(self, r: int, moves: int) -> bool | None:
        """One deterministic round (its own seeded RNG, fixed orders): `moves` randomised
        ejection chains, then break moves around the participants they touched. Returns whether
        the objective improved, or None when the deadline cut the round."""
        st, pb = self.st, self.pb
        rng = random.Random(self.seed * 1_000_003 + r)
        start = (st.covered, round(st.weight, 6), self.cur_fair, -st.breaks)
        pool = [m for m in self.order if st.slot_of[m] < 0]
        if pool:
            # The participants at the smallest share get a third of the attempts.
            low = self.cur_fair[0]
            den = self.fair_den
            weak = [m for m in pool if any(st.deg[p] / den[p] <= low + 1e-9 for p in pb.people[m])]
            for i in range(moves):
                if self.out_of_time():
                    return None
                src = weak if weak and i % 3 == 2 else pool
                m = src[rng.randrange(len(src))]
                if st.slot_of[m] < 0:
                    self.lns_insert(m, rng)
        if not self.round_breaks:
            return (st.covered, round(st.weight, 6), self.cur_fair) > start[:3]
        # Breaks: single moves and Kempe moves around the touched participants, then slot swaps.
        dirty = self.dirty
        self.dirty = []
        for p in dirty:
            self.dirty_flag[p] = False
        dirty.sort()
        for p in dirty:
            for x in st_meetings_of(st, p):
                if pb.locked[x] < 0:
                    if self.out_of_time():
                        return None
                    self.move_for_breaks(x)
        if not self.kempe_breaks(dirty):
            return None
        self.swap_slots()
        return (st.covered, round(st.weight, 6), self.cur_fair, -st.breaks) > start

    def move_for_breaks(self, m: int) -> bool:
        st, pb = self.st, self.pb
        s0 = st.slot_of[m]
        st.remove(m)
        base = break_delta(st, m, s0)
        best, best_delta = -1, 0
        for s in pb.feas_list[m]:
            if s != s0 and st.can_place(m, s):
                d = break_delta(st, m, s) - base
                if d < best_delta:
                    best, best_delta = s, d
        st.place(m, s0 if best < 0 else best)
        if best >= 0:
            for p in pb.people[m]:
                self.mark(p)
        return best >= 0


def _augment(i: int, edges: list[list[int]], match_slot: dict[int, int], seen: set[int]) -> bool:
    """Kuhn's augmenting path for item i."""
    for s in edges[i]:
        if s in seen:
            continue
        seen.add(s)
        j = match_slot.get(s)
        if j is None or _augment(j, edges, match_slot, seen):
            match_slot[s] = i
            return True
    return False


def st_meetings_of(st: State, p: int) -> list[int]:
    """Scheduled meetings of participant p, by slot."""
    S = st.S
    occ = st.occ
    return [occ[p * S + s] for s in range(S) if occ[p * S + s] >= 0]
