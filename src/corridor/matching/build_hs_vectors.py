"""Precompute the embeddings shipped in matching/data (run once per model, or after editing the
seed examples).

    python -m corridor.matching.build_hs_vectors          # subheadings and seeds, ~4 minutes
    python -m corridor.matching.build_hs_vectors seeds    # the seed examples only, ~1 minute
    python -m corridor.matching.build_hs_vectors uk       # the UK learning examples, ~1 minute
    python -m corridor.matching.build_hs_vectors hts      # the US HTS text, ~6 minutes idle

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


HTS_CHUNK_CHARS = 160  # about 40 model tokens: a few product names per piece
# One piece per subheading: its first 160 characters name its main products. More pieces
# (3: 8,040 pieces, 0.92 M characters) were not affordable to embed on the shared machine.
HTS_CHUNKS = 1


def hts_chunks(text: str) -> list[str]:
    """The HTS text of one subheading cut at its "; " boundaries into up to HTS_CHUNKS pieces
    of about HTS_CHUNK_CHARS. Pieces after the first start with the first segment ("Cattle:
    Steers; Bulls"), which usually names the product the later segments qualify."""
    segments = [s for s in text.split("; ") if s]
    pieces: list[str] = []
    current = ""
    for segment in segments:
        if current and len(current) + len(segment) + 2 > HTS_CHUNK_CHARS:
            pieces.append(current)
            current = segment
        else:
            current = f"{current}; {segment}" if current else segment
    if current:
        pieces.append(current)
    pieces = [_cut(p) for p in pieces[:HTS_CHUNKS]]
    return pieces[:1] + [f"{segments[0]}: {p}" for p in pieces[1:]]


def _cut(text: str) -> str:
    """At most HTS_CHUNK_CHARS characters, cut at a space (one segment can be 700 long)."""
    if len(text) <= HTS_CHUNK_CHARS:
        return text
    cut = text[:HTS_CHUNK_CHARS]
    return cut[: cut.rfind(" ")] if " " in cut else cut


def hts_rows() -> tuple[list[str], list[str]]:
    """(code, chunk text) rows of the HTS vectors, in subheading code order."""
    from corridor.matching.hs_suggest import hts_text

    codes, texts = [], []
    extra = hts_text()
    for entry in subheadings():
        for piece in hts_chunks(extra.get(entry.code, "")):
            codes.append(entry.code)
            texts.append(piece)
    return codes, texts


def build_hts(embedder=None, out_dir: Path = DATA) -> Path:
    """Embed the HTS text of every subheading, in chunks, as passages (untruncated), and save
    data/hts_vectors.npy (int8) with data/hts_vectors.json (model, digest, code of each row)."""
    from corridor.matching.embedding import E5Embedder

    embedder = embedder or E5Embedder(max_tokens=None, batch_size=64, cache_size=0)
    codes, texts = hts_rows()
    started = time.perf_counter()
    # Shortest first: a batch is padded to its longest text.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    vectors[order] = embedder.embed_passages([texts[i] for i in order])
    np.save(out_dir / "hts_vectors.npy", quantise(vectors))
    meta = {"model": _model_id(embedder), "texts": seeds_digest([(t, "") for t in texts])}
    meta["codes"] = codes
    (out_dir / "hts_vectors.json").write_text(json.dumps(meta), encoding="utf-8")
    print(f"{len(texts)} HTS pieces embedded in {time.perf_counter() - started:.0f} s")
    return out_dir / "hts_vectors.npy"


def _model_id(embedder) -> str:
    # The truncation of passages does not change the model: HS texts are embedded whole.
    return embedder.name.split("/")[0]


def main(argv: list[str] | None = None) -> int:
    argv = argv or []
    if "uk" in argv:
        build_uk()
        return 0
    if "hts" in argv:
        build_hts()
        return 0
    if "seeds" not in argv:
        build()
    build_seeds()
    build_uk()
    build_hts()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
