"""Scheduler input and output: dataclasses, JSON parsing with validation, the compiled problem."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


class InputError(ValueError):
    """A malformed scheduling input; the message names the offending item."""


@dataclass(frozen=True)
class Participant:
    id: str
    unavailable: frozenset[str] = frozenset()
    max_meetings: int | None = None
    table: int | None = None


@dataclass(frozen=True)
class Meeting:
    id: str
    participants: tuple[str, ...]
    weight: float = 1
    locked_slot: str | None = None
    allowed_slots: tuple[str, ...] | None = None


@dataclass
class Instance:
    slots: list[str]
    tables: dict[str, int]
    participants: list[Participant]
    meetings: list[Meeting]
    # Slot ids per day, in slot order (one day holding every slot when the input names none).
    days: list[list[str]] = field(default_factory=list)
    # Largest allowed spread of breaks (max - min over participants with two meetings or more).
    max_break_spread: int | None = None
    # Lookups by id, filled by __post_init__.
    participant_by_id: dict[str, Participant] = field(init=False, repr=False)
    meeting_by_id: dict[str, Meeting] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.participant_by_id = {p.id: p for p in self.participants}
        self.meeting_by_id = {m.id: m for m in self.meetings}
        if not self.days:
            self.days = [list(self.slots)]


@dataclass(frozen=True)
class Assignment:
    meeting: str
    slot: str
    table: int


@dataclass
class Schedule:
    """A solution: where each scheduled meeting is, and the statistics of the run."""

    assignments: list[Assignment]
    unscheduled: list[str]
    stats: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "assignments": [
                {"meeting": a.meeting, "slot": a.slot, "table": a.table} for a in self.assignments
            ],
            "unscheduled": list(self.unscheduled),
            "stats": dict(self.stats),
        }
        out.update(self.extra)
        return out

    def slot_of(self) -> dict[str, str]:
        return {a.meeting: a.slot for a in self.assignments}


# --- parsing -------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{what} has a missing or non-string id: {value!r}")
    return value


def _slot_list(value: Any, known: dict[str, int], where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InputError(f'{where}: "{key}" must be a list of slot ids')
    for slot in value:
        if not isinstance(slot, str) or slot not in known:
            raise InputError(f'{where} names unknown slot "{slot}" in "{key}"')
    return tuple(value)


def parse_participant(raw: Any, slot_index: dict[str, int]) -> Participant:
    if not isinstance(raw, dict):
        raise InputError(f"participant entry must be an object: {raw!r}")
    pid = _id(raw.get("id"), "a participant")
    where = f'participant "{pid}"'
    unavailable = raw.get("unavailable")
    unavailable = (
        () if unavailable is None else _slot_list(unavailable, slot_index, where, "unavailable")
    )
    max_meetings = raw.get("max_meetings")
    if max_meetings is not None and (not _is_int(max_meetings) or max_meetings < 0):
        raise InputError(f'{where}: "max_meetings" must be a non-negative integer')
    table = raw.get("table")
    if table is not None and (not _is_int(table) or table < 1):
        raise InputError(f'{where}: "table" must be a positive integer')
    return Participant(pid, frozenset(unavailable), max_meetings, table)


def parse_meeting(
    raw: Any, slot_index: dict[str, int], participants: dict[str, Participant]
) -> Meeting:
    if not isinstance(raw, dict):
        raise InputError(f"meeting entry must be an object: {raw!r}")
    mid = _id(raw.get("id"), "a meeting")
    where = f'meeting "{mid}"'
    people = raw.get("participants")
    if not isinstance(people, list):
        raise InputError(f'{where}: "participants" must be a list of participant ids')
    seen: set[str] = set()
    for pid in people:
        if not isinstance(pid, str) or pid not in participants:
            raise InputError(f'{where} names unknown participant "{pid}"')
        if pid in seen:
            raise InputError(f'{where} names participant "{pid}" twice')
        seen.add(pid)
    if len(people) < 2:
        raise InputError(f"{where} has {len(people)} participant(s); a meeting needs at least 2")
    weight = raw.get("weight", 1)
    if weight is None:
        weight = 1
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not math.isfinite(weight)
        or weight < 0
    ):
        raise InputError(f'{where}: "weight" must be a non-negative number')
    if isinstance(weight, float) and weight.is_integer():
        weight = int(weight)
    allowed = raw.get("allowed_slots")
    allowed = None if allowed is None else _slot_list(allowed, slot_index, where, "allowed_slots")
    locked = raw.get("locked_slot")
    if locked is not None:
        if not isinstance(locked, str) or locked not in slot_index:
            raise InputError(f'{where} names unknown slot "{locked}" in "locked_slot"')
        if allowed is not None and locked not in allowed:
            raise InputError(
                f'{where} is locked in slot "{locked}", which is not in its allowed_slots'
            )
        for pid in people:
            if locked in participants[pid].unavailable:
                raise InputError(
                    f'{where} is locked in slot "{locked}" where participant "{pid}" is unavailable'
                )
    return Meeting(mid, tuple(people), weight, locked, allowed)


def parse_tables(raw: Any, slots: list[str]) -> dict[str, int]:
    if _is_int(raw):
        if raw < 0:
            raise InputError('"tables" must be a non-negative integer')
        return dict.fromkeys(slots, raw)
    if isinstance(raw, dict):
        for slot in raw:
            if slot not in slots:
                raise InputError(f'"tables" names unknown slot "{slot}"')
        out = {}
        for slot in slots:
            if slot not in raw:
                raise InputError(f'"tables" gives no table count for slot "{slot}"')
            if not _is_int(raw[slot]) or raw[slot] < 0:
                raise InputError(f'"tables" for slot "{slot}" must be a non-negative integer')
            out[slot] = raw[slot]
        return out
    raise InputError('"tables" must be an integer or an object mapping each slot to an integer')


def parse_days(raw: Any, slots: list[str]) -> list[list[str]]:
    """`"days": [[slot ids], ...]`: consecutive runs of `slots`, in order, covering every slot."""
    if raw is None:
        return [list(slots)]
    if not isinstance(raw, list) or not raw:
        raise InputError('"days" must be a non-empty list of lists of slot ids')
    flat: list[str] = []
    for i, day in enumerate(raw):
        if not isinstance(day, list) or not day:
            raise InputError(f'"days": day {i + 1} must be a non-empty list of slot ids')
        for slot in day:
            if not isinstance(slot, str) or slot not in slots:
                raise InputError(f'"days": day {i + 1} names unknown slot "{slot}"')
        flat.extend(day)
    if flat != slots:
        for slot in slots:
            if flat.count(slot) != 1:
                raise InputError(f'"days": slot "{slot}" must be in exactly one day')
        raise InputError('"days" must list the slots in the order of "slots"')
    return [list(day) for day in raw]


def parse_instance(raw: Any) -> Instance:
    """Validate a JSON-decoded input and build an Instance; raise InputError naming the culprit."""
    if not isinstance(raw, dict):
        raise InputError("the input must be a JSON object")
    slots = raw.get("slots")
    if not isinstance(slots, list) or not slots:
        raise InputError('"slots" must be a non-empty list of slot ids')
    slot_index: dict[str, int] = {}
    for slot in slots:
        if not isinstance(slot, str) or not slot:
            raise InputError(f"slot ids must be non-empty strings: {slot!r}")
        if slot in slot_index:
            raise InputError(f'duplicate slot "{slot}"')
        slot_index[slot] = len(slot_index)
    if "tables" not in raw:
        raise InputError('"tables" is missing')
    tables = parse_tables(raw["tables"], slots)
    raw_people = raw.get("participants", [])
    raw_meetings = raw.get("meetings", [])
    if not isinstance(raw_people, list):
        raise InputError('"participants" must be a list')
    if not isinstance(raw_meetings, list):
        raise InputError('"meetings" must be a list')
    participants: dict[str, Participant] = {}
    for entry in raw_people:
        p = parse_participant(entry, slot_index)
        if p.id in participants:
            raise InputError(f'duplicate participant "{p.id}"')
        participants[p.id] = p
    meetings: list[Meeting] = []
    seen: set[str] = set()
    for entry in raw_meetings:
        m = parse_meeting(entry, slot_index, participants)
        if m.id in seen:
            raise InputError(f'duplicate meeting "{m.id}"')
        seen.add(m.id)
        meetings.append(m)
    days = parse_days(raw.get("days"), list(slots))
    spread = raw.get("max_break_spread")
    if spread is not None and (not _is_int(spread) or spread < 0):
        raise InputError('"max_break_spread" must be a non-negative integer')
    instance = Instance(list(slots), tables, list(participants.values()), meetings, days, spread)
    check_locks(instance)
    return instance


def check_locks(instance: Instance) -> None:
    """Locked meetings must fit together: no clash, tables, max_meetings, fixed tables."""
    by_slot: dict[str, list[Meeting]] = {}
    locked_count: dict[str, int] = {}
    for m in instance.meetings:
        if m.locked_slot is None:
            continue
        by_slot.setdefault(m.locked_slot, []).append(m)
        fixed = {
            instance.participant_by_id[p].table
            for p in m.participants
            if instance.participant_by_id[p].table is not None
        }
        if len(fixed) > 1:
            raise InputError(
                f'meeting "{m.id}" is locked but its participants have different fixed tables'
            )
        if fixed and next(iter(fixed)) > instance.tables[m.locked_slot]:
            raise InputError(
                f'meeting "{m.id}" is locked in slot "{m.locked_slot}", which has no table '
                f"{next(iter(fixed))}"
            )
        for p in m.participants:
            locked_count[p] = locked_count.get(p, 0) + 1
    for slot, ms in by_slot.items():
        if len(ms) > instance.tables[slot]:
            raise InputError(
                f'slot "{slot}" has {len(ms)} locked meetings but only {instance.tables[slot]} tables'
            )
        busy: dict[str, str] = {}
        tables: dict[int, str] = {}
        for m in ms:
            for p in m.participants:
                if p in busy:
                    raise InputError(
                        f'meetings "{busy[p]}" and "{m.id}" are both locked in slot "{slot}" '
                        f'with participant "{p}"'
                    )
                busy[p] = m.id
                t = instance.participant_by_id[p].table
                if t is not None:
                    if t in tables and tables[t] != m.id:
                        raise InputError(
                            f'meetings "{tables[t]}" and "{m.id}" are both locked in slot "{slot}" '
                            f"at table {t}"
                        )
                    tables[t] = m.id
    for pid, count in locked_count.items():
        cap = instance.participant_by_id[pid].max_meetings
        if cap is not None and count > cap:
            raise InputError(
                f'participant "{pid}" has {count} locked meetings, more than max_meetings {cap}'
            )


# --- the compiled problem -------------------------------------------------------------------------


class Problem:
    """Integer-indexed form of an Instance that the algorithms work on.

    Fixed tables become extra "table resources": a resource joins every meeting held at its table,
    so the one-meeting-per-slot rule for participants also keeps two hosts off one table.
    """

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.slots = instance.slots
        self.S = S = len(instance.slots)
        self.slot_index = {s: i for i, s in enumerate(instance.slots)}
        # Bitmask of each day's slots; breaks never span two days.
        self.day_masks: list[int] = []
        self.day_of_slot = [0] * S
        for d, day in enumerate(instance.days):
            mask = 0
            for slot in day:
                mask |= 1 << self.slot_index[slot]
                self.day_of_slot[self.slot_index[slot]] = d
            self.day_masks.append(mask)
        self.day_mask_of_slot = [self.day_masks[self.day_of_slot[s]] for s in range(S)]
        self.breaks_of_mask = (
            breaks_of_mask if len(self.day_masks) == 1 else _day_breaks(self.day_masks)
        )
        self.tables = [instance.tables[s] for s in instance.slots]
        self.n_people = len(instance.participants)
        self.person_index = {p.id: i for i, p in enumerate(instance.participants)}
        full = (1 << S) - 1
        self.avail = []
        self.cap = []
        for p in instance.participants:
            mask = full
            for s in p.unavailable:
                mask &= ~(1 << self.slot_index[s])
            self.avail.append(mask)
            cap = S if p.max_meetings is None else min(p.max_meetings, S)
            self.cap.append(cap)
        fixed_tables = sorted({p.table for p in instance.participants if p.table is not None})
        self.resource_of_table = {t: self.n_people + i for i, t in enumerate(fixed_tables)}
        self.n_nodes = self.n_people + len(fixed_tables)
        self.M = len(instance.meetings)
        self.meeting_index = {m.id: i for i, m in enumerate(instance.meetings)}
        self.ids = [m.id for m in instance.meetings]
        self.people: list[tuple[int, ...]] = []  # real participants
        self.nodes: list[tuple[int, ...]] = []  # participants plus the table resource, if any
        self.weight: list[float] = []
        self.fixed_table: list[int] = []
        self.locked: list[int] = []
        self.feas: list[int] = []  # bitmask of slots where the meeting may be held
        self.feas_list: list[tuple[int, ...]] = []
        for m in instance.meetings:
            ps = tuple(self.person_index[p] for p in m.participants)
            mask = full
            for p in ps:
                mask &= self.avail[p]
            if m.allowed_slots is not None:
                allowed = 0
                for s in m.allowed_slots:
                    allowed |= 1 << self.slot_index[s]
                mask &= allowed
            tabs = {
                instance.participant_by_id[p].table
                for p in m.participants
                if instance.participant_by_id[p].table is not None
            }
            table = 0
            nodes = ps
            if len(tabs) > 1:
                mask = 0  # two hosts fixed at different tables can never meet
            elif tabs:
                table = tabs.pop()
                nodes = (*ps, self.resource_of_table[table])
                for s in range(S):
                    if self.tables[s] < table:
                        mask &= ~(1 << s)
            for s in range(S):
                if self.tables[s] == 0:
                    mask &= ~(1 << s)
            if any(self.cap[p] == 0 for p in ps):
                mask = 0
            locked = -1
            if m.locked_slot is not None:
                locked = self.slot_index[m.locked_slot]
                mask &= 1 << locked
            self.people.append(ps)
            self.nodes.append(nodes)
            self.weight.append(m.weight)
            self.fixed_table.append(table)
            self.locked.append(locked)
            self.feas.append(mask)
            self.feas_list.append(tuple(s for s in range(S) if mask >> s & 1))
        self.meetings_of: list[list[int]] = [[] for _ in range(self.n_nodes)]
        for i, nodes in enumerate(self.nodes):
            for p in nodes:
                self.meetings_of[p].append(i)
        self.integral = all(float(w).is_integer() for w in self.weight)


def breaks_of_mask(mask: int) -> int:
    """Idle stretches between the first and the last meeting: number of blocks of 1s, minus 1."""
    if not mask:
        return 0
    return (mask & ~(mask << 1)).bit_count() - 1


def _day_breaks(day_masks: list[int]):  # noqa: ANN202 - returns a mask -> int function
    def breaks(mask: int) -> int:
        total = 0
        for d in day_masks:
            x = mask & d
            if x:
                total += (x & ~(x << 1)).bit_count() - 1
        return total

    return breaks
