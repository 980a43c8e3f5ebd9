"""Saved catalogs on disk: one folder per published version, and the CURRENT file readers follow.

A writer fills a hidden folder, renames it into place and then replaces CURRENT (both renames
are atomic), so a reader sees either the old version or the whole new one, never half of it.
Readers memory-map the folder's files; an old folder is deleted two versions later, and a
process that still maps it keeps its pages until it lets go (POSIX unlink semantics).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

POINTER = "CURRENT"
KEEP = 2  # published folders kept: the current one and the one before it


def publish(root: str | os.PathLike, write: Callable[[Path], None]) -> str:
    """Let `write` fill a new folder, make it the current version; returns its name."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = f"v{time.time_ns():020d}-{os.getpid()}"
    staging = root / f".staging-{name}"
    staging.mkdir()
    try:
        write(staging)
        os.replace(staging, root / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pointer = root / f".{POINTER}-{name}"
    pointer.write_text(name, encoding="ascii")
    os.replace(pointer, root / POINTER)
    _prune(root, name)
    return name


def current(root: str | os.PathLike) -> str | None:
    """The name of the current version, or None when nothing usable was published."""
    root = Path(root)
    try:
        name = (root / POINTER).read_text(encoding="ascii").strip()
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None
    return name if name.startswith("v") and (root / name).is_dir() else None


def folder(root: str | os.PathLike, name: str) -> Path:
    return Path(root) / name


def _prune(root: Path, keep_name: str) -> None:
    versions = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("v"))
    for old in versions[:-KEEP]:
        if old.name != keep_name:
            shutil.rmtree(old, ignore_errors=True)
    # Staging folders of a writer that died (older than an hour) are litter.
    for stale in root.glob(".staging-*"):
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
