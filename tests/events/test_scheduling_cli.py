"""The `corridor schedule` command line: output contract, exit codes and error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_scheduling_properties import validate

from corridor.events.scheduling.cli import main

EVENT: dict[str, Any] = {
    "slots": ["S01", "S02", "S03"],
    "tables": 2,
    "participants": [
        {"id": "p1"},
        {"id": "p2", "unavailable": ["S01"]},
        {"id": "p3", "max_meetings": 2},
        {"id": "p4", "table": 2},
    ],
    "meetings": [
        {"id": "m1", "participants": ["p1", "p2"], "weight": 2},
        {"id": "m2", "participants": ["p1", "p3"], "locked_slot": "S01"},
        {"id": "m3", "participants": ["p3", "p4"], "allowed_slots": ["S02", "S03"]},
        {"id": "m4", "participants": ["p1", "p2", "p4"], "note": "unknown keys are ignored"},
    ],
}


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_solve_writes_the_contract(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code = main(
        [
            "solve",
            "--input",
            write(tmp_path, "in.json", EVENT),
            "--output",
            str(out),
            "--time-limit",
            "2",
            "--seed",
            "3",
        ]
    )
    assert code == 0
    result = json.loads(out.read_text())
    validate(EVENT, result)
    assert set(result) == {"assignments", "unscheduled", "stats"}
    # The contract's keys are all there; extra keys (break spread, rounds...) are allowed.
    assert set(result["stats"]) >= {
        "scheduled",
        "weight",
        "upper_bound",
        "breaks",
        "seconds",
        "status",
    }
    assert result["stats"]["participants_without_meeting"] == 0
    assert result["stats"]["status"] == "optimal" and result["stats"]["scheduled"] == 4


def test_solve_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "--input", write(tmp_path, "in.json", EVENT), "--time-limit", "1"]) == 0
    validate(EVENT, json.loads(capsys.readouterr().out))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda e: e["meetings"][0].update(participants=["p1", "p99"]),
            'meeting "m1" names unknown participant "p99"',
        ),
        (
            lambda e: e["participants"][0].update(unavailable=["S09"]),
            'participant "p1" names unknown slot "S09"',
        ),
        (
            lambda e: e["meetings"].append({"id": "m1", "participants": ["p1", "p3"]}),
            'duplicate meeting "m1"',
        ),
        (lambda e: e["participants"].append({"id": "p2"}), 'duplicate participant "p2"'),
        (lambda e: e["meetings"][0].update(participants=["p1"]), 'meeting "m1" has 1 participant'),
        (
            lambda e: e["meetings"][0].update(locked_slot="S01"),
            'meeting "m1" is locked in slot "S01" where participant "p2" is unavailable',
        ),
        (
            lambda e: e["meetings"][0].update(allowed_slots=["S07"]),
            'meeting "m1" names unknown slot "S07"',
        ),
        (lambda e: e.update(tables={"S01": 2}), 'no table count for slot "S02"'),
        (lambda e: e.update(slots=["S01", "S01"]), 'duplicate slot "S01"'),
    ],
)
def test_malformed_input_exit_2_names_the_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, message: str
) -> None:
    event = json.loads(json.dumps(EVENT))
    change(event)
    out = tmp_path / "out.json"
    code = main(["solve", "--input", write(tmp_path, "in.json", event), "--output", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not out.exists()


def test_invalid_json_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "--input", write(tmp_path, "bad.json", "{not json")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["solve", "--input", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["solve"]) == 2
    assert main(["frobnicate"]) == 2


def test_resolve_and_check_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inp = write(tmp_path, "in.json", EVENT)
    first = tmp_path / "first.json"
    assert main(["solve", "--input", inp, "--output", str(first), "--time-limit", "1"]) == 0
    changes = write(tmp_path, "changes.json", {"cancel": ["m1"], "unavailable": {"p3": ["S02"]}})
    second = tmp_path / "second.json"
    assert (
        main(
            [
                "resolve",
                "--input",
                inp,
                "--previous",
                str(first),
                "--changes",
                changes,
                "--output",
                str(second),
                "--time-limit",
                "1",
            ]
        )
        == 0
    )
    result = json.loads(second.read_text())
    assert {"moved", "added", "dropped"} <= set(result)
    assert "m1" not in {a["meeting"] for a in result["assignments"]}
    bad = write(tmp_path, "bad.json", {"cancel": ["m42"]})
    assert main(["resolve", "--input", inp, "--previous", str(first), "--changes", bad]) == 2
    assert 'cancelled meeting "m42" is unknown' in capsys.readouterr().err
    # A hand move into the slot where m2 is locked with p1 is refused, with the reason.
    m1_slot = next(
        a["slot"] for a in json.loads(first.read_text())["assignments"] if a["meeting"] == "m4"
    )
    code = main(
        ["check", "--input", inp, "--schedule", str(first), "--meeting", "m4", "--slot", "S01"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and not report["ok"]
    assert any('participant "p2" is unavailable in slot "S01"' in r for r in report["reasons"])
    code = main(
        ["check", "--input", inp, "--schedule", str(first), "--meeting", "m4", "--slot", m1_slot]
    )
    assert code == 0 and json.loads(capsys.readouterr().out)["ok"]


def test_console_script_subprocess(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("corridor")
    inp = write(tmp_path, "in.json", EVENT)
    done = subprocess.run(
        [str(exe), "schedule", "solve", "--input", inp, "--time-limit", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    validate(EVENT, json.loads(done.stdout))
    event = json.loads(json.dumps(EVENT))
    event["meetings"][0]["participants"] = ["p1", "p99"]
    bad = write(tmp_path, "bad.json", event)
    out = tmp_path / "out.json"
    done = subprocess.run(
        [str(exe), "schedule", "solve", "--input", bad, "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert 'error: meeting "m1" names unknown participant "p99"' in done.stderr
    assert not out.exists()
