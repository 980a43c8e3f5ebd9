"""Re-scheduling during the event: frozen past slots, no-shows for the rest of a day, days."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_scheduling_properties import instances, validate

from corridor.events.scheduling import InputError, apply_changes, parse_instance, resolve, solve
from corridor.events.scheduling.cli import main

SLOTS = ["A1", "A2", "A3", "B1", "B2", "B3"]
DAYS = [["A1", "A2", "A3"], ["B1", "B2", "B3"]]


def two_days() -> dict[str, Any]:
    return {
        "slots": SLOTS,
        "days": DAYS,
        "tables": 2,
        "participants": [{"id": f"p{i}"} for i in range(1, 7)],
        "meetings": [
            {"id": "m1", "participants": ["p1", "p2"]},
            {"id": "m2", "participants": ["p1", "p3"]},
            {"id": "m3", "participants": ["p1", "p4"]},
            {"id": "m4", "participants": ["p2", "p3"]},
            {"id": "m5", "participants": ["p5", "p6"]},
            {"id": "m6", "participants": ["p1", "p5"]},
        ],
    }


def previous(placed: dict[str, tuple[str, int]]) -> dict[str, Any]:
    return {
        "assignments": [{"meeting": m, "slot": s, "table": t} for m, (s, t) in placed.items()],
        "unscheduled": [],
    }


def where(out: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {a["meeting"]: (a["slot"], a["table"]) for a in out["assignments"]}


def test_frozen_before_keeps_the_past_and_places_nothing_there() -> None:
    raw = two_days()
    raw["meetings"].append({"id": "m7", "participants": ["p4", "p6"]})
    # A2 has a free table and m7's participants are free in A1 and A2.
    prev = previous(
        {"m1": ("A1", 1), "m5": ("A1", 2), "m2": ("A2", 1), "m3": ("A3", 1), "m4": ("B1", 1)}
    )
    changes = {"frozen_before": "A3", "cancel": ["m3"], "no_show": ["p2"]}

    out = resolve(raw, prev, changes, time_limit=2).to_json()

    now = where(out)
    # The past stays exactly, even the no-show's meeting already held (m1).
    assert now["m1"] == ("A1", 1)
    assert now["m5"] == ("A1", 2)
    assert now["m2"] == ("A2", 1)
    # m4 (with the no-show) is dropped; the new ones go only to A3 or later.
    assert "m4" not in now
    assert out["dropped"] == ["m4"]
    assert now["m7"][0] in {"A3", "B1", "B2", "B3"}
    assert now["m6"][0] in {"A3", "B1", "B2", "B3"}
    assert {a["slot"] for a in out["assignments"] if a["meeting"] not in {"m1", "m5", "m2"}} <= {
        "A3",
        "B1",
        "B2",
        "B3",
    }
    assert not set(out["moved"]) & {"m1", "m5", "m2"}


def test_frozen_past_survives_fewer_tables_and_new_unavailability() -> None:
    raw = two_days()
    prev = previous({"m1": ("A1", 1), "m5": ("A1", 2), "m2": ("A2", 1)})
    changes = {"frozen_before": "B1", "tables": 1, "unavailable": {"p1": ["A1", "A2", "B2"]}}

    out = resolve(raw, prev, changes, time_limit=2).to_json()

    now = where(out)
    assert now["m1"] == ("A1", 1) and now["m5"] == ("A1", 2) and now["m2"] == ("A2", 1)
    assert out["moved"] == []
    # One table from B1 on, p1 unavailable in B2: each remaining meeting takes its own slot.
    assert sorted(now[m][0] for m in ("m3", "m4", "m6")) == ["B1", "B2", "B3"]
    assert now["m4"][0] == "B2"


def test_no_show_from_slot_is_unavailable_for_the_rest_of_that_day_only() -> None:
    raw = two_days()
    prev = previous(
        {"m1": ("A1", 1), "m2": ("A2", 1), "m3": ("A3", 1), "m6": ("B1", 1), "m4": ("B2", 1)}
    )
    changes = {"frozen_before": "A2", "no_show": [{"participant": "p1", "from_slot": "A2"}]}

    out = resolve(raw, prev, changes, time_limit=2).to_json()

    now = where(out)
    assert now["m1"] == ("A1", 1)  # before the no-show: kept
    # Day B is untouched: m6 and m4 stay exactly (slot and table).
    assert now["m6"] == ("B1", 1)
    assert now["m4"] == ("B2", 1)
    # p1's meetings of day A from A2 on cannot stay; day B has room around m6 for both.
    assert sorted(now[m][0] for m in ("m2", "m3")) == ["B2", "B3"]
    assert sorted(out["moved"]) == ["m2", "m3"]
    assert out["dropped"] == []


def test_no_show_from_slot_without_days_lasts_to_the_end() -> None:
    raw = two_days()
    del raw["days"]
    prev = previous({"m1": ("A1", 1), "m6": ("B1", 1)})
    changes = {"no_show": [{"participant": "p1", "from_slot": "A3"}]}

    out = resolve(raw, prev, changes, time_limit=2).to_json()

    now = where(out)
    assert now["m1"] == ("A1", 1)
    assert now.get("m6", ("A2", 0))[0] == "A2"  # A2 is the only slot p1 still has free


def test_resolve_output_is_valid_against_the_changed_input() -> None:
    raw = two_days()
    prev = previous({"m1": ("A1", 1), "m2": ("A2", 1), "m5": ("A2", 2)})
    changes = {"frozen_before": "A3", "no_show": [{"participant": "p5", "from_slot": "A3"}]}

    out = resolve(raw, prev, changes, time_limit=2).to_json()

    check = two_days()
    check["participants"][4]["unavailable"] = ["A3"]
    validate(check, out)
    assert where(out)["m5"] == ("A2", 2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"frozen_before": "Z9"}, 'changes: "frozen_before" names unknown slot "Z9"'),
        ({"frozen_before": 3}, 'changes: "frozen_before" names unknown slot "3"'),
        (
            {"no_show": [{"participant": "p1", "from_slot": "Z9"}]},
            'changes: no-show of "p1" names unknown slot "Z9"',
        ),
        (
            {"no_show": [{"participant": "p1", "slot": "A1"}]},
            'changes: "no_show" entry has unknown key "slot"',
        ),
        ({"no_show": [{"from_slot": "A1"}]}, 'changes: "no_show" entry needs a "participant" id'),
        ({"no_show": [{"participant": "p99"}]}, 'changes: no-show participant "p99" is unknown'),
    ],
)
def test_bad_changes_are_refused_with_a_clear_message(changes: dict, message: str) -> None:
    with pytest.raises(InputError) as err:
        resolve(two_days(), previous({}), changes, time_limit=1)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ([["A1", "A2"], ["B1", "B2", "B3"]], 'slot "A3" must be in exactly one day'),
        ([["A1", "A2", "A3", "B1"], ["B1", "B2", "B3"]], 'slot "B1" must be in exactly one day'),
        ([["B1", "B2", "B3"], ["A1", "A2", "A3"]], "must list the slots in the order"),
        ([["A1", "A2", "A3", "X"]], 'day 1 names unknown slot "X"'),
        ([], "non-empty list"),
        ("A1", "non-empty list"),
    ],
)
def test_bad_days_are_refused(days: Any, message: str) -> None:
    raw = two_days()
    raw["days"] = days
    with pytest.raises(InputError) as err:
        parse_instance(raw)
    assert message in str(err.value)


def test_cli_resolve_reads_the_new_change_keys(tmp_path: Path) -> None:
    files = {
        "in.json": two_days(),
        "prev.json": previous({"m1": ("A1", 1), "m2": ("A2", 1), "m6": ("B1", 1)}),
        "changes.json": {
            "frozen_before": "A2",
            "no_show": [{"participant": "p1", "from_slot": "A2"}],
        },
    }
    for name, data in files.items():
        (tmp_path / name).write_text(json.dumps(data))
    out = tmp_path / "out.json"

    code = main(
        [
            "resolve",
            "--input",
            str(tmp_path / "in.json"),
            "--previous",
            str(tmp_path / "prev.json"),
            "--changes",
            str(tmp_path / "changes.json"),
            "--output",
            str(out),
            "--time-limit",
            "2",
        ]
    )

    assert code == 0
    result = json.loads(out.read_text())
    now = where(result)
    assert now["m1"] == ("A1", 1)
    assert now["m6"] == ("B1", 1)
    assert now.get("m2", ("B2",))[0] in {"B2", "B3"}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_frozen_past_and_day_no_shows_on_random_events(
    raw: dict[str, Any], data: st.DataObject
) -> None:
    slots = raw["slots"]
    if len(slots) > 1 and data.draw(st.booleans()):
        cut = data.draw(st.integers(1, len(slots) - 1))
        raw["days"] = [slots[:cut], slots[cut:]]
    first = solve(parse_instance(raw), time_limit=0.3, seed=1, iterations=1).to_json()
    frozen_before = data.draw(st.sampled_from(slots))
    frozen = set(slots[: slots.index(frozen_before)])
    pids = [p["id"] for p in raw["participants"]]
    who = data.draw(st.sampled_from(pids))
    changes: dict[str, Any] = {
        "frozen_before": frozen_before,
        "no_show": [{"participant": who, "from_slot": data.draw(st.sampled_from(slots))}],
    }
    if data.draw(st.booleans()):
        changes["no_show"].append(
            data.draw(st.sampled_from([p for p in pids if p != who] or [who]))
        )

    out = resolve(raw, first, changes, time_limit=0.3, seed=1).to_json()

    before = where(first)
    after = where(out)
    # The past is kept exactly, and nothing new goes there.
    assert {m: v for m, v in before.items() if v[0] in frozen} == {
        m: v for m, v in after.items() if v[0] in frozen
    }
    # Everything else satisfies the changed input (the no-shows from their slot on).
    check, _ = apply_changes(raw, changes)
    for m in check["meetings"]:
        if m.get("locked_slot") in frozen and m["id"] not in after:
            m["locked_slot"] = None
    validate(check, out)
