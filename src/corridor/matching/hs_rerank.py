"""Re-rank the HS suggester's best candidates with a small tree ensemble (LightGBM lambdarank).

The learned fusion (data/hs_fusion.json) is a weighted sum: it cannot say "a close example
counts when the meaning agrees, not when only the words do". The re-ranker takes the fusion's
RERANK_K best subheadings of a text and scores each from its features, the fusion's score and
rank, its heading's probability mass, and what the other candidates look like. It is trained by
`python -m corridor.matching.learn_hs_rerank` on the UK learning part (out-of-fold features) and
ships as data/hs_rerank.txt (the LightGBM model) with data/hs_rerank.json (how it was made). It
never trains at run time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Sequence

import numpy as np

from corridor.core.text import tokens
from corridor.matching.build_hs_vectors import DATA

log = logging.getLogger(__name__)

RERANK_K = 20
MODEL, META = DATA / "hs_rerank.txt", DATA / "hs_rerank.json"


def fusion_digest(features: list[str] | tuple[str, ...], weights) -> str:
    """Identifies the linear fusion a re-ranker was trained on (its scores are a feature)."""
    payload = json.dumps([list(features), [round(float(w), 5) for w in weights]])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def candidate_matrix(
    features: np.ndarray,
    scores: np.ndarray,
    heading: np.ndarray,
    n_heads: int,
    text: str,
    examples: np.ndarray,
    k: int = RERANK_K,
) -> tuple[np.ndarray, np.ndarray]:
    """The k best subheadings by the linear scores (best first) and the re-ranker's input row
    for each: its features, the linear score, its gap to the best and its rank, the log
    probability mass of its heading and the heading's rank, how many of the candidates share its
    heading and how many of those come before it, the best value of each feature among the
    candidates, the text's length in words, and how many examples of the subheading the pool
    holds (`examples`, per subheading: a prior that grows with the users' confirmations).
    Training and suggestion both call this."""
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]
    p = np.exp(scores - scores.max())
    mass = np.bincount(heading, p / p.sum(), minlength=n_heads)
    head_rank = np.empty(n_heads)
    head_rank[np.argsort(-mass, kind="stable")] = np.arange(n_heads)
    heads = heading[top]
    same = heads[:, None] == heads[None, :]
    cand = features[:, top].T
    gap = scores[top] - scores[top[0]]
    columns = [
        cand,
        scores[top, None],
        gap[:, None],
        np.arange(k, dtype=np.float64)[:, None],
        np.log(mass[heads] + 1e-9)[:, None],
        head_rank[heads, None],
        same.sum(axis=1)[:, None],
        np.tril(same, -1).sum(axis=1)[:, None],
        np.broadcast_to(cand.max(axis=0), cand.shape),
        np.full((k, 1), len(tokens(text, ngrams=False))),
        np.log1p(examples[top])[:, None],
    ]
    return top, np.concatenate(columns, axis=1).astype(np.float32)


def diversify(scores: np.ndarray, heads: np.ndarray, penalty: float) -> np.ndarray:
    """Each candidate's score lowered by `penalty` for every candidate of its heading scored
    above it: five suggestions from one heading say less than five from three."""
    seen: dict[int, int] = {}
    above = np.zeros(len(scores))
    for j in np.argsort(-scores, kind="stable"):
        above[j] = seen.get(int(heads[j]), 0)
        seen[int(heads[j])] = int(above[j]) + 1
    return scores - penalty * above


class Reranker:
    """The shipped model; `probabilities` turns its scores into the suggester's confidences."""

    def __init__(self, booster, meta: dict) -> None:
        self.booster = booster
        self.k = int(meta["k"])
        self.temperature = float(meta["temperature"])
        self.diversity = float(meta.get("diversity", 0.0))
        self.meta = meta

    def scores(self, rows: np.ndarray, heads: np.ndarray) -> np.ndarray:
        """The model's score of each candidate row, diversified over their headings `heads`."""
        return self.scores_many([rows], [heads])[0]

    def scores_many(
        self, rows: Sequence[np.ndarray], heads: Sequence[np.ndarray]
    ) -> list[np.ndarray]:
        """scores() of the candidates of several texts in one LightGBM call: a call costs
        ~0.4 ms whatever its size, and each row's score is its own (the same as alone)."""
        # One thread: suggestion runs beside web requests, and OpenMP waiting is costly there.
        predicted = self.booster.predict(np.concatenate(rows), num_threads=1)
        parts = np.split(predicted, np.cumsum([len(r) for r in rows])[:-1])
        return [diversify(p, h, self.diversity) for p, h in zip(parts, heads, strict=True)]

    def probabilities(
        self, linear: np.ndarray, top: np.ndarray, scores: np.ndarray, sharpen: float = 1.0
    ) -> np.ndarray:
        """The linear fusion's softmax, with the mass of the candidates shared among them by a
        softmax of the re-ranker's scores (temperature fitted out of fold); both temperatures
        multiplied by `sharpen` (the ranking's guesses are sharper than the confidences)."""
        probs = np.exp((linear - linear.max()) / sharpen)
        probs /= probs.sum()
        share = np.exp((scores - scores.max()) / (self.temperature * sharpen))
        probs[top] = probs[top].sum() * share / share.sum()
        return probs


@functools.cache
def shipped(digest: str) -> Reranker | None:
    """The shipped re-ranker when it was trained on the linear fusion `digest` (None if absent,
    stale, or LightGBM is not installed: the suggester then keeps the linear order)."""
    if not (MODEL.exists() and META.exists()):
        return None
    meta = json.loads(META.read_text(encoding="utf-8"))
    if meta.get("fusion") != digest:
        log.warning("data/hs_rerank.txt was trained on another fusion: not used")
        return None
    try:
        import lightgbm
    except ImportError:
        log.warning("lightgbm is not installed: HS suggestions keep the linear order")
        return None
    return Reranker(lightgbm.Booster(model_str=MODEL.read_text(encoding="utf-8")), meta)
