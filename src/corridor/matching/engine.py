"""Hybrid, explainable ranking of offers for a query: BM25 + embeddings + HS + constraints."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from corridor.core.text import fold
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
        guessed here (with a guesser), -1 leaves the offer without a guess.
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
        if self.hs_guesser is not None and self.weights.hs_guess + self.weights.hs_guess_6 > 0:
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
        if len(todo):
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

    def _hs_dense(self, code: str) -> np.ndarray | None:
        """HS score of every offer for a query code (None when the query has none)."""
        code = normalise_code(code)
        if not code or not len(self.offers):
            return None
        out = np.zeros(len(self.offers), dtype=np.float32)
        levels = [(2, 0), (4, 1), (6, 2)]
        for digits, col in levels:
            if len(code) < digits:
                break
            same = self._hs[:, col] == int(code[:digits])
            out[same] = _hs_value(digits, len(code))
        return out

    def rank(self, query: Query, top: int = 10, today: dt.date | None = None) -> list[Match]:
        """The best `top` offers for a query, those meeting every hard constraint first."""
        vector = self.embedder.embed_queries([query.text or query.hs_code])[0]
        return self.rank_with_vector(query, vector, top=top, today=today)

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
        w = self.weights
        today = today or dt.date.today()
        q_tokens = self.analyse(query.text)
        k = max(w.candidates, top)

        vec_keys, vec_sims = self.index.search(vector, k)
        lexical = self.bm25.scores(q_tokens) / self._lexical_norm(q_tokens)
        np.minimum(lexical, 1.0, out=lexical)
        hs = self._hs_dense(query.hs_code)
        combined = lexical * w.lexical
        if hs is not None:
            combined += w.hs * hs
        # Only offers with some lexical or HS evidence compete: select among those.
        touched = np.flatnonzero(combined)
        if len(touched) > k:
            part = np.argpartition(-combined[touched], k - 1)[:k]
            lex_keys = touched[part]
        else:
            lex_keys = touched

        q_guess = self._query_guess(query, vector)
        candidates = np.union1d(vec_keys, lex_keys).astype(np.int64)
        if q_guess is not None:
            candidates = np.union1d(candidates, self._guess_channel(int(q_guess[0][0]), k))
        sims = dict(zip(vec_keys.tolist(), vec_sims.tolist(), strict=True))
        others = [c for c in candidates.tolist() if c not in sims]
        if others:
            vecs = self.index.vectors_of(others)
            for c, s in zip(others, (vecs @ vector).tolist(), strict=True):
                sims[c] = s

        guess = self._guess_overlap(q_guess, candidates)
        scored: list[tuple[Match, int]] = []
        for row, pos in enumerate(candidates.tolist()):
            offer = self.offers[pos]
            semantic = max(0.0, (sims[pos] - w.semantic_floor) / (1 - w.semantic_floor))
            signals = {
                "semantic": round(min(semantic, 1.0), 6),
                "cosine": round(sims[pos], 6),
                "lexical": round(float(lexical[pos]), 6),
                "hs": round(float(hs[pos]) if hs is not None else 0.0, 6),
            }
            if guess is not None:
                signals["hs_guess"] = round(float(guess[0][row]), 6)
                signals["hs_guess_6"] = round(float(guess[1][row]), 6)
            match = self._judge(query, offer, signals, q_tokens, today, words=False)
            scored.append((match, pos))
        # Hard failures after every passing offer; ties by offer id for determinism.
        scored.sort(key=lambda mp: (not mp[0].passes, -mp[0].score, str(mp[0].offer_id), mp[1]))
        best = scored[:top]
        # Which words matched is worded for the results only: it re-tokenises the offer text.
        for match, pos in best:
            reason = _text_reason(
                query.text, self.offers[pos].text, match.signals, common=self._is_common
            )
            if reason is not None:
                at = sum(1 for r in match.reasons if r.is_failure or r.code.startswith("hs_"))
                match.reasons.insert(at, reason)
        return [match for match, _ in best]

    def _query_guess(self, query: Query, vector: np.ndarray) -> tuple[np.ndarray, ...] | None:
        """The request's guessed headings and subheadings (None without offer guesses, or when
        the request has a code: a guess must not outweigh a declared code, judged by `hs`)."""
        if not self._guess_heads.size or self.hs_guesser is None:
            return None
        if query.hs_code or not query.text:
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
    terms = _matched_words(query_text, offer_text, common=common) if signals["lexical"] > 0 else []
    if terms:
        return Reason("text_match", {"terms": ", ".join(terms)})
    # Or the HS suggester puts both descriptions in the same headings (agreement >= 0.5: at
    # least ~0.7 each on one heading): a similar product in other words.
    if signals["semantic"] >= 0.5 or signals.get("hs_guess", 0.0) >= 0.5:
        return Reason("similar")
    return None


def _matched_words(
    query_text: str, text: str, limit: int = 4, common: Callable[[str], bool] | None = None
) -> list[str]:
    """Words shared by the query and the offer, as the offer writes them, for the reasons.

    Whole words only (no n-grams); when the two share no word but name the same glossary
    concept in different languages, the concept's English name stands in ("rice").
    """
    # fold() keeps word boundaries, so the folded and original words pair up one to one.
    originals, folded = _WORD.findall(text), _WORD.findall(fold(text))
    surface = dict(zip(folded, originals, strict=False)) if len(originals) == len(folded) else {}
    words = set(text_tokens(text, ngrams=False))
    seen: list[str] = []
    for tok in text_tokens(query_text, ngrams=False):
        shown = surface.get(tok, tok)
        if (
            tok in _UNTELLING
            or not any(c.isalpha() for c in tok)
            or (len(tok) < 2 and tok.isascii())
        ):
            continue  # "for", "of", "25", "5%" match everywhere and explain nothing
        if common is not None and common(tok):
            continue
        if tok in words and shown not in seen:
            seen.append(shown)
    if not seen:
        offer_concepts = set(concepts(text))
        seen = [c.replace("_", " ") for c in concepts(query_text) if c in offer_concepts]
    return seen[:limit]
