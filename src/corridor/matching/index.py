"""Nearest-neighbour index of unit vectors: exact numpy search when small, usearch HNSW when large."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

# Below this many vectors an exact matrix product beats a graph index (and is exact).
EXACT_LIMIT = 50_000
# The graph: int8 vectors (1,000,000 x 384 in about 400 MB, memory-mapped and shared by the web
# processes), 16 links per node, built with expansion_add 128, searched with a walk of at least
# SEARCH_WIDTH nodes at 1,000,000 (fewer for a smaller graph: `walk`). Recall at scale is set by the walk: on 1,000,000 vectors with many
# near-duplicates (bench/matching.py --levers, docs/matching.md "Vector index") a walk of 200
# put 0.67 of the exact top 10 among the 100 candidates, 1,600 0.91, 3,200 0.96 (0.958 among
# the supplier page's 60); int8 is not the limit (an exact int8 scan finds all of them) and
# re-ordering more results by the stored vectors finds no more. The walk is not free: the
# search alone takes 12.3 ms of CPU at p50 with 3,200 against 1.3 ms with 200 (session 8).
HNSW_DTYPE = "i8"
CONNECTIVITY = 16
SEARCH_WIDTH = 3200  # from 1,000,000 vectors
# A smaller graph needs a shorter walk: at 100,000 (ten near-duplicates per offer) a walk of
# 1,200 already puts all of the exact top 10 among the 60 candidates (800: 0.99, 400: 0.95)
# in 3.6 ms against 9.3 ms for 3,200 (session 9). Between the two sizes the walk grows with
# the logarithm of the size (`walk`).
SMALL_WIDTH = 1200  # up to 100,000 vectors
OVERSAMPLE = 1  # results fetched per result asked, re-ordered by the stored vectors when > 1


def walk(n: int) -> int:
    """The graph walk (usearch's expansion_search) for a graph of n vectors: SMALL_WIDTH up to
    100,000, SEARCH_WIDTH from 1,000,000, log-linear between."""
    if n <= 100_000:
        return min(SMALL_WIDTH, SEARCH_WIDTH)
    if n >= 1_000_000:
        return SEARCH_WIDTH
    share = math.log10(n / 100_000)
    return round(SMALL_WIDTH * (SEARCH_WIDTH / SMALL_WIDTH) ** share)


class VectorIndex:
    """Cosine search over L2-normalised vectors identified by integer keys.

    `kind` is "exact" (a float32 matrix, one product per query), "hnsw" (usearch, int8
    quantised, logarithmic search) or "auto": exact up to EXACT_LIMIT vectors, HNSW beyond. An
    exact index converts itself to HNSW when it grows past the limit.
    """

    def __init__(
        self, dim: int, kind: str = "auto", *, threads: int = 0, expansion_add: int = 128
    ) -> None:
        if kind not in {"auto", "exact", "hnsw"}:
            raise ValueError(f"unknown index kind {kind!r}")
        self.dim, self.kind, self.threads = dim, kind, threads
        # Graph quality at build time. On 100,000 E5 vectors with near-duplicates, 128 (usearch's
        # default) finds 96% of the exact top 10 among its 100 candidates, 64 only 86%, for
        # twice the build time (~9 s per 100,000 on two idle cores).
        self.expansion_add = expansion_add
        self._keys = np.zeros(0, dtype=np.int64)
        self._matrix = np.zeros((0, dim), dtype=np.float32)
        self._hnsw = None
        self._lookup: dict[int, int] | None = None  # key -> row of the exact matrix, lazily
        if kind == "hnsw":
            self._hnsw = self._new_hnsw()

    def _new_hnsw(self):
        from usearch.index import Index

        return Index(
            ndim=self.dim,
            metric="cos",
            dtype=HNSW_DTYPE,
            connectivity=CONNECTIVITY,
            expansion_add=self.expansion_add,
        )

    @property
    def is_hnsw(self) -> bool:
        return self._hnsw is not None

    def __len__(self) -> int:
        return len(self._hnsw) if self._hnsw is not None else len(self._keys)

    def add(self, keys, vectors: np.ndarray) -> None:
        """Add vectors under keys (integers, e.g. database ids); an existing key is replaced."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dim)
        if not len(keys):
            return
        self.remove(keys)
        if self._hnsw is not None:
            self._hnsw.add(keys, vectors, threads=self.threads)
            return
        self._lookup = None
        self._keys = np.concatenate([self._keys, keys])
        self._matrix = np.vstack([self._matrix, vectors])
        if self.kind == "auto" and len(self._keys) > EXACT_LIMIT:
            self._hnsw = self._new_hnsw()
            self._hnsw.add(self._keys, self._matrix, threads=self.threads)
            self._keys = np.zeros(0, dtype=np.int64)
            self._matrix = np.zeros((0, self.dim), dtype=np.float32)

    def remove(self, keys) -> None:
        """Forget vectors (unknown keys are ignored)."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        if self._hnsw is not None:
            for key in keys:
                if self._hnsw.contains(int(key)):
                    self._hnsw.remove(int(key))
            return
        if len(self._keys):
            keep = ~np.isin(self._keys, keys)
            if not keep.all():
                self._keys, self._matrix = self._keys[keep], self._matrix[keep]
                self._lookup = None

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, cosine similarities) of the k nearest vectors, best first."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        n = len(self)
        if not n or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, n)
        if self._hnsw is not None:
            # The graph walk keeps `expansion_search` candidates: it must exceed what it returns.
            wanted = min(n, OVERSAMPLE * k)
            self._hnsw.expansion_search = max(2 * wanted, walk(n))
            found = self._hnsw.search(query, wanted, threads=self.threads)
            keys = np.asarray(found.keys, dtype=np.int64)
            sims = (1 - np.asarray(found.distances)).astype(np.float32)
            if OVERSAMPLE > 1 and len(keys):  # the stored vectors order the best k
                sims = self.vectors_of(keys) @ query
                order = np.lexsort((keys, -sims))[:k]
                keys, sims = keys[order], sims[order]
            return keys, sims.astype(np.float32)
        sims = self._matrix @ query
        part = np.argpartition(-sims, k - 1)[:k] if k < n else np.arange(n)
        order = np.lexsort((self._keys[part], -sims[part]))
        return self._keys[part[order]], sims[part[order]]

    def vectors_of(self, keys) -> np.ndarray:
        """Stored vectors of keys (float32; int8-quantised ones come back approximate)."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        if self._hnsw is not None:
            return np.asarray(self._hnsw.get(keys, dtype="f32"), dtype=np.float32).reshape(
                len(keys), self.dim
            )
        if self._lookup is None:
            self._lookup = {int(k): i for i, k in enumerate(self._keys)}
        return self._matrix[[self._lookup[int(k)] for k in keys]]

    def save(self, path: str | os.PathLike) -> None:
        """Write the index to a file path (a directory is not needed)."""
        path = Path(path)
        if self._hnsw is not None:
            self._hnsw.save(str(path))
            return
        with path.open("wb") as fh:
            np.savez(fh, keys=self._keys, matrix=self._matrix.astype(np.float16), dim=self.dim)

    def write(self, folder: str | os.PathLike) -> None:
        """Save into a folder in a form `open` memory-maps: `vectors.npy` (exact) or
        `hnsw.usearch` (graph)."""
        folder = Path(folder)
        if self._hnsw is not None:
            self._hnsw.save(str(folder / "hnsw.usearch"))
            return
        np.save(folder / "keys.npy", self._keys)
        np.save(folder / "vectors.npy", self._matrix.astype(np.float32))

    @classmethod
    def open(cls, folder: str | os.PathLike, *, threads: int = 0) -> VectorIndex:
        """The index written by `write`, memory-mapped (read-only): processes that open the
        same folder share its pages instead of each holding a copy."""
        folder = Path(folder)
        graph = folder / "hnsw.usearch"
        if graph.exists():
            from usearch.index import Index

            hnsw = Index.restore(str(graph), view=True)
            index = cls(hnsw.ndim, "auto", threads=threads)
            index._hnsw = hnsw
            return index
        matrix = np.load(folder / "vectors.npy", mmap_mode="r")
        index = cls(int(matrix.shape[1]), "exact", threads=threads)
        index._keys = np.load(folder / "keys.npy")
        index._matrix = matrix
        return index

    @classmethod
    def load(cls, path: str | os.PathLike, *, threads: int = 0) -> VectorIndex:
        """Read an index written by save(); the format is recognised from the file."""
        path = Path(path)
        with path.open("rb") as fh:
            magic = fh.read(4)
        if magic.startswith(b"PK"):  # a numpy .npz archive: an exact index
            data = np.load(path)
            index = cls(int(data["dim"]), "auto", threads=threads)
            index._keys = data["keys"].astype(np.int64)
            index._lookup = None
            index._matrix = data["matrix"].astype(np.float32)
            return index
        from usearch.index import Index

        hnsw = Index.restore(str(path))
        index = cls(hnsw.ndim, "auto", threads=threads)
        index._hnsw = hnsw
        return index
