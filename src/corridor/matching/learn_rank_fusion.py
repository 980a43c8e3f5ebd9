"""Learn the weights of the ranking's semantic and lexical signals from the UK learning texts.

    python -m corridor.matching.learn_rank_fusion      # writes data/rank_fusion.json

Each of 800 texts of the learning part of the UK references is a query against the others
as offers (gain 2: same subheading, 1: same heading). The engine's own candidates (vector and
lexical channels) are re-ranked with semantic + lexical = 0.6 (the scale the hand-set,
user-facing bonuses were written for) and each split of it; among the splits within 0.01 of the best
nDCG@10 averaged over 5 folds of queries, the one closest to the previous hand weight is kept. The reported part of the UK split is never read here.
"""

from __future__ import annotations

import csv
import json
import math
import random
import sys

import numpy as np

from corridor.matching.build_hs_vectors import DATA, UK_EXAMPLES

SIGNALS = ("semantic", "lexical")
QUERIES = 800
TOLERANCE = 0.01
SHARES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def ndcg(gains_ranked: list[int], ideal: list[int], k: int = 10) -> float:
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains_ranked[:k]))
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(ideal, reverse=True)[:k]))
    return dcg / idcg if idcg else float("nan")


def main(argv: list[str] | None = None) -> int:
    from corridor.matching.embedding import default_embedder
    from corridor.matching.engine import Matcher, Weights
    from corridor.matching.records import Offer, Query

    with UK_EXAMPLES.open(encoding="utf-8", newline="") as fh:
        rows = [(r["text"], r["code"]) for r in csv.DictReader(fh)]
    rows = random.Random(7).sample(rows, min(QUERIES, len(rows)))
    codes = [c for _, c in rows]
    offers = [Offer(id=i, title="", description=t) for i, (t, _) in enumerate(rows)]
    matcher = Matcher(embedder=default_embedder(), weights=Weights(candidates=100)).build(offers)
    queries = [Query(id=i, text=t) for i, (t, _) in enumerate(rows)]
    data = []
    for qi, matches in enumerate(matcher.rank_many(queries, top=400)):
        code = codes[qi]
        feats, gains = [], []
        for m in matches:
            if m.offer_id == qi:
                continue
            c = codes[m.offer_id]
            feats.append([m.signals[s] for s in SIGNALS])
            gains.append(2 if c == code else 1 if c[:4] == code[:4] else 0)
        ideal = [2 if c == code else 1 if c[:4] == code[:4] else 0 for c in codes]
        ideal[qi] = 0
        if sum(ideal):
            data.append((np.asarray(feats), np.asarray(gains), ideal))
    folds = np.arange(len(data)) % 5

    def evaluate(w: np.ndarray, idx) -> float:
        values = []
        for i in idx:
            x, g, ideal = data[i]
            order = np.lexsort((np.arange(len(g)), -(x @ w)))
            values.append(ndcg(g[order].tolist(), ideal))
        return float(np.nanmean(values))

    # Candidates come from the vector channel (high semantic, mostly irrelevant) and the
    # lexical one: a pointwise logistic regression on them learned a negative semantic weight
    # (selection bias) and nDCG 0.14 against 0.29 by hand. The split of the 0.6 between the
    # two signals is therefore chosen directly by cross-validated nDCG@10 (a one-parameter
    # listwise fit): the share that is best on average over the 5 held-out folds.
    by_share = {}
    for share in SHARES:
        w = np.asarray([share, 0.6 - share])
        by_share[share] = float(
            np.mean([evaluate(w, [i for i in range(len(data)) if folds[i] == f]) for f in range(5)])
        )
        print(
            f"semantic {share:.2f} / lexical {0.6 - share:.2f}: cross-validated nDCG@10 {by_share[share]:.3f}"
        )
    # Differences within TOLERANCE are noise for 650 queries: among those shares, keep the one
    # closest to the previous hand weight (0.1), which the project's labelled set (cross-script
    # product names, where the glossary's lexical evidence decides) clearly prefers.
    top = max(by_share.values())
    best = min((k for k, v in by_share.items() if v >= top - TOLERANCE), key=lambda k: abs(k - 0.1))
    w = np.asarray([best, 0.6 - best])
    out = {
        "signals": list(SIGNALS),
        "weights": [round(float(v), 4) for v in w],
        "cv_ndcg10": {f"{k:.2f}": round(v, 4) for k, v in by_share.items()},
        "queries": len(data),
        "source": "UK reference texts, learning part (5-fold CV over queries)",
    }
    (DATA / "rank_fusion.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
