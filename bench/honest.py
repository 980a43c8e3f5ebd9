"""Evaluation on data nobody on the project wrote (imported by bench/matching.py).

Every figure is printed next to BM25 and a plain 50/50 mix of BM25 and the same embeddings,
computed in the same run:

* the reported part of the UK reference texts (bench/data/uk_references/split.csv, never
  tuned on): HS top-1/top-5 at 6 and 4 digits, and ranking nDCG@10 (each text a query against
  the others as offers; gain 2 for the same subheading, 1 for the same heading);
* hs-dev (bench/data/hs_benchmark_cases.csv, 78 cases): HS accuracy;
* the frozen long-description set (bench/data/long_descriptions.jsonl, 40 offers of 100-300
  words in 7 languages, written before any tuning): HS accuracy, and ranking with the long
  descriptions as the offers and every UK text sharing a heading with one of them as a query.

Embeddings of these sets are cached on disk under bench/out/ (git-ignored).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
OUT = ROOT / "bench" / "out"


class DiskCachedEmbedder:
    """An embedder whose vectors persist in bench/out/ between runs (the machine is shared)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        safe = self.name.replace("/", "_")
        self.path = OUT / f"embeddings-{safe}.npz"
        self._vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path) as stored:
                self._vectors = {k: stored[k] for k in stored.files}
        self._dirty = False

    def _key(self, text: str, kind: str) -> str:
        return hashlib.sha1(f"{kind}\0{text}".encode()).hexdigest()

    def _run(self, texts: Sequence[str], kind: str) -> np.ndarray:
        keys = [self._key(t, kind) for t in texts]
        missing = list(
            dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self._vectors)
        )
        if missing:
            fn = {
                "q": self.inner.embed_queries,
                "p": self.inner.embed_passages,
                "c": getattr(self.inner, "embed_chunks", None),
            }[kind]
            for text, vec in zip(missing, fn(missing), strict=True):
                self._vectors[self._key(text, kind)] = vec.astype(np.float32)
            self._dirty = True
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(list(texts), "q")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(list(texts), "p")

    def embed_chunks(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(list(texts), "c")

    def save(self) -> None:
        if self._dirty:
            OUT.mkdir(parents=True, exist_ok=True)
            np.savez(self.path, **self._vectors)
            self._dirty = False


class HeadOnly:
    """The embedder without chunk vectors: passages are the title and the first words only
    (the engine before long descriptions were chunked)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name + "-head", inner.dim
        self.embed_queries, self.embed_passages = inner.embed_queries, inner.embed_passages


# Data ----------------------------------------------------------------------------------------


def uk_rows(split: str) -> list[tuple[str, str]]:
    with (DATA / "uk_references" / "split.csv").open(encoding="utf-8", newline="") as fh:
        return [(r["text"], r["hs6"]) for r in csv.DictReader(fh) if r["split"] == split]


def dev_rows() -> list[tuple[str, str]]:
    mapping = {"080300": "080390", "851712": "851713", "390760": "390761", "854140": "854143"}
    with (DATA / "hs_benchmark_cases.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(r["text"], mapping.get(r["expected_hs_code"], r["expected_hs_code"])) for r in rows]


def long_items() -> list[dict]:
    lines = (DATA / "long_descriptions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def long_rows() -> list[tuple[str, str]]:
    return [(f"{it['title']}. {it['description']}", it["hs6"]) for it in long_items()]


# Measures ------------------------------------------------------------------------------------


def hs_accuracy(predictions: list[list[str]], gold: list[str]) -> dict[str, float]:
    out = {}
    for digits in (6, 4):
        for k in (1, 5):
            hits = [
                any(p[:digits] == g[:digits] for p in preds[:k])
                for preds, g in zip(predictions, gold, strict=True)
            ]
            out[f"top-{k} @{digits}"] = sum(hits) / max(1, len(hits))
    return out


def graded_ndcg(
    ranked_codes: list[str], code: str, all_codes: list[str], k: int = 10
) -> float | None:
    """nDCG@k with gain 2 for the same subheading and 1 for the same heading; None when no
    offer is relevant."""

    def gain(c: str) -> int:
        return 2 if c == code else 1 if c[:4] == code[:4] else 0

    ideal = sorted((gain(c) for c in all_codes), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    if not idcg:
        return None
    dcg = sum(gain(c) / math.log2(i + 2) for i, c in enumerate(ranked_codes[:k]))
    return dcg / idcg


def minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def top_k(scores: np.ndarray, k: int, exclude: int | None = None) -> list[int]:
    scores = scores.astype(np.float64, copy=True)
    if exclude is not None:
        scores[exclude] = -np.inf
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))].tolist()


# HS suggestion -------------------------------------------------------------------------------


def hs_baselines(embedder, texts: list[str]) -> dict[str, list[list[str]]]:
    """BM25 over the 6-digit nomenclature lines, and the plain 50/50 mix with the embedding."""
    from corridor.core.text import tokens
    from corridor.matching.build_hs_vectors import hs_passage
    from corridor.matching.hs import subheadings
    from corridor.matching.hs_suggest import _load_vectors
    from corridor.matching.lexical import BM25

    codes = [e.code for e in subheadings()]
    bm25 = BM25.build(tokens(hs_passage(c)) for c in codes)
    vectors = _load_vectors(embedder)
    qv = embedder.embed_queries(texts)
    out: dict[str, list[list[str]]] = {"BM25 (nomenclature)": [], "plain mix 50/50": []}
    for text, v in zip(texts, qv, strict=True):
        lex = bm25.scores(tokens(text))
        out["BM25 (nomenclature)"].append([codes[i] for i in top_k(lex, 5)])
        mix = 0.5 * minmax(lex) + 0.5 * minmax(vectors @ v)
        out["plain mix 50/50"].append([codes[i] for i in top_k(mix, 5)])
    return out


def print_hs(name: str, rows: list[tuple[str, str]], systems: dict[str, Callable]) -> dict:
    texts, gold = [r[0] for r in rows], [r[1] for r in rows]
    print(f"\n### HS suggestion, {name}: {len(rows)} texts")
    header = ["top-1 @6", "top-5 @6", "top-1 @4", "top-5 @4"]
    print(f"{'system':40}" + "".join(f"{h:>10}" for h in header))
    results = {}
    for sys_name, fn in systems.items():
        started = time.perf_counter()
        preds = fn(texts)
        elapsed = (time.perf_counter() - started) / max(1, len(texts)) * 1000
        res = hs_accuracy(preds, gold)
        results[sys_name] = res
        print(
            f"{sys_name:40}"
            + "".join(f"{res[h]:>10.3f}" for h in header)
            + f"   {elapsed:.1f} ms/text"
        )
    return results


# Ranking -------------------------------------------------------------------------------------


def ranking_baselines(
    embedder,
    offers: list[tuple[str, str]],
    queries: list[tuple[str, str]],
    self_index: list[int | None],
):
    """nDCG@10 of BM25 and the plain mix (min-max normalised BM25 and cosine, 50/50)."""
    from corridor.core.text import tokens
    from corridor.matching.lexical import BM25

    bm25 = BM25.build(tokens(t) for t, _ in offers)
    ov = embedder.embed_passages([t for t, _ in offers])
    qv = embedder.embed_queries([t for t, _ in queries])
    codes = [c for _, c in offers]
    res: dict[str, list[float]] = {"BM25": [], "plain mix 50/50": []}
    for (text, code), v, me in zip(queries, qv, self_index, strict=True):
        pool = codes if me is None else codes[:me] + codes[me + 1 :]
        lex = bm25.scores(tokens(text))
        for name, scores in (
            ("BM25", lex),
            ("plain mix 50/50", 0.5 * minmax(lex) + 0.5 * minmax(ov @ v)),
        ):
            value = graded_ndcg([codes[i] for i in top_k(scores, 10, me)], code, pool)
            if value is not None:
                res[name].append(value)
    return {k: statistics.fmean(v) for k, v in res.items()}


def matcher_ndcg(matcher_factory, offers, queries, self_index) -> float:
    from corridor.matching.records import Offer, Query

    matcher = matcher_factory(
        [Offer(id=i, title="", description=t) for i, (t, _) in enumerate(offers)]
    )
    codes = [c for _, c in offers]
    qs = [Query(id=j, text=t) for j, (t, _) in enumerate(queries)]
    values = []
    for (_text, code), me, matches in zip(
        queries, self_index, matcher.rank_many(qs, top=11), strict=True
    ):
        ranked = [m.offer_id for m in matches if m.offer_id != me][:10]
        pool = codes if me is None else codes[:me] + codes[me + 1 :]
        value = graded_ndcg([codes[i] for i in ranked], code, pool)
        if value is not None:
            values.append(value)
    return statistics.fmean(values)


def print_ranking(name, embedder, offers, queries, self_index, engines: dict) -> dict:
    print(f"\n### Ranking nDCG@10, {name}: {len(queries)} queries, {len(offers)} offers")
    results = ranking_baselines(embedder, offers, queries, self_index)
    for eng_name, factory in engines.items():
        started = time.perf_counter()
        results[eng_name] = matcher_ndcg(factory, offers, queries, self_index)
        results[eng_name + " time"] = time.perf_counter() - started
    for k, v in results.items():
        if not k.endswith(" time"):
            print(f"{k:40}{v:>10.3f}")
    return results


def section(
    embedder,
    suggesters: dict[str, Callable],
    engines: dict[str, Callable],
    limit: int | None = None,
) -> None:
    """Everything above, for the given suggesters (texts -> top-5 codes) and engines (offers ->
    built Matcher)."""
    report = uk_rows("report")[:limit] if limit else uk_rows("report")
    print("\n## Honest evaluation (data nobody here wrote; the UK part reported is never tuned on)")
    for name, rows in (
        ("UK references, reported part", report),
        ("hs-dev", dev_rows()),
        ("long descriptions (frozen set)", long_rows()),
    ):
        texts = [t for t, _ in rows]
        base = hs_baselines(embedder, texts)
        systems = {k: (lambda _t, v=v: v) for k, v in base.items()}
        systems.update(suggesters)
        print_hs(name, rows, systems)
        if hasattr(embedder, "save"):
            embedder.save()
    print_ranking(
        "UK references, reported part", embedder, report, report, list(range(len(report))), engines
    )
    long = long_rows()
    headings = {c[:4] for _, c in long}
    queries = [r for r in uk_rows("report") + uk_rows("learn") if r[1][:4] in headings]
    print_ranking(
        "long descriptions as offers, UK texts of their headings as queries",
        embedder,
        long,
        queries,
        [None] * len(queries),
        engines,
    )
    # The learning part's texts are examples of the suggester: with HS guesses, only the
    # reported part's queries are unseen.
    queries = [r for r in uk_rows("report") if r[1][:4] in headings]
    print_ranking(
        "long descriptions as offers, reported-part UK texts of their headings as queries",
        embedder,
        long,
        queries,
        [None] * len(queries),
        engines,
    )
    if hasattr(embedder, "save"):
        embedder.save()
