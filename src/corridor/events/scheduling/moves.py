"""Check a hand-made move of one meeting against every constraint, and apply it when allowed."""

from __future__ import annotations

from typing import Any

from .model import Assignment, Instance, Schedule


def _assignments(schedule: Schedule | dict[str, Any]) -> list[tuple[str, str, int]]:
    if isinstance(schedule, Schedule):
        return [(a.meeting, a.slot, a.table) for a in schedule.assignments]
    return [
        (a["meeting"], a["slot"], int(a.get("table", 0))) for a in schedule.get("assignments", [])
    ]


def check_move(
    instance: Instance,
    schedule: Schedule | dict[str, Any],
    meeting_id: str,
    slot: str,
    table: int | None = None,
) -> list[str]:
    """Reasons why moving `meeting_id` to `slot` (and `table`) breaks a constraint; [] if none.

    The meeting may be scheduled (it leaves its current place) or waiting (it joins the schedule).
    Without `table`, any free table will do (the host's fixed table if there is one).
    """
    reasons: list[str] = []
    meeting = instance.meeting_by_id.get(meeting_id)
    if meeting is None:
        return [f'unknown meeting "{meeting_id}"']
    if slot not in instance.tables:
        return [f'unknown slot "{slot}"']
    people = [instance.participant_by_id[p] for p in meeting.participants]
    current = _assignments(schedule)
    was_scheduled = any(mid == meeting_id for mid, _, _ in current)
    others = [(mid, s, t) for mid, s, t in current if mid != meeting_id]
    if meeting.locked_slot is not None and meeting.locked_slot != slot:
        reasons.append(f'meeting "{meeting_id}" is locked in slot "{meeting.locked_slot}"')
    if meeting.allowed_slots is not None and slot not in meeting.allowed_slots:
        reasons.append(f'slot "{slot}" is not among the allowed slots of meeting "{meeting_id}"')
    for p in people:
        if slot in p.unavailable:
            reasons.append(f'participant "{p.id}" is unavailable in slot "{slot}"')
    in_slot = [(mid, t) for mid, s, t in others if s == slot]
    for mid, _t in in_slot:
        other = instance.meeting_by_id.get(mid)
        if other is None:
            continue
        for p in meeting.participants:
            if p in other.participants:
                reasons.append(f'participant "{p}" already has meeting "{mid}" in slot "{slot}"')
    n_tables = instance.tables[slot]
    if len(in_slot) >= n_tables:
        reasons.append(f'slot "{slot}" has no free table (all {n_tables} are taken)')
    fixed = sorted({p.table for p in people if p.table is not None})
    if len(fixed) > 1:
        reasons.append(
            f'participants of meeting "{meeting_id}" are hosts at different tables {fixed}'
        )
    want = table
    if fixed:
        host_table = fixed[0]
        if table is not None and table != host_table:
            reasons.append(f'meeting "{meeting_id}" must be at its host\'s table {host_table}')
        want = host_table
    if want is not None:
        if not 1 <= want <= n_tables:
            reasons.append(f'slot "{slot}" has no table {want} (tables 1 to {n_tables})')
        for mid, t in in_slot:
            if t == want:
                reasons.append(f'table {want} in slot "{slot}" is taken by meeting "{mid}"')
    if not was_scheduled:
        for p in people:
            if p.max_meetings is None:
                continue
            load = sum(
                1
                for mid, _, _ in others
                if mid in instance.meeting_by_id
                and p.id in instance.meeting_by_id[mid].participants
            )
            if load >= p.max_meetings:
                reasons.append(
                    f'participant "{p.id}" already has {load} meetings (max_meetings {p.max_meetings})'
                )
    return reasons


def apply_move(
    instance: Instance,
    schedule: Schedule | dict[str, Any],
    meeting_id: str,
    slot: str,
    table: int | None = None,
) -> list[Assignment]:
    """The assignments after an allowed move (call check_move first); picks a free table if none."""
    current = [a for a in _assignments(schedule) if a[0] != meeting_id]
    if table is None:
        meeting = instance.meeting_by_id[meeting_id]
        fixed = [
            instance.participant_by_id[p].table
            for p in meeting.participants
            if instance.participant_by_id[p].table is not None
        ]
        if fixed:
            table = fixed[0]
        else:
            used = {t for _, s, t in current if s == slot}
            table = next(t for t in range(1, instance.tables[slot] + 1) if t not in used)
    out = [Assignment(mid, s, t) for mid, s, t in current]
    out.append(Assignment(meeting_id, slot, table))
    return out
