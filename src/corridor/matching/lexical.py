"""BM25 over corridor.core.text.tokens(): lexical relevance across scripts, held in numpy arrays."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from corridor.core.text import tokens as text_tokens
from corridor.matching.glossary import concept_tokens


def analyse(text: str) -> list[str]:
    """Tokens BM25 indexes: folded words, n-grams for the scripts written without spaces, and
    language-neutral glossary concepts ('~rice') so that scripts meet."""
    return text_tokens(text or "") + concept_tokens(text or "")


class BM25:
    """Okapi BM25 with postings in CSR arrays, so that 1,000,000 documents stay fast and small.

    Built once from token lists (rebuild to change it: the catalog is re-indexed as a whole).
    The per-posting length-normalised term frequency is computed at build time, so a query is
    one weighted bincount over the postings of its terms.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self.n_docs = 0
        self.indptr = np.zeros(1, dtype=np.int64)
        self.doc_ids = np.zeros(0, dtype=np.int32)
        self.weights = np.zeros(0, dtype=np.float32)
        self.idf = np.zeros(0, dtype=np.float32)
        self._max_impact: dict[int, float] = {}  # term -> its largest contribution, lazily

    @classmethod
    def build(cls, documents: Iterable[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> BM25:
        """Index token lists; document i of the input is position i in results."""
        vocab: dict[str, int] = {}
        docs, terms, tfs, lengths = [], [], [], []
        for position, toks in enumerate(documents):
            counts = Counter(toks)
            lengths.append(len(toks))
            for term, tf in counts.items():
                docs.append(position)
                terms.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        index = cls(k1, b)
        index.vocab = vocab
        index._finish(
            np.asarray(docs, dtype=np.int32),
            np.asarray(terms, dtype=np.int32),
            np.asarray(tfs, dtype=np.float32),
            np.asarray(lengths, dtype=np.float32),
        )
        return index

    def _finish(
        self, docs: np.ndarray, terms: np.ndarray, tfs: np.ndarray, lengths: np.ndarray
    ) -> None:
        """Sort coordinate postings by term into CSR and precompute the BM25 weights."""
        self.n_docs = len(lengths)
        avgdl = float(lengths.mean()) if len(lengths) else 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths / max(avgdl, 1e-9))
        order = np.argsort(terms, kind="stable")
        terms, docs, tfs = terms[order], docs[order], tfs[order]
        n_terms = len(self.vocab)
        df = np.bincount(terms, minlength=n_terms)
        self.indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        self.doc_ids = docs
        self.weights = (tfs * (self.k1 + 1) / (tfs + norm[docs])).astype(np.float32)
        n = self.n_docs
        self.idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)

    def tiled(self, copies: int) -> BM25:
        """The same documents repeated `copies` times (benchmarks of large catalogs)."""
        out = BM25(self.k1, self.b)
        out.vocab = self.vocab
        out.n_docs = self.n_docs * copies
        df = np.diff(self.indptr)
        parts_d, parts_w = [], []
        for t in range(len(self.vocab)):
            lo, hi = self.indptr[t], self.indptr[t + 1]
            d = self.doc_ids[lo:hi]
            parts_d.append((d[None, :] + self.n_docs * np.arange(copies)[:, None]).ravel())
            parts_w.append(np.tile(self.weights[lo:hi], copies))
        out.indptr = np.concatenate([[0], np.cumsum(df * copies)]).astype(np.int64)
        out.doc_ids = np.concatenate(parts_d).astype(np.int32) if parts_d else self.doc_ids
        out.weights = np.concatenate(parts_w) if parts_w else self.weights
        n = out.n_docs
        out.idf = np.log(1 + (n - df * copies + 0.5) / (df * copies + 0.5)).astype(np.float32)
        return out

    def save(self, folder: str | os.PathLike) -> None:
        """Write the postings as .npy files (opened memory-mapped by `open`)."""
        folder = Path(folder)
        terms = np.asarray(list(self.vocab), dtype=str)
        ids = np.asarray(list(self.vocab.values()), dtype=np.int32)
        order = np.argsort(terms, kind="stable")
        parts = {
            "terms": terms[order] if len(terms) else np.zeros(0, dtype="<U1"),
            "term_ids": ids[order],
            "indptr": self.indptr,
            "doc_ids": self.doc_ids,
            "weights": self.weights,
            "idf": self.idf,
            "params": np.asarray([self.k1, self.b, self.n_docs], dtype=np.float64),
        }
        for name, array in parts.items():
            np.save(folder / f"bm25_{name}.npy", array)

    @classmethod
    def open(cls, folder: str | os.PathLike) -> BM25:
        """The index saved by `save`, memory-mapped: processes share its pages."""
        folder = Path(folder)

        def part(name: str) -> np.ndarray:
            return np.load(folder / f"bm25_{name}.npy", mmap_mode="r")

        k1, b, n_docs = part("params").tolist()
        index = cls(k1, b)
        index.vocab = SortedVocab(part("terms"), part("term_ids"))
        index.n_docs = int(n_docs)
        index.indptr, index.doc_ids = part("indptr"), part("doc_ids")
        index.weights, index.idf = part("weights"), part("idf")
        return index

    def term_ids(self, query_tokens: Sequence[str]) -> list[int]:
        return [self.vocab[t] for t in dict.fromkeys(query_tokens) if t in self.vocab]

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document (dense float64 array of n_docs)."""
        ids = self.term_ids(query_tokens)
        if not ids or not self.n_docs:
            return np.zeros(self.n_docs, dtype=np.float64)
        docs = np.concatenate([self.doc_ids[self.indptr[t] : self.indptr[t + 1]] for t in ids])
        weights = np.concatenate(
            [self.weights[self.indptr[t] : self.indptr[t + 1]] * self.idf[t] for t in ids]
        )
        return np.bincount(docs, weights=weights, minlength=self.n_docs)

    def scores_many(self, queries: Sequence[Sequence[str]]) -> np.ndarray:
        """scores() of several queries, one row each: the postings of all their terms gathered
        and summed in one bincount, not term by term. The same values (each document's terms
        are added in the same order, and idf x weight is the same float32 product)."""
        ids = [self.term_ids(q) for q in queries]
        terms = np.fromiter((t for i in ids for t in i), dtype=np.int64)
        lo = np.asarray(self.indptr[terms], dtype=np.int64)
        sizes = np.asarray(self.indptr[terms + 1], dtype=np.int64) - lo
        ends = np.cumsum(sizes)
        # Each posting's place in doc_ids: its term's start plus its rank among the term's.
        at = np.repeat(lo - (ends - sizes), sizes) + np.arange(ends[-1] if len(ends) else 0)
        weights = self.weights[at] * np.repeat(self.idf[terms], sizes)
        rows = np.repeat(np.repeat(np.arange(len(queries)), [len(i) for i in ids]), sizes)
        flat = rows * self.n_docs + self.doc_ids[at]
        out = np.bincount(flat, weights=weights, minlength=len(queries) * self.n_docs)
        # Without a single posting bincount returns integers, whatever the weights: a batch
        # whose words are all unknown then broke the callers' in-place float products.
        return out.astype(np.float64, copy=False).reshape(len(queries), self.n_docs)

    def top(self, query_tokens: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of the k best documents with a positive score, best first."""
        scores = self.scores(query_tokens)
        if not len(scores):
            return np.zeros(0, dtype=np.int64), scores
        k = min(k, len(scores))
        part = np.argpartition(-scores, k - 1)[:k]
        part = part[scores[part] > 0]
        # Ties broken by position, so the same input always gives the same order.
        order = np.lexsort((part, -scores[part]))
        return part[order], scores[part[order]]

    def score_docs(self, query_tokens: Sequence[str], positions: np.ndarray) -> np.ndarray:
        """BM25 scores of some documents only (float64, equal to `scores(...)[positions]`: the
        terms are added in the same order), looked up in the postings, not over every one."""
        positions = np.asarray(positions, dtype=np.int64).reshape(-1)
        out = np.zeros(len(positions), dtype=np.float64)
        if len(positions):
            for term in self.term_ids(query_tokens):
                out += self.term_scores(term, positions)
        return out

    # Postings of one term: the doc ids of a term are in increasing order (build sorts the
    # postings by term stably, documents in input order; tiled and saved indexes keep it).

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """(documents, contributions idf x weight as float32) of one term, documents sorted."""
        lo, hi = int(self.indptr[term]), int(self.indptr[term + 1])
        return self.doc_ids[lo:hi], self.weights[lo:hi] * self.idf[term]

    def term_scores(self, term: int, positions: np.ndarray) -> np.ndarray:
        """One term's contribution (float32) to each of some documents, 0 where it is absent:
        a binary search per document in the term's postings."""
        lo, hi = int(self.indptr[term]), int(self.indptr[term + 1])
        out = np.zeros(len(positions), dtype=np.float32)
        if hi == lo or not len(positions):
            return out
        docs = self.doc_ids[lo:hi]
        wanted = np.asarray(positions).astype(docs.dtype, copy=False)
        at = np.searchsorted(docs, wanted)
        np.minimum(at, hi - lo - 1, out=at)
        hit = docs[at] == wanted
        out[hit] = self.weights[lo + at[hit]] * self.idf[term]
        return out

    def max_impacts(self, terms: Sequence[int]) -> np.ndarray:
        """The largest contribution each term gives any document (what a term can add at most:
        the engine skips documents that cannot reach its top k). Cached per term."""
        out = np.zeros(len(terms), dtype=np.float64)
        for i, term in enumerate(terms):
            hit = self._max_impact.get(term)
            if hit is None:
                lo, hi = int(self.indptr[term]), int(self.indptr[term + 1])
                hit = float(self.weights[lo:hi].max() * self.idf[term]) if hi > lo else 0.0
                self._max_impact[term] = hit
            out[i] = hit
        return out

    def contains_many(self, token: str, positions: np.ndarray) -> np.ndarray:
        """Which of some documents have a token among their indexed tokens (bool array)."""
        term = self.vocab.get(token)
        if term is None or not len(positions):
            return np.zeros(len(positions), dtype=bool)
        docs = self.doc_ids[int(self.indptr[term]) : int(self.indptr[term + 1])]
        wanted = np.asarray(positions).astype(docs.dtype, copy=False)
        at = np.minimum(np.searchsorted(docs, wanted), len(docs) - 1)
        return docs[at] == wanted


class SortedVocab:
    """term -> id over a sorted array of terms (binary search): a memory-mapped vocabulary that
    costs a process nothing until it is read, unlike a dict of every term."""

    def __init__(self, terms: np.ndarray, ids: np.ndarray) -> None:
        self._terms, self._ids = terms, ids

    def __len__(self) -> int:
        return len(self._terms)

    def get(self, term: str, default: int | None = None) -> int | None:
        at = int(np.searchsorted(self._terms, term))
        if at < len(self._terms) and self._terms[at] == term:
            return int(self._ids[at])
        return default

    def __contains__(self, term: str) -> bool:
        return self.get(term) is not None

    def __getitem__(self, term: str) -> int:
        found = self.get(term)
        if found is None:
            raise KeyError(term)
        return found
