"""BM25 over corridor.core.text.tokens(): lexical relevance across scripts, held in numpy arrays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

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
        """BM25 scores of some documents only (candidate re-scoring)."""
        if not len(positions):
            return np.zeros(0, dtype=np.float32)
        return self.scores(query_tokens)[positions]
