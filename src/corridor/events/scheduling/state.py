"""The mutable schedule the algorithms edit: who is where, with constant-time checks and moves."""

from __future__ import annotations

from .model import Problem


class State:
    """Meeting-to-slot assignment with per-node occupancy (node = participant or table resource)."""

    def __init__(self, problem: Problem) -> None:
        self.pb = problem
        S = problem.S
        self.S = S
        self.slot_of = [-1] * problem.M
        # occ[node * S + s]: the meeting that node attends in slot s, or -1.
        self.occ = [-1] * (problem.n_nodes * S)
        self.busy = [0] * problem.n_nodes  # bitmask of busy slots per node
        self.deg = [0] * problem.n_people
        self.count = [0] * S
        self.members: list[dict[int, None]] = [{} for _ in range(S)]  # ordered sets per slot
        self.weight = 0
        self.n_scheduled = 0
        self.covered = 0  # participants with at least one meeting
        self.breaks = 0  # total breaks of the participants, kept up to date
        # While a transaction is open: meeting -> its slot when the transaction began.
        self.journal: dict[int, int] | None = None

    # --- transactions: try a compound move, keep it or roll it back ------------------------------

    def begin(self) -> None:
        self.journal = {}

    def commit(self) -> None:
        self.journal = None

    def rollback(self) -> None:
        journal = self.journal
        self.journal = None
        if not journal:
            return
        for m in journal:
            if self.slot_of[m] >= 0:
                self.remove(m)
        for m, s in journal.items():
            if s >= 0:
                self.place(m, s)

    def copy_from(self, other: State) -> None:
        self.slot_of = other.slot_of[:]
        self.occ = other.occ[:]
        self.busy = other.busy[:]
        self.deg = other.deg[:]
        self.count = other.count[:]
        self.members = [dict(d) for d in other.members]
        self.weight = other.weight
        self.n_scheduled = other.n_scheduled
        self.covered = other.covered
        self.breaks = other.breaks

    def snapshot(self) -> list[int]:
        return self.slot_of[:]

    # --- checks and moves -----------------------------------------------------------------------

    def can_place(self, m: int, s: int) -> bool:
        pb = self.pb
        if not pb.feas[m] >> s & 1 or self.count[s] >= pb.tables[s]:
            return False
        bit = 1 << s
        busy = self.busy
        for p in pb.nodes[m]:
            if busy[p] & bit:
                return False
        cap, deg = pb.cap, self.deg
        for p in pb.people[m]:
            if deg[p] >= cap[p]:
                return False
        return True

    def place(self, m: int, s: int) -> None:
        pb = self.pb
        S = self.S
        if self.journal is not None and m not in self.journal:
            self.journal[m] = self.slot_of[m]
        bit = 1 << s
        busy = self.busy
        for p in pb.nodes[m]:
            self.occ[p * S + s] = m
        deg = self.deg
        delta = 0
        bom = pb.breaks_of_mask
        for p in pb.people[m]:
            if not deg[p]:
                self.covered += 1
            deg[p] += 1
            x = busy[p]
            delta += bom(x | bit) - bom(x)
        for p in pb.nodes[m]:
            busy[p] |= bit
        self.breaks += delta
        self.count[s] += 1
        self.members[s][m] = None
        self.slot_of[m] = s
        self.weight += pb.weight[m]
        self.n_scheduled += 1

    def remove(self, m: int) -> int:
        pb = self.pb
        S = self.S
        s = self.slot_of[m]
        if self.journal is not None and m not in self.journal:
            self.journal[m] = s
        mask = ~(1 << s)
        busy = self.busy
        deg = self.deg
        delta = 0
        bom = pb.breaks_of_mask
        for p in pb.people[m]:
            deg[p] -= 1
            if not deg[p]:
                self.covered -= 1
            x = busy[p]
            delta += bom(x & mask) - bom(x)
        for p in pb.nodes[m]:
            self.occ[p * S + s] = -1
            busy[p] &= mask
        self.breaks += delta
        self.count[s] -= 1
        del self.members[s][m]
        self.slot_of[m] = -1
        self.weight -= pb.weight[m]
        self.n_scheduled -= 1
        return s

    def move(self, m: int, s: int) -> None:
        self.remove(m)
        self.place(m, s)

    def blockers(self, m: int, s: int) -> list[int]:
        """Meetings in slot s that share a node with m (distinct, in node order)."""
        S = self.S
        occ = self.occ
        out: list[int] = []
        for p in self.pb.nodes[m]:
            x = occ[p * S + s]
            if x >= 0 and x != m and x not in out:
                out.append(x)
        return out

    def kempe_chain(
        self, m: int, a: int, b: int, limit: int = 60
    ) -> tuple[list[int], list[int]] | None:
        """Moves that free slot a for m: the component of a/b meetings to swap, or None.

        Meetings in a that clash with m go to b; meetings in b that clash with those go to a, and
        so on. Each moved meeting must be allowed in its new slot and none may be locked or clash
        with m itself. m itself may already sit in b (then it is part of the swap).
        """
        pb = self.pb
        S = self.S
        occ = self.occ
        feas = pb.feas
        locked = pb.locked
        nodes = pb.nodes
        m_nodes = nodes[m]
        bit_a = 1 << a
        bit_b = 1 << b
        to_b: list[int] = []
        to_a: list[int] = []
        seen = {m}
        stack: list[tuple[int, int]] = []  # (meeting, destination)
        for p in m_nodes:
            x = occ[p * S + a]
            if x >= 0 and x not in seen:
                seen.add(x)
                stack.append((x, b))
        while stack:
            x, dest = stack.pop()
            if locked[x] >= 0:
                return None
            if dest == b:
                if not feas[x] & bit_b:
                    return None
                to_b.append(x)
                src = b
                nxt = a
            else:
                if not feas[x] & bit_a:
                    return None
                to_a.append(x)
                src = a
                nxt = b
                for p in nodes[x]:
                    if p in m_nodes:
                        return None
            if len(to_a) + len(to_b) > limit:
                return None
            for p in nodes[x]:
                y = occ[p * S + src]
                if y >= 0 and y not in seen:
                    seen.add(y)
                    stack.append((y, nxt))
        return to_b, to_a

    def apply_swap(self, to_b: list[int], to_a: list[int], a: int, b: int) -> None:
        for x in to_b:
            self.remove(x)
        for x in to_a:
            self.remove(x)
        for x in to_b:
            self.place(x, b)
        for x in to_a:
            self.place(x, a)

    # --- measures --------------------------------------------------------------------------------

    def breaks_of(self, p: int) -> int:
        return self.pb.breaks_of_mask(self.busy[p])

    def total_breaks(self) -> int:
        busy = self.busy
        bom = self.pb.breaks_of_mask
        return sum(bom(busy[p]) for p in range(self.pb.n_people))
