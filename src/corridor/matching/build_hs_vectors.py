"""Precompute the embeddings shipped in matching/data (run once per model, or after editing the
seed examples).

    python -m corridor.matching.build_hs_vectors          # subheadings and seeds, ~4 minutes
    python -m corridor.matching.build_hs_vectors seeds    # the seed examples only, ~1 minute
    python -m corridor.matching.build_hs_vectors uk       # the UK learning examples, ~1 minute

Writes data/hs_vectors.npy (int8, rows in subheading code order) with data/hs_vectors.json (the
model name and the codes), and data/hs_seed_vectors.npy (rows in the order of
hs_seed_examples.csv) with data/hs_seed_vectors.json (the model name and a digest of the texts).
hs_suggest checks the JSON before using a matrix, and embeds at start-up when it does not match.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from corridor.matching.hs import subheadings

DATA = Path(__file__).resolve().parent / "data"
SEEDS = DATA / "hs_seed_examples.csv"


def hs_passage(code: str) -> str:
    """The text embedded for a subheading: heading and subheading descriptions.

    The chapter is left out: its broad words ("Vegetable products", "Machinery") pull every
    subheading of a chapter together and blur the differences that matter.
    """
    from corridor.matching.hs import nomenclature

    table = nomenclature()
    entry = table[code]
    heading = table.get(entry.parent)
    if heading and heading.description not in entry.description:
        return f"{entry.description} ({heading.description})"
    return entry.description


def quantise(vectors: np.ndarray) -> np.ndarray:
    """int8 with a fixed scale: unit vectors of 384 dims have components well under 0.5."""
    return np.clip(np.round(vectors * 254), -127, 127).astype(np.int8)


def dequantise(stored: np.ndarray) -> np.ndarray:
    vectors = stored.astype(np.float32) / 254
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def build(embedder=None, out_dir: Path = DATA) -> Path:
    """Embed every subheading with the embedder (default: E5, untruncated) and save."""
    from corridor.matching.embedding import E5Embedder

    embedder = embedder or E5Embedder(max_tokens=None, batch_size=64, cache_size=0)
    codes = [e.code for e in subheadings()]
    texts = [hs_passage(c) for c in codes]
    started = time.perf_counter()
    vectors = embedder.embed_passages(texts)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / "hs_vectors.npy", quantise(vectors))
    meta = {"model": _model_id(embedder), "codes": codes, "text": "subheading (heading)"}
    (out_dir / "hs_vectors.json").write_text(json.dumps(meta), encoding="utf-8")
    print(f"{len(codes)} subheadings embedded in {time.perf_counter() - started:.0f} s")
    return out_dir / "hs_vectors.npy"


def read_seeds(path: Path = SEEDS) -> list[tuple[str, str]]:
    """The shipped (text, code) seed examples, in file order."""
    with path.open(encoding="utf-8", newline="") as stream:
        return [(row["text"], row["code"]) for row in csv.DictReader(stream)]


def seeds_digest(seeds: list[tuple[str, str]]) -> str:
    return hashlib.sha256("\n".join(text for text, _ in seeds).encode()).hexdigest()[:16]


def build_seeds(embedder=None, out_dir: Path = DATA) -> Path:
    """Embed the seed examples as queries (they are compared with query vectors) and save."""
    from corridor.matching.embedding import E5Embedder

    embedder = embedder or E5Embedder(batch_size=64, cache_size=0)
    seeds = read_seeds()
    started = time.perf_counter()
    vectors = embedder.embed_queries([text for text, _ in seeds])
    np.save(out_dir / "hs_seed_vectors.npy", quantise(vectors))
    meta = {"model": _model_id(embedder), "texts": seeds_digest(seeds), "count": len(seeds)}
    (out_dir / "hs_seed_vectors.json").write_text(json.dumps(meta), encoding="utf-8")
    print(f"{len(seeds)} seed examples embedded in {time.perf_counter() - started:.0f} s")
    return out_dir / "hs_seed_vectors.npy"


UK_EXAMPLES = DATA / "uk_references_learn.csv"


def read_uk_examples(path: Path = UK_EXAMPLES) -> list[tuple[str, str]]:
    """The learning part of the UK reference texts (text, hs6), in file order."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as stream:
        return [(row["text"], row["code"]) for row in csv.DictReader(stream)]


def build_uk(embedder=None, out_dir: Path = DATA) -> Path:
    """Embed the UK learning examples as queries and save (like the seeds)."""
    from corridor.matching.embedding import E5Embedder

    embedder = embedder or E5Embedder(batch_size=64, cache_size=0)
    rows = read_uk_examples()
    started = time.perf_counter()
    vectors = embedder.embed_queries([text for text, _ in rows])
    np.save(out_dir / "uk_example_vectors.npy", quantise(vectors))
    meta = {"model": _model_id(embedder), "texts": seeds_digest(rows), "count": len(rows)}
    (out_dir / "uk_example_vectors.json").write_text(json.dumps(meta), encoding="utf-8")
    print(f"{len(rows)} UK examples embedded in {time.perf_counter() - started:.0f} s")
    return out_dir / "uk_example_vectors.npy"


def _model_id(embedder) -> str:
    # The truncation of passages does not change the model: HS texts are embedded whole.
    return embedder.name.split("/")[0]


def main(argv: list[str] | None = None) -> int:
    argv = argv or []
    if "uk" in argv:
        build_uk()
        return 0
    if "seeds" not in argv:
        build()
    build_seeds()
    build_uk()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
