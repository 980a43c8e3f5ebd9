"""Records saved one pickle each in a memory-mapped file, unpickled only when read.

A web process that opens a saved catalog of 1,000,000 offers would otherwise unpickle every
offer and product row (about 1.7 GB of Python objects per process, and a minute or more before
its first page: bench/matching_app.py). Read on demand, it holds only the pages of the file it
touches, shared with the other processes by the operating system's page cache.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def write_records(folder: Path, name: str, records: Iterable[Any]) -> None:
    """Save records as `<name>.bin.npy` (the pickles, end to end) and `<name>.ends.npy`."""
    parts = [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in records]
    ends = np.cumsum([len(p) for p in parts], dtype=np.int64)
    np.save(folder / f"{name}.ends.npy", ends)
    np.save(folder / f"{name}.bin.npy", np.frombuffer(b"".join(parts), dtype=np.uint8))


class StoredRecords(Sequence):
    """The records saved by `write_records`, each unpickled when it is read."""

    def __init__(self, folder: Path, name: str) -> None:
        self._ends = np.load(folder / f"{name}.ends.npy", mmap_mode="r")
        self._bin = np.load(folder / f"{name}.bin.npy", mmap_mode="r")

    @staticmethod
    def exists(folder: Path, name: str) -> bool:
        return (folder / f"{name}.ends.npy").exists()

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self._ends)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        start = int(self._ends[i - 1]) if i else 0
        # Written by this module, never uploaded.
        return pickle.loads(self._bin[start : int(self._ends[i])].tobytes())  # noqa: S301

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self)))


class StoredPositions(Mapping):
    """Id -> position, over ids saved in ascending order: a binary search instead of a dict
    of every product in every process."""

    def __init__(self, ids: np.ndarray) -> None:
        self._ids = ids

    def __getitem__(self, key: int) -> int:
        if not isinstance(key, int | np.integer):
            raise KeyError(key)
        at = int(np.searchsorted(self._ids, key))
        if at >= len(self._ids) or int(self._ids[at]) != key:
            raise KeyError(key)
        return at

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[int]:
        return (int(k) for k in self._ids)


class StoredRows(Mapping):
    """Id -> record, for records saved in the order of their ascending ids; `fill` turns a
    stored record into the row handed out (say, an organisation id into its reference)."""

    def __init__(self, positions: StoredPositions, records: Sequence, fill=None) -> None:
        self._positions, self._records, self._fill = positions, records, fill

    def __getitem__(self, key: int):
        record = self._records[self._positions[key]]
        return self._fill(record) if self._fill is not None else record

    def __len__(self) -> int:
        return len(self._positions)

    def __iter__(self) -> Iterator[int]:
        return iter(self._positions)
