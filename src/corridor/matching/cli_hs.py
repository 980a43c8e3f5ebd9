"""`corridor hs suggest`: HS 2022 subheadings for JSON Lines of product descriptions."""

from __future__ import annotations

import argparse
import sys

from corridor.matching.jsonl import dump, open_input, read_rows, report, writer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corridor hs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    suggest = sub.add_parser("suggest", help="suggest HS codes for each input row")
    suggest.add_argument("--input", required=True, help='JSON Lines {"id", "text"} (- for stdin)')
    suggest.add_argument("--top", type=int, default=5, help="suggestions per row (default 5)")
    suggest.add_argument(
        "--no-examples", action="store_true", help="ignore the database's confirmed examples"
    )
    return parser


def _examples() -> list[tuple[str, str]]:
    """Confirmed examples of the configured database, if any (fail-soft: none on any error)."""
    try:
        from corridor.matching.examples import load_confirmed

        return list(load_confirmed())
    except Exception:  # noqa: BLE001 - suggestions work without examples
        return []


def main(argv: list[str]) -> int:
    """Entry point; returns 0 when at least one row was processed."""
    args = _parser().parse_args(argv)
    if args.top < 1:
        print("--top must be at least 1", file=sys.stderr)
        return 2
    rows: list[tuple[object, str]] = []
    with open_input(args.input) as stream:
        for number, row, error in read_rows(stream):
            if error is None:
                if not isinstance(row, dict):
                    error = "a row must be a JSON object"
                elif row.get("id") in (None, ""):
                    error = "missing id"
                elif not isinstance(row.get("text"), str) or not row["text"].strip():
                    error = "missing text"
            if error:
                report(args.input, number, error)
                continue
            rows.append((row["id"], row["text"]))
    if not rows:
        print("no row could be processed", file=sys.stderr)
        return 1

    from corridor.matching.hs_suggest import HsSuggester

    suggester = HsSuggester(examples=[] if args.no_examples else _examples())
    with writer() as out:
        for start in range(0, len(rows), 64):
            batch = rows[start : start + 64]
            results = suggester.suggest_many([text for _, text in batch], top=args.top)
            for (row_id, _), suggestions in zip(batch, results, strict=True):
                dump(out, {"id": row_id, "suggestions": [s.as_dict() for s in suggestions]})
    return 0
