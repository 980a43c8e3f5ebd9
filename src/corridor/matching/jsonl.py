"""JSON Lines input and output for the command-line tools (UTF-8, '-' is standard in/out)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


@contextmanager
def open_input(path: str) -> Iterator[TextIO]:
    """A text stream for a path, '-' meaning standard input, always read as UTF-8."""
    if path == "-":
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace")
        try:
            yield stream
        finally:
            stream.detach()  # closing the wrapper would close the process's standard input
    else:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            yield fh


def read_rows(stream: TextIO) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed object or None, error or None) for each non-blank line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield number, None, f"invalid JSON: {exc.msg}"


def report(path: str, number: int, message: str) -> None:
    """A bad row on standard error, with its file and line number."""
    name = "<stdin>" if path == "-" else path
    print(f"{name}:{number}: {message}", file=sys.stderr)


@contextmanager
def writer() -> Iterator[TextIO]:
    """Standard output as UTF-8 whatever the locale (JSON Lines are UTF-8)."""
    sys.stdout.flush()
    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    try:
        yield stream
    finally:
        stream.flush()
        stream.detach()  # leave sys.stdout open for whoever called us


def dump(out: TextIO, obj: Any) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
