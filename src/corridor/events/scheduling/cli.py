"""`corridor schedule ...`: solve, resolve after changes, and check a hand-made move (JSON files)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .model import InputError, Schedule, parse_instance
from .moves import apply_move, check_move
from .resolve import parse_previous, resolve
from .solver import DEFAULT_TIME_LIMIT, solve

EXIT_OK, EXIT_REFUSED, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its message short
        raise InputError(message)


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="corridor schedule", description="Meeting scheduler for matchmaking events.")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--input", required=True, help="event JSON (slots, tables, ...)")
    common.add_argument("--output", help="write the result here (default: standard output)")
    common.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="seconds")
    common.add_argument("--seed", type=int, default=0)
    sv = sub.add_parser("solve", parents=[common], help="schedule the meetings")
    sv.add_argument(
        "--iterations",
        type=int,
        help="stop after this many improvement rounds (reproducible on any machine, as long as "
        "the time limit is not reached first)",
    )
    sv.add_argument(
        "--max-break-spread",
        type=int,
        metavar="D",
        help="keep the spread of breaks (most minus fewest, over participants with two meetings "
        'or more) at most D when possible (overrides the input key "max_break_spread")',
    )
    r = sub.add_parser("resolve", parents=[common], help="re-schedule after late changes")
    r.add_argument("--previous", required=True, help="output of an earlier solve or resolve")
    r.add_argument("--changes", required=True, help="changes JSON (see docs/scheduler.md)")
    c = sub.add_parser("check", help="check a hand-made move of one meeting")
    c.add_argument("--input", required=True)
    c.add_argument("--schedule", required=True, help="the current schedule (an output)")
    c.add_argument("--meeting", required=True)
    c.add_argument("--slot", required=True)
    c.add_argument("--table", type=int)
    c.add_argument("--output", help="when the move is allowed, write the new schedule here")
    return ap


def _load(path: str, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {what} file {path}: {exc.strerror}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} file {path} is not valid JSON: {exc}") from exc


def _write(data: dict[str, Any], path: str | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    # Write then rename, so a reader never sees half a file.
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=".schedule-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def process_started() -> float:
    """When this process started, on the perf_counter clock (Linux); else now.

    The time limit covers the whole run, so the interpreter start-up and imports (~0.3 s with
    numpy and HiGHS) count too.
    """
    now = time.perf_counter()
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat: start time in clock ticks after boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - age if 0 <= age < 60 else now


def main(argv: list[str]) -> int:
    started = process_started()
    try:
        args = _parser().parse_args(argv)
        if getattr(args, "time_limit", 1.0) <= 0:
            raise InputError("--time-limit must be positive")
        raw = _load(args.input, "input")
        if args.command == "solve":
            instance = parse_instance(raw)
            if args.iterations is not None and args.iterations < 0:
                raise InputError("--iterations must be non-negative")
            if args.max_break_spread is not None and args.max_break_spread < 0:
                raise InputError("--max-break-spread must be non-negative")
            result = solve(
                instance,
                args.time_limit,
                args.seed,
                started=started,
                iterations=args.iterations,
                max_break_spread=args.max_break_spread,
            )
            _write(result.to_json(), args.output)
            return EXIT_OK
        if args.command == "resolve":
            previous = _load(args.previous, "previous schedule")
            changes = _load(args.changes, "changes")
            result = resolve(raw, previous, changes, args.time_limit, args.seed, started=started)
            _write(result.to_json(), args.output)
            return EXIT_OK
        instance = parse_instance(raw)
        schedule = _load(args.schedule, "schedule")
        parse_previous(schedule, instance)  # validates the entries
        reasons = check_move(instance, schedule, args.meeting, args.slot, args.table)
        report: dict[str, Any] = {"ok": not reasons, "reasons": reasons}
        if reasons:
            _write(report, None)
            return EXIT_REFUSED
        if args.output:
            moved = apply_move(instance, schedule, args.meeting, args.slot, args.table)
            ids = {a.meeting for a in moved}
            new = Schedule(moved, [m.id for m in instance.meetings if m.id not in ids])
            out = new.to_json()
            out.pop("stats")
            _write(out, args.output)
        _write(report, None)
        return EXIT_OK
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
