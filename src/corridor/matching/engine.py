"""Hybrid, explainable ranking of offers for a query: BM25 + embeddings + HS + constraints."""

from __future__ import annotations

import bisect
import datetime as dt
import json
import os
import pickle
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from corridor.core.text import _is_nospace, fold
from corridor.core.text import tokens as text_tokens
from corridor.matching.embedding import Embedder, default_embedder
from corridor.matching.glossary import concepts
from corridor.matching.hs import format_code, normalise_code
from corridor.matching.index import VectorIndex
from corridor.matching.lexical import BM25, analyse
from corridor.matching.reasons import Reason
from corridor.matching.records import Match, Offer, Query
from corridor.matching.stored import StoredRecords, write_records
from corridor.matching.units import compare_capacity

_WORD = re.compile(r"\w+")
# Words shared by most texts: never shown as "description matches: ...".
# Also filler: prepositions of specifications ("under 5 percent"), units, packaging ("25 kg
# bags") and trade boilerplate, which say how a product is sold, not what it is.
_UNTELLING = frozenset(
    "a an and are as at be by for from in into is it of on or per our the this to we with "
    "your you ready can will all any each month year week day t kg pcs "
    "under over above below up down about max maximum min minimum less more than "
    "percent pct % approx approximately only also well very high low good best new "
    "bag bags sack sacks carton cartons box boxes pack packs package packages packed packing "
    "packaging bulk pallet pallets container containers ton tons tonne tonnes mt g gram grams "
    "kilogram kilograms litre litres liter liters ml l piece pieces unit units set sets "
    "quality grade standard export exports supply supplier suppliers buy buyer wanted need "
    "product products item items delivery monthly weekly yearly "
    "và của cho các có là được với từ trong một những".split()
)
# A word found in more than this share of the offers tells one offer from another no better.
COMMON_SHARE = 0.2


def _learned_rank_weights() -> tuple[float, float, float, float]:
    """(semantic, lexical, hs_guess, hs_guess_6) learned by `python -m
    corridor.matching.learn_rank_fusion`."""
    path = Path(__file__).resolve().parent / "data" / "rank_fusion.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        learned = dict(zip(data["signals"], data["weights"], strict=True))
        guess, guess_6 = float(learned.get("hs_guess", 0.0)), float(learned.get("hs_guess_6", 0.0))
        return float(learned["semantic"]), float(learned["lexical"]), guess, guess_6
    except (OSError, KeyError, ValueError, TypeError):
        return 0.1, 0.5, 0.0, 0.0


_SEMANTIC, _LEXICAL, _HS_GUESS, _HS_GUESS_6 = _learned_rank_weights()


@dataclass(frozen=True)
class Weights:
    """How the signals add up (set on bench/data/matching_products.json; see docs/matching.md)."""

    # Lexical evidence (BM25 over folded words, n-grams and glossary concepts) is the more
    # precise signal across the region's scripts; the embedding decides where words are silent
    # and breaks ties. Heavier semantic weights lowered nDCG@10 on the labelled set.
    semantic: float = _SEMANTIC  # learned (data/rank_fusion.json); 0.1 by hand before
    lexical: float = _LEXICAL  # learned; 0.5 by hand before
    hs: float = 0.3  # times 1 (as precise as asked), 0.5 (same heading), 0.2 (same chapter)
    # For a request without a code: the overlap of the suggester's heading distributions for
    # the request and the offer (the offer's own heading when it has a code). Needs
    # Matcher(hs_guesser=...); learned (data/rank_fusion.json).
    hs_guess: float = _HS_GUESS
    hs_guess_6: float = _HS_GUESS_6  # the same for the guessed subheadings (6 digits)
    certification: float = 0.02  # each required certification held
    capacity: float = 0.02
    destination: float = 0.03
    country: float = 0.03
    # Cosines of E5 sit in a narrow high band: map [floor, 1] to [0, 1].
    semantic_floor: float = 0.72
    # An offer classified in another HS chapter than the one asked for is another product
    # (a hard failure: it ranks after every offer of the product) unless its text matches
    # the request at least this well (its HS code may simply be wrong).
    other_product_lexical: float = 0.5
    candidates: int = 100  # per retrieval channel (vectors; lexical + HS)


# A description longer than this (characters) is also embedded in chunks, so that all of it
# counts, not only the title and the opening words the passage vector sees.
LONG_DESCRIPTION = 360
CHUNK_CHARS = 240
MAX_CHUNKS = 4
_BREAK = re.compile(r"(?<=[.!?;。！？；])\s*|\s+")


def description_chunks(description: str) -> list[str]:
    """Up to MAX_CHUNKS pieces of about CHUNK_CHARS characters, cut at sentence ends or spaces,
    spread over the whole of a long description (its first, last and middle parts)."""
    text = " ".join((description or "").split())
    if len(text) <= LONG_DESCRIPTION:
        return []
    pieces, current = [], ""
    for part in _BREAK.split(text):
        if not part:
            continue
        if current and len(current) + len(part) + 1 > CHUNK_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current} {part}".strip() if current else part
        while len(current) > CHUNK_CHARS * 1.5:  # a script without spaces: cut hard
            pieces.append(current[:CHUNK_CHARS])
            current = current[CHUNK_CHARS:]
    if current:
        pieces.append(current)
    if len(pieces) <= MAX_CHUNKS:
        return pieces
    picks = np.linspace(0, len(pieces) - 1, MAX_CHUNKS).round().astype(int)
    return [pieces[i] for i in dict.fromkeys(picks.tolist())]


def embed_offers(offers: Sequence[Offer], embedder: Embedder | None = None) -> np.ndarray:
    """The vectors of offers, as the engine computes them (store them with the record).

    The title and the opening of the text give one passage vector; a long description also
    gives chunk vectors (embedder.embed_chunks, when the model has it), whose mean is pooled
    with it half and half.
    """
    embedder = embedder or default_embedder()
    heads = embedder.embed_passages([o.text for o in offers])
    chunker = getattr(embedder, "embed_chunks", None)
    if chunker is None:
        return heads
    owners, chunks = [], []
    for i, offer in enumerate(offers):
        for chunk in description_chunks(offer.description):
            owners.append(i)
            chunks.append(chunk)
    if not chunks:
        return heads
    sums = np.zeros_like(heads)
    counts = np.zeros(len(offers), dtype=np.float32)
    np.add.at(sums, owners, chunker(chunks))
    np.add.at(counts, owners, 1.0)
    long = counts > 0
    heads[long] = 0.5 * heads[long] + 0.5 * sums[long] / counts[long, None]
    heads /= np.maximum(np.linalg.norm(heads, axis=1, keepdims=True), 1e-12)
    return heads


GUESS_TOP = 5  # headings kept per offer and request for the HS-agreement signal


class HeadingGuesser(Protocol):
    """What the ranking needs from the HS suggester (hs_suggest.HsSuggester has it). A guesser
    may also have `guess(texts, vectors, top)` -> (heads, head probs, subheadings, their
    probs), all (n, top), for the agreement at 6 digits."""

    def heading_guess(
        self, texts: Sequence[str], vectors: np.ndarray, top: int = 5
    ) -> tuple[np.ndarray, np.ndarray]: ...


def _guess(
    guesser: HeadingGuesser, texts: Sequence[str], vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Headings and subheadings guessed for texts, with their probabilities (no subheadings,
    all zero, when the guesser gives only headings)."""
    full = getattr(guesser, "guess", None)
    if full is not None:
        return full(texts, vectors, top=GUESS_TOP)
    heads, probs = guesser.heading_guess(texts, vectors, top=GUESS_TOP)
    return heads, probs, np.zeros_like(heads), np.zeros_like(probs)


# Embed and search the graph on a background thread while the lexical side runs (rank()),
# from this many offers. It pays only when a core is free (1,000,000 offers: p50 43.5
# against 58.0 ms once; level with another process on the second core); below it the
# lexical side takes 1-3 ms and the hand-over cost more (10,000: p50 46.8 against 44.3 ms).
OVERLAP_FROM = 50_000
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _background() -> ThreadPoolExecutor:
    """The process's threads for the vector side of queries (new after a fork)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=4, thread_name_prefix="query"))
    return _pool[1]


@dataclass(frozen=True)
class _Lexical:
    """A query's analysis and the offers of its lexical channel."""

    tokens: list[str]
    terms: list[int]
    norm: float
    levels: list[tuple[int, int, float]]
    keys: np.ndarray


class Matcher:
    """An indexed catalog of offers that ranks them for queries.

    Build once (`build`), then `rank` many queries. Positions in the catalog are the keys of the
    vector index. Vectors may come from storage (`vectors=`) so that a restart does not embed
    the catalog again.
    """

    def __init__(
        self,
        embedder: Embedder | None = None,
        weights: Weights | None = None,
        index_kind: str = "auto",
        analyser: Callable[[str], list[str]] = analyse,
        hs_guesser: HeadingGuesser | None = None,
    ) -> None:
        self.embedder = embedder or default_embedder()
        self.analyse = analyser
        self.hs_guesser = hs_guesser
        self.weights = weights or Weights()
        self.index_kind = index_kind
        self.offers: Sequence[Offer] = []  # a list, or StoredRecords when opened
        self.bm25 = BM25()
        self.index = VectorIndex(self.embedder.dim, index_kind)
        self._hs = np.zeros((0, 3), dtype=np.int32)
        # Guessed headings and subheadings (n, k) and their probabilities, for offers without a
        # code; offers ordered by their first guessed heading, then its probability (the
        # guess channel of the candidates).
        self._guess_heads = np.zeros((0, 0), dtype=np.int32)
        self._guess_probs = np.zeros((0, 0), dtype=np.float32)
        self._guess_codes = np.zeros((0, 0), dtype=np.int32)
        self._guess_code_probs = np.zeros((0, 0), dtype=np.float32)
        self._guess_order = np.zeros(0, dtype=np.int64)
        self._guess_sorted = np.zeros(0, dtype=np.int32)

    def build(
        self,
        offers: Sequence[Offer],
        vectors: np.ndarray | None = None,
        *,
        bm25: BM25 | None = None,
        index: VectorIndex | None = None,
        guesses: Sequence[np.ndarray] | None = None,
    ) -> Matcher:
        """Index offers (embedding them in batches unless vectors or an index are given).

        `guesses`: the offers' stored HS guesses (heads, probs, codes, code probs, each
        (n, GUESS_TOP), as `HsSuggester.guess` gives them); a row whose first heading is 0 is
        guessed here (with a guesser; without one it stays unguessed), -1 leaves the offer
        without a guess. With guesses and no guesser, queries bring their own (`Query.guess`).
        """
        self.offers = list(offers)
        self.bm25 = bm25 or BM25.build(self.analyse(o.text) for o in self.offers)
        if index is None:
            if vectors is None:
                vectors = embed_offers(self.offers, self.embedder)
            index = VectorIndex(self.embedder.dim, self.index_kind)
            index.add(np.arange(len(self.offers)), vectors)
        self.index = index
        # Column-major: each level is a contiguous array, compared in one pass per query.
        self._hs = np.asfortranarray(_hs_columns([o.hs_code for o in self.offers]))
        uses = self.hs_guesser is not None or guesses is not None
        if uses and self.weights.hs_guess + self.weights.hs_guess_6 > 0:
            self._guess_offers(vectors, guesses)
        return self

    def _guess_offers(
        self, vectors: np.ndarray | None, stored: Sequence[np.ndarray] | None = None
    ) -> None:
        """The heading and subheading distributions of every offer without a code (with one:
        its own heading, and subheading when it has 6 digits): stored ones, else guessed."""
        n = len(self.offers)
        heads = np.zeros((n, GUESS_TOP), dtype=np.int32)
        probs = np.zeros((n, GUESS_TOP), dtype=np.float32)
        codes = np.zeros((n, GUESS_TOP), dtype=np.int32)
        code_probs = np.zeros((n, GUESS_TOP), dtype=np.float32)
        if stored is not None:
            heads[:], probs[:], codes[:], code_probs[:] = stored
        coded = self._hs[:, 1] >= 0
        for array in (heads, probs, codes, code_probs):
            array[coded] = 0
        heads[coded, 0], probs[coded, 0] = self._hs[coded, 1], 1.0
        six = self._hs[:, 2] >= 0
        codes[six, 0], code_probs[six, 0] = self._hs[six, 2], 1.0
        todo = np.flatnonzero(heads[:, 0] == 0)  # -1: stored as unknown, not guessed
        if len(todo) and self.hs_guesser is None:
            heads[todo, 0] = -1
        elif len(todo):
            if vectors is None:
                vectors = self.index.vectors_of(np.arange(n))
            texts = [self.offers[i].text for i in todo]
            guessed = _guess(self.hs_guesser, texts, np.asarray(vectors)[todo])
            heads[todo], probs[todo], codes[todo], code_probs[todo] = guessed
        self._guess_heads, self._guess_probs = heads, probs
        self._guess_codes, self._guess_code_probs = codes, code_probs
        self._guess_order = _guess_order(heads, probs)

    def __len__(self) -> int:
        return len(self.offers)

    # Saved form ------------------------------------------------------------------------------

    def save(self, folder: str | os.PathLike) -> None:
        """Write the built catalog into an empty folder: the offers (one pickle each), the BM25
        postings, the HS columns and the vector index as files that `open` memory-maps."""
        folder = Path(folder)
        write_records(folder, "offers", self.offers)
        np.save(folder / "hs.npy", np.ascontiguousarray(self._hs))
        if self._guess_heads.size:
            np.save(folder / "guess_heads.npy", self._guess_heads)
            np.save(folder / "guess_probs.npy", self._guess_probs)
            np.save(folder / "guess_codes.npy", self._guess_codes)
            np.save(folder / "guess_code_probs.npy", self._guess_code_probs)
            np.save(folder / "guess_order.npy", self._guess_order)
        self.bm25.save(folder)
        self.index.write(folder)

    @classmethod
    def open(
        cls,
        folder: str | os.PathLike,
        embedder: Embedder | None = None,
        weights: Weights | None = None,
        analyser: Callable[[str], list[str]] = analyse,
        hs_guesser: HeadingGuesser | None = None,
    ) -> Matcher:
        """A catalog saved by `save`, its arrays memory-mapped (shared between processes)."""
        folder = Path(folder)
        matcher = cls(embedder=embedder, weights=weights, analyser=analyser, hs_guesser=hs_guesser)
        if StoredRecords.exists(folder, "offers"):  # each offer unpickled when read
            matcher.offers = StoredRecords(folder, "offers")
        else:  # saved before the offers were stored one by one
            with (folder / "offers.pkl").open("rb") as fh:
                matcher.offers = pickle.load(fh)  # noqa: S301 (written by this module)
        matcher.bm25 = BM25.open(folder)
        matcher.index = VectorIndex.open(folder)
        matcher._hs = np.load(folder / "hs.npy", mmap_mode="r")
        if (folder / "guess_heads.npy").exists():
            matcher._guess_heads = np.load(folder / "guess_heads.npy", mmap_mode="r")
            matcher._guess_probs = np.load(folder / "guess_probs.npy", mmap_mode="r")
            if (folder / "guess_order.npy").exists():
                matcher._guess_codes = np.load(folder / "guess_codes.npy", mmap_mode="r")
                matcher._guess_code_probs = np.load(folder / "guess_code_probs.npy", mmap_mode="r")
                matcher._guess_order = np.load(folder / "guess_order.npy", mmap_mode="r")
            else:  # saved before the guesses at 6 digits: headings only
                matcher._guess_codes = np.zeros_like(matcher._guess_heads)
                matcher._guess_code_probs = np.zeros_like(matcher._guess_probs)
                matcher._guess_order = _guess_order(matcher._guess_heads, matcher._guess_probs)
        return matcher

    # Retrieval -------------------------------------------------------------------------------

    def _lexical_norm(self, query_tokens: list[str]) -> float:
        """BM25 of a document matching every query term once: the scale of lexical scores.

        Query terms the catalog lacks count at the highest idf, so that a query matched only on
        its common words ("organic", "kg") does not look fully matched.
        """
        n = max(self.bm25.n_docs, 1)
        top_idf = float(np.log(1 + (n + 0.5) / 0.5))
        weight = self.bm25.k1 + 1
        total = 0.0
        for tok in dict.fromkeys(query_tokens):
            term = self.bm25.vocab.get(tok)
            total += (float(self.bm25.idf[term]) if term is not None else top_idf) * weight / 2
        return max(total, 1e-6)

    def rank(self, query: Query, top: int = 10, today: dt.date | None = None) -> list[Match]:
        """The best `top` offers for a query, those meeting every hard constraint first.

        The query's embedding and graph search (native code, without the GIL) run on a
        background thread while this one does the lexical side, which needs no vector: on
        two cores the two halves of a large catalog's query overlap (OVERLAP_FROM).
        """
        if not self.offers or top <= 0:
            return []
        text = query.text or query.hs_code
        k = max(self.weights.candidates, top)

        def vector_side() -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
            vector = self.embedder.embed_queries([text])[0]
            return vector, self.index.search(vector, k)

        if len(self.offers) < OVERLAP_FROM:
            vector, found = vector_side()
            return self._rank(query, vector, found, self._lexical_side(query, k), top, today)
        pending = _background().submit(vector_side)
        lexical = self._lexical_side(query, k)
        vector, found = pending.result()
        return self._rank(query, vector, found, lexical, top, today)

    def rank_many(
        self, queries: Sequence[Query], top: int = 10, today: dt.date | None = None
    ) -> list[list[Match]]:
        """rank() for many queries, embedding them in batches."""
        vectors = self.embedder.embed_queries([q.text or q.hs_code for q in queries])
        return [
            self.rank_with_vector(q, v, top=top, today=today)
            for q, v in zip(queries, vectors, strict=True)
        ]

    def rank_with_vector(
        self, query: Query, vector: np.ndarray, top: int = 10, today: dt.date | None = None
    ) -> list[Match]:
        """rank() with the query's vector already computed (stored requests keep theirs)."""
        if not self.offers or top <= 0:
            return []
        k = max(self.weights.candidates, top)
        found = self.index.search(vector, k)
        return self._rank(query, vector, found, self._lexical_side(query, k), top, today)

    def _lexical_side(self, query: Query, k: int) -> _Lexical:
        """The query's analysis and the lexical channel's k offers (no vector needed)."""
        q_tokens = self.analyse(query.text)
        terms = self.bm25.term_ids(q_tokens)
        norm = self._lexical_norm(q_tokens)
        levels = self._hs_levels(query.hs_code)
        keys = self._lexical_channel(q_tokens, terms, norm, levels, k)
        return _Lexical(q_tokens, terms, norm, levels, keys)

    def _rank(
        self,
        query: Query,
        vector: np.ndarray,
        found: tuple[np.ndarray, np.ndarray],
        lex: _Lexical,
        top: int,
        today: dt.date | None,
    ) -> list[Match]:
        w = self.weights
        today = today or dt.date.today()
        k = max(w.candidates, top)
        q_tokens, terms, norm, levels = lex.tokens, lex.terms, lex.norm, lex.levels
        vec_keys, vec_sims = found
        lex_keys = lex.keys
        q_guess = self._query_guess(query, vector)
        candidates = np.union1d(vec_keys, lex_keys).astype(np.int64)
        if q_guess is not None:
            candidates = np.union1d(candidates, self._guess_channel(int(q_guess[0][0]), k))
        # Cosines: the graph's for what it found, the stored vectors' for the others.
        at = np.searchsorted(candidates, vec_keys)
        sims = np.zeros(len(candidates), dtype=np.float64)
        in_graph = np.zeros(len(candidates), dtype=bool)
        sims[at], in_graph[at] = vec_sims, True
        if not in_graph.all():
            sims[~in_graph] = self.index.vectors_of(candidates[~in_graph]) @ vector
        lexical = np.minimum(self._lexical_raw(terms, candidates) / norm, 1.0)
        hs = self._hs_of(levels, candidates) if levels else None

        guess = self._guess_overlap(q_guess, candidates)
        semantic = np.clip((sims - w.semantic_floor) / (1 - w.semantic_floor), 0.0, 1.0)
        # Judged best first by what each could score at most (the signals plus every bonus
        # the query offers): once `top` offers pass, those that cannot reach the last of
        # them are left unjudged (reading and judging an offer is the costly part).
        most = w.semantic * semantic + w.lexical * lexical
        if guess is not None:  # as _judge: the agreement scaled with the text signals
            most += w.hs_guess * guess[0] + w.hs_guess_6 * guess[1]
            most *= _agreement_scale(w)
        most += self._bonus_most(query)
        if hs is not None:
            most += w.hs * hs
        scored: list[tuple[Match, int]] = []
        passing: list[float] = []  # minus the scores of the passing offers, best first
        for row in np.lexsort((candidates, -most)).tolist():
            if len(passing) >= top and most[row] + 1e-5 < -passing[top - 1]:
                break
            pos = int(candidates[row])
            signals = {
                "semantic": round(float(semantic[row]), 6),
                "cosine": round(float(sims[row]), 6),
                "lexical": round(float(lexical[row]), 6),
                "hs": round(float(hs[row]), 6) if hs is not None else 0.0,
            }
            if guess is not None:
                signals["hs_guess"] = round(float(guess[0][row]), 6)
                signals["hs_guess_6"] = round(float(guess[1][row]), 6)
            match = self._judge(query, self.offers[pos], signals, q_tokens, today, words=False)
            scored.append((match, pos))
            if match.passes:
                bisect.insort(passing, -match.score)
        # Hard failures after every passing offer; ties by offer id for determinism.
        scored.sort(key=lambda mp: (not mp[0].passes, -mp[0].score, str(mp[0].offer_id), mp[1]))
        best = scored[:top]
        # Which words matched is worded for the results only (the query's words once).
        words = _QueryWords(query.text, self._is_common)
        if self.analyse is analyse:  # the postings hold each offer's words and '~concepts'
            known = [t[1:] for t in q_tokens if t.startswith("~")]
            words.look_up(self.bm25.contains_many, np.asarray([p for _, p in best]), known)
        for match, pos in best:
            reason = words.reason(self.offers[pos].text, match.signals, pos)
            if reason is not None:
                at = sum(1 for r in match.reasons if r.is_failure or r.code.startswith("hs_"))
                match.reasons.insert(at, reason)
        return [match for match, _ in best]

    # The lexical channel -------------------------------------------------------------------

    def _hs_levels(self, code: str) -> list[tuple[int, int, float]]:
        """(column, value, HS score) of each level of a query code, chapter first."""
        code = normalise_code(code)
        if not code or not len(self.offers):
            return []
        return [
            (col, int(code[:digits]), _hs_value(digits, len(code)))
            for col, digits in enumerate((2, 4, 6))
            if len(code) >= digits
        ]

    def _hs_of(self, levels: list[tuple[int, int, float]], positions: np.ndarray) -> np.ndarray:
        """HS score (float32) of some offers (as the dense channel gives it to every offer)."""
        out = np.zeros(len(positions), dtype=np.float32)
        for col, value, score in levels:
            out[np.asarray(self._hs[positions, col]) == value] = score
        return out

    def _lexical_raw(self, terms: list[int], positions: np.ndarray) -> np.ndarray:
        """BM25 of some offers (float64), the terms added in query order as bm25.scores does."""
        out = np.zeros(len(positions), dtype=np.float64)
        for term in terms:
            out += self.bm25.term_scores(term, positions)
        return out

    def _combined(
        self,
        terms: list[int],
        norm: float,
        levels: list[tuple[int, int, float]],
        positions: np.ndarray,
    ) -> np.ndarray:
        """The lexical channel's score of some offers: clipped lexical plus HS, as in rank."""
        w = self.weights
        combined = np.minimum(self._lexical_raw(terms, positions) / norm, 1.0) * w.lexical
        if levels:
            combined += w.hs * self._hs_of(levels, positions)
        return combined

    def _lexical_channel(
        self,
        q_tokens: list[str],
        terms: list[int],
        norm: float,
        levels: list[tuple[int, int, float]],
        k: int,
    ) -> np.ndarray:
        """The k offers with the best lexical + HS score (> 0), ties by position.

        Scoring every offer that shares a query word cost most of a query at 1,000,000 offers
        (common words like "month" match a third of them). Instead (MaxScore, exact): the
        offers of the strongest words only, the weaker words looked up for those still in
        reach of the k-th best score. Falls back to counting every posting when the weak
        words could still decide (few or no strong words, or an HS code that outweighs them).
        """
        w = self.weights
        if not terms or w.lexical <= 0:
            return self._lexical_channel_dense(q_tokens, norm, levels, k)
        bm25 = self.bm25
        impacts = bm25.max_impacts(terms)
        hs_top = w.hs * max((score for *_, score in levels), default=0.0)
        slack = 1e-9  # float sums in another order than the final, exact ones
        budget = max(self.bm25.n_docs // 8, 4 * k)  # postings beyond which counting all is cheaper

        def bound(raw: np.ndarray | float, hs: np.ndarray | float) -> np.ndarray | float:
            return w.lexical * np.minimum(np.asarray(raw) / norm, 1.0) + hs

        # The strongest words first; after each, the k-th best score so far (each offer's
        # partial score is a lower bound of its own) against what all the remaining words
        # could add to an offer that has none of the words taken: when they cannot lift it
        # to the k-th best, they bring no offer of their own (MaxScore's essential words).
        order = np.argsort(-impacts, kind="stable")
        after = np.concatenate([np.cumsum(impacts[order][::-1])[::-1][1:], [0.0]])
        docs, contrib, taken, theta = [], [], 0, -1.0
        for j, i in enumerate(order):
            postings = bm25.postings(terms[i])
            docs.append(postings[0])
            contrib.append(postings[1])
            taken += len(postings[0])
            if taken > budget:
                return self._lexical_channel_dense(q_tokens, norm, levels, k)
            if taken < k:
                continue
            positions, inverse = np.unique(np.concatenate(docs), return_inverse=True)
            raw = np.bincount(inverse, weights=np.concatenate(contrib), minlength=len(positions))
            hs = w.hs * self._hs_of(levels, positions) if levels else 0.0
            scores = bound(raw, hs)
            if len(positions) >= k:
                theta = float(np.partition(scores, len(positions) - k)[len(positions) - k])
            if theta > 0 and bound(after[j], hs_top) < theta - slack:
                break
        else:
            return self._lexical_channel_dense(q_tokens, norm, levels, k)
        # The remaining words: looked up for the offers still in reach, weakest last.
        positions = positions.astype(np.int64)
        for i in [None, *order[j + 1 :]]:
            if i is not None:
                raw += bm25.term_scores(terms[i], positions)
                after[j] -= impacts[i]
            keep = bound(raw + max(float(after[j]), 0.0), hs) >= theta - slack
            positions, raw = positions[keep], raw[keep]
            hs = hs[keep] if levels else 0.0
        combined = self._combined(terms, norm, levels, positions)
        positions = positions[combined > 0]
        order = np.lexsort((positions, -combined[combined > 0]))[:k]
        return positions[order]

    def _lexical_channel_dense(
        self, q_tokens: list[str], norm: float, levels: list[tuple[int, int, float]], k: int
    ) -> np.ndarray:
        """The lexical channel over every offer sharing a word (or an HS level)."""
        w = self.weights
        combined = np.minimum(self.bm25.scores(q_tokens) / norm, 1.0) * w.lexical
        if levels:
            hs = np.zeros(len(self.offers), dtype=np.float32)
            for col, value, score in levels:
                hs[np.asarray(self._hs[:, col]) == value] = score
            combined += w.hs * hs
        touched = np.flatnonzero(combined)
        if len(touched) > k:
            part = np.argpartition(-combined[touched], k - 1)[:k]
            return touched[part]
        return touched

    def _bonus_most(self, query: Query) -> float:
        """The most an offer can add to its signals through _judge's bonuses for a query."""
        w = self.weights
        most = max(w.certification, 0.0) * len(query.certifications)
        most += max(w.capacity, 0.0) if query.quantity is not None else 0.0
        most += max(w.destination, 0.0) if query.destination else 0.0
        return most + (max(w.country, 0.0) if query.countries else 0.0)

    def _query_guess(self, query: Query, vector: np.ndarray) -> tuple[np.ndarray, ...] | None:
        """The request's guessed headings and subheadings (None without offer guesses, or when
        the request has a code: a guess must not outweigh a declared code, judged by `hs`)."""
        if not self._guess_heads.size or query.hs_code or not query.text:
            return None
        if query.guess is not None:
            return query.guess or None
        if self.hs_guesser is None:  # a catalog of stored guesses only: the query brings its own
            return None
        return tuple(a[0] for a in _guess(self.hs_guesser, [query.text], vector[None, :]))

    def _guess_channel(self, head: int, k: int) -> np.ndarray:
        """Up to k offers whose first guessed heading is `head`, the most confident first: an
        offer of the right product that neither the words nor the vector search found."""
        order = self._guess_order
        if len(self._guess_sorted) != len(order):  # once per process (a saved catalog)
            self._guess_sorted = np.asarray(self._guess_heads[:, 0])[order]
        lo = np.searchsorted(self._guess_sorted, head, side="left")
        hi = np.searchsorted(self._guess_sorted, head, side="right")
        return np.asarray(order[lo : min(hi, lo + k)], dtype=np.int64)

    def _guess_overlap(
        self, q_guess: tuple[np.ndarray, ...] | None, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """How much the candidates' guesses agree with the request's: the dot products of the
        two heading distributions and of the two subheading distributions (top GUESS_TOP)."""
        if q_guess is None:
            return None
        q_heads, q_probs, q_codes, q_code_probs = q_guess

        def dot(values, weights, q_values, q_weights) -> np.ndarray:
            same = np.asarray(values[candidates])[:, :, None] == q_values[None, None, :]
            mass = np.asarray(weights[candidates])[:, :, None] * q_weights[None, None, :]
            return (same * mass).sum(axis=(1, 2))

        return (
            dot(self._guess_heads, self._guess_probs, q_heads, q_probs),
            dot(self._guess_codes, self._guess_code_probs, q_codes, q_code_probs),
        )

    def _is_common(self, token: str) -> bool:
        """Whether a word is in so many offers that it explains no ranking (from 20 offers)."""
        n = self.bm25.n_docs
        term = self.bm25.vocab.get(token)
        if term is None or n < 20:
            return False
        return int(self.bm25.indptr[term + 1] - self.bm25.indptr[term]) > COMMON_SHARE * n

    # Scoring ---------------------------------------------------------------------------------

    def _judge(
        self,
        query: Query,
        offer: Offer,
        signals: dict[str, float],
        q_tokens: list[str],
        today: dt.date,
        *,
        words: bool = True,
    ) -> Match:
        w = self.weights
        score = w.semantic * signals["semantic"] + w.lexical * signals["lexical"]
        if "hs_guess" in signals:  # the request has guesses: so has every offer it is ranked on
            score += w.hs_guess * signals["hs_guess"] + w.hs_guess_6 * signals["hs_guess_6"]
            score *= _agreement_scale(w)
        score += w.hs * signals["hs"]
        failures: list[Reason] = []
        reasons: list[Reason] = []

        if query.hs_code and offer.hs_code and signals["hs"] > 0:
            reasons.append(_hs_reason(query.hs_code, offer.hs_code))
        elif query.hs_code and signals["lexical"] < w.other_product_lexical:
            if code := normalise_code(offer.hs_code):
                failures.append(Reason("hs_other", {"code": format_code(code[:4])}))
        text_reason = _text_reason(query.text, offer.text, signals) if words else None
        if text_reason is not None:
            reasons.append(text_reason)

        held = {c.code: c for c in offer.certifications}
        for code in query.certifications:
            cert = held.get(code)
            if cert is None:
                failures.append(Reason("cert_missing", {"cert": code}))
            elif not cert.valid_on(today):
                failures.append(
                    Reason("cert_expired", {"cert": code, "date": cert.expires.isoformat()})
                )
            else:
                score += w.certification
                reasons.append(Reason("cert_held", {"cert": code}))

        if query.quantity is not None and offer.capacity is not None:
            params = {"capacity": offer.capacity.render(), "requested": query.quantity.render()}
            enough = compare_capacity(offer.capacity, query.quantity)
            if enough is True:
                score += w.capacity
                reasons.append(Reason("capacity_ok", params))
            elif enough is False:
                failures.append(Reason("capacity_short", params))
            else:
                reasons.append(Reason("capacity_unknown", params))

        if query.destination and offer.markets:
            if query.destination in offer.markets:
                score += w.destination
                reasons.append(Reason("exports_to", {"country": query.destination}))
            else:
                reasons.append(Reason("not_exports_to", {"country": query.destination}))

        if query.countries and offer.country:
            if offer.country in query.countries:
                score += w.country
                reasons.append(Reason("country_preferred", {"country": offer.country}))
            else:
                reasons.append(Reason("country_other", {"country": offer.country}))

        return Match(offer.id, round(score, 6), not failures, failures + reasons, signals)

    def explain(self, query: Query, offer: Offer, today: dt.date | None = None) -> Match:
        """Score one query/offer pair without an index (e.g. to word a notification)."""
        vectors = embed_offers([offer], self.embedder)
        qvec = self.embedder.embed_queries([query.text or query.hs_code])[0]
        w = self.weights
        cos = float(vectors[0] @ qvec)
        q_tokens = self.analyse(query.text)
        single = BM25.build([self.analyse(offer.text)])
        lexical = min(1.0, float(single.scores(q_tokens)[0]) / self._lexical_norm(q_tokens))
        hs = 0.0
        if query.hs_code and offer.hs_code:
            digits = _shared(query.hs_code, offer.hs_code)
            hs = _hs_value(digits, len(normalise_code(query.hs_code))) if digits else 0.0
        signals = {
            "semantic": max(0.0, min(1.0, (cos - w.semantic_floor) / (1 - w.semantic_floor))),
            "cosine": cos,
            "lexical": lexical,
            "hs": hs,
        }
        return self._judge(query, offer, signals, q_tokens, today or dt.date.today())


def _agreement_scale(w: Weights) -> float:
    """The learned agreement weights (2.0 and 2.0 beside 0.1 and 0.5) would put scores far
    above 1: the text evidence with the agreement is brought back to the range of semantic +
    lexical alone, the same factor for every offer of a request (the order is the learned
    one), so that the hand-set bonuses, the verdict thresholds and the percentages shown keep
    their meaning."""
    text = w.semantic + w.lexical
    return text / (text + w.hs_guess + w.hs_guess_6) if text > 0 else 1.0


def _hs_value(shared_digits: int, asked_digits: int) -> float:
    """1 when as precise as the query asked, 0.5 for the same heading, 0.2 for the chapter."""
    if shared_digits >= asked_digits:
        return 1.0
    return {4: 0.5, 2: 0.2}.get(shared_digits, 0.0)


def _shared(a: str, b: str) -> int:
    from corridor.matching.hs import shared_level

    return shared_level(a, b)


def _hs_reason(wanted: str, offered: str) -> Reason:
    wanted, offered = normalise_code(wanted), normalise_code(offered)
    digits = _shared(wanted, offered)
    if digits >= len(wanted):
        return Reason("hs_match", {"code": format_code(offered[: max(len(wanted), 2)])})
    if digits == 4:
        return Reason("hs_heading", {"code": offered[:4]})
    return Reason("hs_chapter", {"code": offered[:2]})


def _guess_order(heads: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Offer positions sorted by first guessed heading, then by its probability (descending)."""
    return np.lexsort((-probs[:, 0], heads[:, 0])).astype(np.int64)


def _hs_columns(codes: Sequence[str]) -> np.ndarray:
    """Chapter, heading and subheading of each offer as integers (-1 when unknown)."""
    out = np.full((len(codes), 3), -1, dtype=np.int32)
    for i, code in enumerate(codes):
        code = normalise_code(code)
        for col, digits in enumerate((2, 4, 6)):
            if len(code) >= digits:
                out[i, col] = int(code[:digits])
    return out


def _text_reason(
    query_text: str,
    offer_text: str,
    signals: dict[str, float],
    common: Callable[[str], bool] | None = None,
) -> Reason | None:
    return _QueryWords(query_text, common).reason(offer_text, signals)


def _matched_words(
    query_text: str, text: str, limit: int = 4, common: Callable[[str], bool] | None = None
) -> list[str]:
    """Words shared by the query and the offer, as the offer writes them, for the reasons."""
    return _QueryWords(query_text, common).matched(text, limit=limit)


def _whole(tok: str) -> bool:
    """Whether an indexed token can only be a whole word of a text, never one of its n-grams
    (those are runs of at most 3 characters of a script written without spaces)."""
    return len(tok) > 3 or not any(_is_nospace(c) for c in tok)


def _telling(tok: str) -> bool:
    """False for "for", "of", "25", "5%": they match everywhere and explain nothing."""
    return not (
        tok in _UNTELLING or not any(c.isalpha() for c in tok) or (len(tok) < 2 and tok.isascii())
    )


class _QueryWords:
    """The words of a query that can explain a match, and which of them an offer shares.

    Whole words only (no n-grams); when the two share no word but name the same glossary
    concept in different languages, the concept's English name stands in ("rice"). The
    query's side is prepared once for all its results. After `look_up` (in the catalog's
    postings: which results have which query word or concept, one search per token), the
    results' words and concepts are not re-read from their texts; a short word of a script
    without spaces may be only an n-gram of a text, so when the postings have one it is still
    checked on the text.
    """

    def __init__(self, query_text: str, common: Callable[[str], bool] | None = None) -> None:
        self.query_text = query_text
        self.words = [
            tok
            for tok in dict.fromkeys(text_tokens(query_text, ngrams=False))
            if _telling(tok) and not (common is not None and common(tok))
        ]
        self._whole = {tok: _whole(tok) for tok in self.words}
        self._concepts: list[str] | None = None
        self._present: dict[str, set[int]] | None = None

    def look_up(
        self,
        contains: Callable[[str, np.ndarray], np.ndarray],
        positions: np.ndarray,
        concepts: list[str],
    ) -> None:
        """Which of the offers at `positions` have each word and each of the query's concepts
        (its glossary concepts, in order: the '~' tokens of its analysis)."""
        self._concepts = concepts
        tokens = [*self.words, *(f"~{c}" for c in concepts)]
        self._present = {tok: set(positions[contains(tok, positions)].tolist()) for tok in tokens}

    def reason(
        self, offer_text: str, signals: dict[str, float], pos: int | None = None
    ) -> Reason | None:
        terms = self.matched(offer_text, pos) if signals["lexical"] > 0 else []
        if terms:
            return Reason("text_match", {"terms": ", ".join(terms)})
        # Or the HS suggester puts both descriptions in the same headings (agreement >= 0.5:
        # at least ~0.7 each on one heading): a similar product in other words.
        if signals["semantic"] >= 0.5 or signals.get("hs_guess", 0.0) >= 0.5:
            return Reason("similar")
        return None

    def matched(self, text: str, pos: int | None = None, limit: int = 4) -> list[str]:
        present_at = self._present if pos is not None else None
        words: set[str] | None = None
        surface: dict[str, str] | None = None
        seen: list[str] = []
        for tok in self.words:
            present = pos in present_at[tok] if present_at is not None else True
            if present and not (present_at is not None and self._whole[tok]):
                if words is None:
                    words = set(text_tokens(text, ngrams=False))
                present = tok in words
            if not present:
                continue
            if surface is None:
                # fold() keeps word boundaries: folded and original words pair up one to one.
                originals, folded = _WORD.findall(text), _WORD.findall(fold(text))
                surface = (
                    dict(zip(folded, originals, strict=False))
                    if len(originals) == len(folded)
                    else {}
                )
            shown = surface.get(tok, tok)
            if shown not in seen:
                seen.append(shown)
        if not seen:
            if self._concepts is None:
                self._concepts = concepts(self.query_text)
            if present_at is not None:
                shared = [c for c in self._concepts if pos in present_at[f"~{c}"]]
            else:
                offer_concepts = set(concepts(text))
                shared = [c for c in self._concepts if c in offer_concepts]
            seen = [c.replace("_", " ") for c in shared]
        return seen[:limit]
