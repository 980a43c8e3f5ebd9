"""Suggest HS 2022 subheadings for a free-text product description, learning from confirmations."""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from corridor.core.text import fold
from corridor.core.text import tokens as text_tokens
from corridor.matching.build_hs_vectors import (
    DATA,
    _model_id,
    dequantise,
    hs_passage,
    hts_rows,
    read_seeds,
    read_uk_examples,
    seeds_digest,
)
from corridor.matching.embedding import Embedder, default_embedder
from corridor.matching.glossary import concepts, english_gloss
from corridor.matching.hs import describe, normalise_code, subheadings
from corridor.matching.hs_rerank import candidate_matrix, fusion_digest, shipped
from corridor.matching.lexical import BM25, analyse

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A suggested subheading with its description and a confidence in [0, 1]."""

    code: str
    description: str
    score: float

    def as_dict(self) -> dict:
        return {"code": self.code, "score": round(self.score, 4), "description": self.description}


@dataclass(frozen=True)
class SuggestWeights:
    """How the signals add up (measured on bench/data/hs_benchmark_cases.csv; see docs)."""

    semantic: float = 1.0
    lexical: float = 0.6
    examples: float = 1.2  # codes users confirmed
    seeds: float = 1.2  # shipped trade names (0.6 was better before conflicts were ignored)
    semantic_floor: float = 0.75  # E5 cosines below this say nothing
    example_floor: float = 0.8  # an example must be this close to count
    other_product_example: float = 0.0  # an example naming another product or state
    temperature: float = 0.05  # softmax temperature turning scores into confidences


# The signals the learned fusion weighs (data/hs_fusion.json), in this order. "_4" features are
# the best value of the signal over the subheadings of the same heading (4 digits).
SIGNALS = (
    "semantic",  # E5 cosine with the nomenclature line, floored
    "lexical",  # BM25 over the nomenclature line (+ glossary), relative to the best
    "lexical_hts",  # BM25 over the nomenclature line and the US HTS lines under it
    "example",  # the closest example of the code (seeds, UK references, confirmations)
    "knn",  # share of the code in a similarity-weighted vote of the 10 nearest examples
    "exact",  # an example with the same folded text
    "semantic_4",
    "lexical_hts_4",
    "knn_4",
    "semantic_hts",  # E5 cosine with the best piece of the US HTS text (or the line), floored
    "semantic_hts_4",
    "knn_pow",  # vote of the 30 nearest examples, each weighted by its cosine to the 10th power
    "knn_pow_4",
    "lexical_knn",  # vote of the 20 examples with the best BM25 score, weighted by score / best
    "lexical_knn_4",
)
KNN_POW_K, KNN_POW = 30, 10.0
# The ranking compares the guesses of a request and an offer (engine.Matcher(hs_guesser=...)):
# sharper distributions than the confidences shown to users rank better (cross-validated
# nDCG@10 on the UK learning part, see docs/matching.md).
GUESS_TEMPERATURE = 0.5
# Texts whose similarities guess() computes in one matrix product (a catalog build guesses
# thousands: 64 rows of ~19,000 cosines each stay a few MB).
GUESS_BATCH = 64
LEXICAL_KNN_K = 20
# Products of signals, also weighed by the fusion: a weighted sum cannot say "only a very close
# cosine counts" (a power) or "the words and the meaning agree" (a product). Adding them lifted
# the cross-validated top-1 at 6 digits from 0.358 to 0.394 (see docs/matching.md).
PRODUCTS = (
    ("semantic_hts", "lexical_hts"),
    ("semantic", "lexical_hts"),
    ("semantic_hts", "semantic_hts"),
    ("semantic_hts", "semantic_hts", "semantic_hts"),
    ("semantic_hts", "semantic_hts", "semantic_hts", "semantic_hts"),
    ("semantic", "semantic"),
)
FEATURES = SIGNALS + tuple("*".join(p) for p in PRODUCTS)


_FACTORS = tuple(tuple(SIGNALS.index(n) for n in p) for p in PRODUCTS)


def derive(signals: np.ndarray) -> np.ndarray:
    """The SIGNALS rows (axis -2) followed by the PRODUCTS rows: the FEATURES."""
    shape = (*signals.shape[:-2], len(FEATURES), signals.shape[-1])
    out = np.empty(shape, dtype=signals.dtype)
    out[..., : len(SIGNALS), :] = signals
    return _products(out)


def _products(features: np.ndarray) -> np.ndarray:
    """Fill the PRODUCTS rows (axis -2) of `features` from its SIGNALS rows, in place: one
    multiplication after another, the values of a product along the axis without its gather,
    stack and concatenation."""
    for row, factors in enumerate(_FACTORS, len(SIGNALS)):
        out = features[..., row, :]
        np.multiply(features[..., factors[0], :], features[..., factors[1], :], out=out)
        for factor in factors[2:]:
            out *= features[..., factor, :]
    return features


# Used when no learned weights are shipped: the hand-set sum of the earlier version.
_HAND = {"semantic": 1.0, "lexical": 0.6, "example": 1.2, "exact": 1.8}


@functools.cache
def _hs_bm25() -> BM25:
    return BM25.build(analyse(hs_passage(e.code)) for e in subheadings())


@functools.cache
def hts_text() -> dict[str, str]:
    """Words of the US HTS tariff lines under each subheading (data/hts_paths.tsv)."""
    path = DATA / "hts_paths.tsv"
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        code, _, text = line.partition("\t")
        out[code] = text
    return out


@functools.cache
def _hts_bm25() -> BM25:
    extra = hts_text()
    return BM25.build(
        analyse(f"{hs_passage(e.code)}; {extra.get(e.code, '')}") for e in subheadings()
    )


@functools.cache
def learned_weights() -> dict | None:
    """The fusion learned by `python -m corridor.matching.learn_hs_fusion` (None if absent)."""
    path = DATA / "hs_fusion.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if tuple(data.get("features", ())) == FEATURES else None


def _load_vectors(embedder: Embedder) -> np.ndarray:
    """The shipped subheading vectors when they were made by this model, else computed now."""
    codes = [e.code for e in subheadings()]
    meta_path, vec_path = DATA / "hs_vectors.json", DATA / "hs_vectors.npy"
    if meta_path.exists() and vec_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("model") == _model_id(embedder) and meta.get("codes") == codes:
            return dequantise(np.load(vec_path))
    log.warning(
        "no precomputed HS vectors for %s: embedding %d subheadings", embedder.name, len(codes)
    )
    return embedder.embed_passages([hs_passage(c) for c in codes])


@functools.cache
def _hts_vectors(model_id: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The shipped HTS piece vectors and each row's subheading position (None if stale)."""
    meta_path, vec_path = DATA / "hts_vectors.json", DATA / "hts_vectors.npy"
    if not (meta_path.exists() and vec_path.exists()):
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    _, texts = hts_rows()
    if meta.get("model") != model_id or meta.get("texts") != seeds_digest([(t, "") for t in texts]):
        return None
    position = {e.code: i for i, e in enumerate(subheadings())}
    rows = np.asarray([position[c] for c in meta["codes"]], dtype=np.int32)
    return dequantise(np.load(vec_path)), rows


def hts_vectors(embedder: Embedder) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of the US HTS text in pieces (build_hs_vectors.hts_rows) and the subheading of
    each: shipped when made by this model, else embedded now (~5,400 pieces: minutes)."""
    shipped = _hts_vectors(_model_id(embedder))
    if shipped is not None:
        return shipped
    codes, texts = hts_rows()
    log.warning("no precomputed HTS vectors for %s: embedding %d", embedder.name, len(texts))
    position = {e.code: i for i, e in enumerate(subheadings())}
    rows = np.asarray([position[c] for c in codes], dtype=np.int32)
    return embedder.embed_passages(texts), rows


_seed_cache: dict[str, tuple[list[tuple[str, str]], np.ndarray]] = {}
_uk_cache: dict[str, tuple[list[tuple[str, str]], np.ndarray]] = {}


def uk_examples(embedder: Embedder) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The learning part of the UK reference texts (real goods descriptions with their
    subheading) and their query vectors, precomputed like the seeds'."""
    if embedder.name in _uk_cache:
        return _uk_cache[embedder.name]
    rows = read_uk_examples()
    meta_path, vec_path = DATA / "uk_example_vectors.json", DATA / "uk_example_vectors.npy"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    if meta.get("model") == _model_id(embedder) and meta.get("texts") == seeds_digest(rows):
        vectors = dequantise(np.load(vec_path))
    elif rows:
        log.warning("no precomputed UK vectors for %s: embedding %d", embedder.name, len(rows))
        vectors = embedder.embed_queries([text for text, _ in rows])
    else:
        vectors = np.zeros((0, embedder.dim), dtype=np.float32)
    _uk_cache[embedder.name] = (rows, vectors)
    return rows, vectors


def seed_examples(embedder: Embedder) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The shipped seed examples (common trade names in the region's languages with their HS
    2022 subheading) and their query vectors: precomputed when made by this model, and read
    once per process and model."""
    if embedder.name in _seed_cache:
        return _seed_cache[embedder.name]
    seeds = read_seeds()
    meta_path, vec_path = DATA / "hs_seed_vectors.json", DATA / "hs_seed_vectors.npy"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    if meta.get("model") == _model_id(embedder) and meta.get("texts") == seeds_digest(seeds):
        vectors = dequantise(np.load(vec_path))
    else:
        log.warning("no precomputed seed vectors for %s: embedding %d", embedder.name, len(seeds))
        vectors = embedder.embed_queries([text for text, _ in seeds])
    _seed_cache[embedder.name] = (seeds, vectors)
    return seeds, vectors


class HsSuggester:
    """Top-K HS 2022 subheadings for descriptions in any of the region's languages.

    Three signals: the embedding similarity of the text to each subheading's description (the
    model is multilingual), BM25 against the English descriptions (with the text's glossary
    concepts added in English), and the nearest confirmed examples, which outweigh the
    nomenclature once users have confirmed codes for similar descriptions. The examples start
    with the shipped seeds (data/hs_seed_examples.csv), so trade names that the nomenclature
    never uses ("ST25", "tôm sú", "ยางพารา") are known before anyone confirms a code.
    """

    def __init__(
        self,
        examples: Iterable[tuple[str, str]] = (),
        embedder: Embedder | None = None,
        weights: SuggestWeights | None = None,
        *,
        use_glossary: bool = True,
        use_seeds: bool = True,
        use_uk: bool = True,
        fusion: dict | None = None,
        rerank: bool = True,
    ) -> None:
        self.embedder = embedder or default_embedder()
        self.weights = weights or SuggestWeights()
        self.use_glossary = use_glossary
        self.codes = [e.code for e in subheadings()]
        self._position = {c: i for i, c in enumerate(self.codes)}
        self.vectors = _load_vectors(self.embedder)
        self.hts_vectors, self._hts_rows = hts_vectors(self.embedder)
        runs = np.flatnonzero(np.diff(self._hts_rows, prepend=-1))
        self._hts_runs = (runs, self._hts_rows[runs])  # one run per subheading
        self.bm25 = _hs_bm25()
        self.hts_bm25 = _hts_bm25()
        heads = sorted({c[:4] for c in self.codes})
        self._heading = np.asarray([heads.index(c[:4]) for c in self.codes], dtype=np.int32)
        self._head_codes = np.asarray([int(h) for h in heads], dtype=np.int32)
        self._n_heads = len(heads)
        self._heading_starts = np.flatnonzero(np.diff(self._heading, prepend=-1))
        self._code_ints = np.asarray([int(c) for c in self.codes], dtype=np.int32)
        learned = fusion if fusion is not None else learned_weights()
        names = learned["features"] if learned else FEATURES
        values = learned["weights"] if learned else [_HAND.get(f, 0.0) for f in FEATURES]
        self.fusion = np.asarray(
            [dict(zip(names, values, strict=True)).get(f, 0.0) for f in FEATURES]
        )
        self.learned = learned is not None
        # The re-ranker learned on top of the shipped fusion (data/hs_rerank.txt); a fusion
        # given by the caller has other scores, which it was not trained on.
        self.reranker = (
            shipped(fusion_digest(names, values)) if rerank and fusion is None and learned else None
        )
        self._ex_codes: list[int] = []
        self._ex_weights = np.zeros(0, dtype=np.float32)
        # Which examples name which glossary concept, and how many concepts each names.
        self._ex_concepts: dict[str, list[int]] = {}
        self._ex_concept_counts = np.zeros(0, dtype=np.int16)
        self._ex_texts: dict[str, tuple[int, int]] = {}
        self._ex_vectors = np.zeros((0, self.embedder.dim), dtype=np.float32)
        self._ex_token_lists: list[list[str]] = []
        self._ex_bm25: BM25 | None = None
        self._ex_counts: np.ndarray | None = None
        self._ex_runs: tuple[np.ndarray, ...] | None = None
        if use_seeds:
            self.add_examples(*seed_examples(self.embedder), weight=self.weights.seeds)
        self.n_seed_examples = len(self._ex_codes)
        if use_uk:
            self.add_examples(*uk_examples(self.embedder), weight=self.weights.seeds)
        self.n_shipped_examples = len(self._ex_codes)
        self.add_examples(examples)

    def add_examples(
        self,
        examples: Iterable[tuple[str, str]],
        vectors: np.ndarray | None = None,
        weight: float | None = None,
    ) -> int:
        """Learn confirmed (text, code) pairs; codes outside HS 2022 are skipped. Returns count.

        `vectors`, when given, are the texts' query vectors in the same order (precomputed);
        `weight` is how much a close example counts (default: weights.examples).
        """
        texts, positions, kept = [], [], []
        for row, (text, code) in enumerate(examples):
            position = self._position.get(normalise_code(code))
            if position is None or not (text or "").strip():
                continue
            texts.append(text)
            positions.append(position)
            kept.append(row)
        if not texts:
            return 0
        if vectors is None:
            vectors = self.embedder.embed_queries(texts)
        else:
            vectors = vectors[kept]
        start_row = len(self._ex_codes)
        for i, (text, position) in enumerate(zip(texts, positions, strict=True)):
            self._ex_texts[fold(text).strip()] = (position, start_row + i)
        self._ex_codes.extend(positions)
        start = len(self._ex_concept_counts)
        counts = np.zeros(len(texts), dtype=np.int16)
        for i, text in enumerate(texts):
            named = set(concepts(text))
            counts[i] = len(named)
            for concept in named:
                self._ex_concepts.setdefault(concept, []).append(start + i)
        self._ex_concept_counts = np.concatenate([self._ex_concept_counts, counts])
        weight = self.weights.examples if weight is None else weight
        self._ex_weights = np.concatenate(
            [self._ex_weights, np.full(len(texts), weight, dtype=np.float32)]
        )
        self._ex_vectors = np.vstack([self._ex_vectors, vectors])
        self._ex_token_lists.extend(analyse(t) for t in texts)
        self._ex_bm25 = self._ex_counts = self._ex_runs = None
        return len(texts)

    def _examples_per_code(self) -> np.ndarray:
        if self._ex_counts is None:
            self._ex_counts = np.bincount(self._ex_codes, minlength=len(self.codes))
        return self._ex_counts

    def _example_runs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The examples' code positions as an array, the examples in code order, where each
        code's run starts in that order and the run's code: the best example of every code is
        then one reduceat, not a maximum.at over ~8,400 examples (several times slower)."""
        if self._ex_runs is None:
            codes = np.asarray(self._ex_codes, dtype=np.int64)
            order = np.argsort(codes, kind="stable")
            starts = np.flatnonzero(np.diff(codes[order], prepend=-1))
            self._ex_runs = (codes, order, starts, codes[order][starts])
        return self._ex_runs

    def _examples_bm25(self) -> BM25:
        """BM25 over the example texts (rebuilt after examples are added; ~0.3 s per 8,000)."""
        if self._ex_bm25 is None:
            self._ex_bm25 = BM25.build(self._ex_token_lists)
        return self._ex_bm25

    def _lexical(self, queries: Sequence[list[str]], bm25: BM25) -> np.ndarray:
        """BM25 scores of each query (rows) relative to its best match, damped when even the
        best matches little of the query."""
        scores = bm25.scores_many(queries)
        top = scores.max(axis=1, keepdims=True) if scores.shape[1] else np.zeros((len(scores), 1))
        return scores / np.maximum(top, 1e-6) * np.minimum(1.0, top / 8.0)

    def _by_heading(self, values: np.ndarray) -> np.ndarray:
        """The best value over the subheadings of each one's heading, along the last axis
        (codes are sorted, so each heading is one run: reduceat, faster than maximum.at)."""
        best = np.maximum(np.maximum.reduceat(values, self._heading_starts, axis=-1), 0.0)
        return best[..., self._heading]

    def _sum_by_heading(self, values: np.ndarray) -> np.ndarray:
        """The sum of the values over the subheadings of each one's heading."""
        return np.bincount(self._heading, values, minlength=self._n_heads)[self._heading]

    def _similarities(self, vectors: np.ndarray) -> tuple[np.ndarray, ...]:
        """Cosines of texts (rows) to the subheadings, the HTS pieces and the examples: three
        matrix products, one per batch of texts rather than one per text."""
        vectors = np.asarray(vectors, dtype=np.float32)
        return (
            vectors @ self.vectors.T,
            vectors @ self.hts_vectors.T,
            vectors @ self._ex_vectors.T,
        )

    def features(
        self,
        text: str,
        vector: np.ndarray,
        exclude: np.ndarray | None = None,
        similarities: tuple[np.ndarray, ...] | None = None,
    ) -> np.ndarray:
        """The features of every subheading (rows in FEATURES order, columns in self.codes
        order). `exclude` masks examples out (cross-validation leaves a fold's own out);
        `similarities` are the text's rows of `_similarities` (computed here when absent)."""
        if similarities is None:
            similarities = self._similarities(vector[None, :])
        else:
            similarities = tuple(s[None, :] for s in similarities)
        return next(self._features_many([text], similarities, exclude))

    def _features_many(
        self,
        texts: Sequence[str],
        similarities: tuple[np.ndarray, ...],
        exclude: np.ndarray | None = None,
    ) -> Iterator[np.ndarray]:
        """features() of several texts, one after the other, from their `_similarities`: what
        depends on the similarities and BM25 scores alone is computed for all the texts at
        once (rows of 2-D arrays: the per-call overhead of numpy made most of a guess's cost),
        the rest text by text. Each value is computed as for one text alone."""
        w = self.weights
        cos, hts_cos, ex_sims = similarities
        words = [analyse(text) for text in texts]  # once per text: the three BM25s share them
        queries = words
        if self.use_glossary:
            queries = [q + text_tokens(english_gloss(t)) for q, t in zip(words, texts, strict=True)]
        semantic = np.clip((cos - w.semantic_floor) / (1 - w.semantic_floor), 0, 1)
        semantic = semantic.astype(np.float64)  # the features' type, as heading maxima read it
        lexical = self._lexical(queries, self.bm25)
        lexical_hts = self._lexical(queries, self.hts_bm25)
        # The best of the nomenclature line and the HTS pieces: a subheading without HTS text
        # keeps its line's cosine. The HTS rows are sorted by subheading: the best piece of
        # each run (reduceat).
        best = cos.astype(np.float64)
        runs, owners = self._hts_runs
        best[:, owners] = np.maximum(best[:, owners], np.maximum.reduceat(hts_cos, runs, axis=1))
        semantic_hts = np.clip((best - w.semantic_floor) / (1 - w.semantic_floor), 0, 1)
        together = {
            "semantic": semantic,
            "lexical": lexical,
            "lexical_hts": lexical_hts,
            "semantic_hts": semantic_hts,
            "semantic_4": self._by_heading(semantic),
            "lexical_hts_4": self._by_heading(lexical_hts),
            "semantic_hts_4": self._by_heading(semantic_hts),
        }
        rows = [(SIGNALS.index(name), values) for name, values in together.items()]
        if len(self._ex_codes):
            strengths = np.clip((ex_sims - w.example_floor) / (1 - w.example_floor), 0, 1)
            lexes = self._examples_bm25().scores_many(words)
        for j, text in enumerate(texts):
            out = np.zeros((len(FEATURES), len(self.codes)), dtype=np.float64)
            for row, values in rows:
                out[row] = values[j]
            if len(self._ex_codes):
                self._example_votes(
                    out, text, ex_sims[j], strengths[j], lexes[j], words[j], exclude
                )
            out[8] = self._sum_by_heading(out[4])
            out[12] = self._sum_by_heading(out[11])
            out[14] = self._sum_by_heading(out[13])
            yield _products(out)

    def _example_votes(
        self,
        out: np.ndarray,
        text: str,
        sims: np.ndarray,
        strength: np.ndarray,
        lex: np.ndarray,
        words: list[str],
        exclude: np.ndarray | None,
    ) -> None:
        """The example signals of one text (rows 3, 4, 5, 11 and 13 of `out`), from its cosines
        to the examples, their strengths and BM25 scores (`strength` and `lex` are changed)."""
        codes, order, starts, run_codes = self._example_runs()
        conflict = self._other_products(text) if self.use_glossary else None
        if conflict is not None:
            strength[conflict] *= self.weights.other_product_example
        if exclude is not None:
            strength[exclude] = 0.0
            sims = np.where(exclude, -1.0, sims)
        best = np.maximum.reduceat((strength * self._ex_weights)[order], starts)
        out[3, run_codes] = np.maximum(best, 0.0)
        # kNN vote: the 10 nearest examples, weighted by a softmax of their similarity.
        k = min(10, len(sims))
        near = np.argpartition(-sims, k - 1)[:k]
        votes = np.exp((sims[near] - sims[near].max()) / 0.02) * (strength[near] > 0)
        if votes.sum() > 0:
            np.add.at(out[4], codes[near], votes / votes.sum())
        exact = self._ex_texts.get(fold(text).strip())
        if exact is not None and (exclude is None or not exclude[exact[1]]):
            out[5, exact[0]] = 1.0
        # A wider vote where closeness counts steeply (cosine**10 over the 30 nearest):
        # chosen over k and weighting by cross-validation (see docs/matching.md).
        k = min(KNN_POW_K, len(sims))
        near = np.argpartition(-sims, k - 1)[:k]
        votes = np.clip(sims[near], 0, None) ** KNN_POW * (strength[near] > 0)
        if votes.sum() > 0:
            np.add.at(out[11], codes[near], votes / votes.sum())
        # The examples that share the most (rare) words, whatever the embedding says ("frozen
        # boneless beef" shares words with "fresh ..." too: the same discount).
        if conflict is not None:
            lex[conflict] *= self.weights.other_product_example
        if exclude is not None:
            lex[exclude] = 0.0
        k = min(LEXICAL_KNN_K, len(lex))
        near = np.argpartition(-lex, k - 1)[:k]
        near = near[lex[near] > 0]
        if len(near):
            np.add.at(out[13], codes[near], lex[near] / lex[near].sum())

    def scores(self, text: str, vector: np.ndarray | None = None) -> np.ndarray:
        """Raw combined score of every subheading (in self.codes order)."""
        if vector is None:
            vector = self.embedder.embed_queries([text])[0]
        return self.fusion @ self.features(text, vector)

    def _other_products(self, text: str) -> np.ndarray | None:
        """The positions of the examples that name another product or state than the text
        (None if it names none), weakened: "frozen boneless beef" is near "fresh boneless
        beef" for the embedding, but another subheading. A conflict needs a concept on each
        side that the other lacks: "fresh mango" still teaches "mango", and "tôm sú" teaches
        "tôm sú đông lạnh"."""
        asked = set(concepts(text))
        if not asked:
            return None
        shared = np.zeros(len(self._ex_codes), dtype=np.int16)  # concepts both name
        for concept in asked:
            shared[self._ex_concepts.get(concept, [])] += 1
        # Positions, not a mask: the strengths and the BM25 scores are both discounted.
        return np.flatnonzero((self._ex_concept_counts > shared) & (shared < len(asked)))

    def heading_guess(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        top: int = 5,
        exclude: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The `top` most likely headings of each text (as 4-digit integers, shape (n, top))
        and their probabilities: the softmax of the scores (at GUESS_TEMPERATURE) summed over
        each heading's subheadings. The ranking compares these for offers and requests
        without a code."""
        return self.guess(texts, vectors, top, exclude)[:2]

    def guess(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        top: int = 5,
        exclude: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """heading_guess() and also the `top` most likely subheadings (6-digit integers) with
        their probabilities, each (n, top): what the catalog stores per offer. Sharpened by
        GUESS_TEMPERATURE (the ranking's choice), so not the confidences suggest() shows; in
        the re-ranker's order, like them."""
        shape = (len(texts), top)
        heads, probs = np.zeros(shape, np.int32), np.zeros(shape, np.float32)
        codes, code_probs = np.zeros(shape, np.int32), np.zeros(shape, np.float32)
        temperature = GUESS_TEMPERATURE if self.learned else None
        for start in range(0, len(texts), GUESS_BATCH):
            batch = np.asarray(vectors[start : start + GUESS_BATCH], dtype=np.float32)
            guessed = self._confidences_many(
                texts[start : start + len(batch)], self._similarities(batch), exclude, temperature
            )
            for i, (_, p) in enumerate(guessed, start):
                mass = np.bincount(self._heading, p, minlength=self._n_heads)
                best = np.argsort(-mass, kind="stable")[:top]
                heads[i], probs[i] = self._head_codes[best], mass[best]
                best = np.argpartition(-p, top - 1)[:top]
                best = best[np.lexsort((best, -p[best]))]
                codes[i], code_probs[i] = self._code_ints[best], p[best]
        return heads, probs, codes, code_probs

    def _probabilities(self, scores: np.ndarray, temperature: float | None = None) -> np.ndarray:
        """The confidence of each subheading: learned weights give logits; the hand-set sum
        needs a temperature."""
        if temperature is None:
            temperature = 1.0 if self.learned else self.weights.temperature
        probs = np.exp((scores - scores.max()) / temperature)
        return probs / probs.sum()

    def suggest(self, text: str, top: int = 5) -> list[Suggestion]:
        """The `top` most likely subheadings, best first."""
        return self.suggest_many([text], top)[0]

    def suggest_many(self, texts: Sequence[str], top: int = 5) -> list[list[Suggestion]]:
        """suggest() for many texts, embedding them in batches."""
        vectors = self.embedder.embed_queries(list(texts))
        out = []
        for text, vector in zip(texts, vectors, strict=True):
            scores, probs = self.confidences(text, vector)
            k = min(top, len(scores))
            best = np.argpartition(-probs, k - 1)[:k]
            best = best[np.lexsort((best, -scores[best], -probs[best]))]
            out.append(
                [Suggestion(self.codes[i], describe(self.codes[i]), float(probs[i])) for i in best]
            )
        return out

    def confidences(
        self,
        text: str,
        vector: np.ndarray,
        exclude: np.ndarray | None = None,
        temperature: float | None = None,
        similarities: tuple[np.ndarray, ...] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The fusion's scores of every subheading and their confidences: the softmax of the
        scores, with the re-ranker's order and share among its best candidates when it is
        shipped. `temperature` sharpens both (the ranking's guesses); `exclude` as features()."""
        if similarities is None:
            similarities = self._similarities(vector[None, :])
        else:
            similarities = tuple(s[None, :] for s in similarities)
        return self._confidences_many([text], similarities, exclude, temperature)[0]

    def _confidences_many(
        self,
        texts: Sequence[str],
        similarities: tuple[np.ndarray, ...],
        exclude: np.ndarray | None = None,
        temperature: float | None = None,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """confidences() of several texts from their `_similarities` (rows), the features
        computed together and the re-ranker called once for all their candidates."""
        linear, tops, rows = [], [], []
        counts = self._examples_per_code()
        if exclude is not None:
            kept = np.asarray(self._ex_codes)[~exclude]
            counts = np.bincount(kept, minlength=len(self.codes))
        features_many = self._features_many(texts, similarities, exclude)
        for text, features in zip(texts, features_many, strict=True):
            scores = self.fusion @ features
            linear.append(scores)
            if self.reranker is not None:
                top, matrix = candidate_matrix(
                    features, scores, self._heading, self._n_heads, text, counts, self.reranker.k
                )
                tops.append(top)
                rows.append(matrix)
        if self.reranker is None:
            return [(scores, self._probabilities(scores, temperature)) for scores in linear]
        shares = self.reranker.scores_many(rows, [self._heading[top] for top in tops])
        return [
            (scores, self.reranker.probabilities(scores, top, share, temperature or 1.0))
            for scores, top, share in zip(linear, tops, shares, strict=True)
        ]


class CachedGuesser:
    """The ranking's HS guesser (engine.HeadingGuesser) over an HsSuggester, keeping the
    guesses of recent single texts: a request ranked again, or a batch of queries guessed
    together ahead of ranking (`prepare`: one matrix product for the batch). `suggester` is
    an HsSuggester or a function returning the current one, called when a text is guessed
    (so that opening a saved catalog costs nothing)."""

    size = 1024

    def __init__(self, suggester) -> None:
        self._suggester = suggester
        self._cache: OrderedDict[tuple, tuple[np.ndarray, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def _current(self) -> HsSuggester:
        return self._suggester() if callable(self._suggester) else self._suggester

    @staticmethod
    def _key(suggester: HsSuggester, text: str, top: int) -> tuple:
        # A new example changes the guesses: the example count is part of the key.
        return (id(suggester), len(suggester._ex_codes), text, top)

    def _keep(self, key: tuple, guess: tuple[np.ndarray, ...]) -> None:
        with self._lock:
            self._cache[key] = guess
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)

    def prepare(self, texts: Sequence[str], vectors: np.ndarray, top: int) -> None:
        """Guess `texts` together now; `guess` then hands each one out."""
        if not len(texts):
            return
        suggester = self._current()
        guessed = suggester.guess(texts, vectors, top=top)
        for i, text in enumerate(texts):
            self._keep(self._key(suggester, text, top), tuple(p[i : i + 1] for p in guessed))

    def guess(
        self, texts: Sequence[str], vectors: np.ndarray, top: int = 5
    ) -> tuple[np.ndarray, ...]:
        suggester = self._current()
        if len(texts) != 1:
            return suggester.guess(texts, vectors, top=top)
        key = self._key(suggester, texts[0], top)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        out = suggester.guess(texts, vectors, top=top)
        self._keep(key, out)
        return out

    def heading_guess(
        self, texts: Sequence[str], vectors: np.ndarray, top: int = 5
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.guess(texts, vectors, top)[:2]
