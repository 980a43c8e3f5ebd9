"""Learn the weights of the ranking's semantic and lexical signals from the UK learning texts.

    python -m corridor.matching.learn_rank_fusion      # writes data/rank_fusion.json

Each of 1,500 texts of the learning part of the UK references is a query against the others
as offers (gain 2: same subheading, 1: same heading). The engine's own candidates (vector and
lexical channels) are scored by a logistic regression of "relevant" on the signals, fitted on
4 folds of queries and measured (nDCG@10 of the re-ranked candidates) on the fifth. The
weights are rescaled so that semantic + lexical = 0.6, the scale the other (hand-set,
user-facing) bonuses were written for. The reported part of the UK split is never read here.
"""

from __future__ import annotations

import csv
import json
import math
import random
import sys

import numpy as np

from corridor.matching.build_hs_vectors import DATA, UK_EXAMPLES
from corridor.matching.learn_hs_fusion import fit_binary

SIGNALS = ("semantic", "lexical")
QUERIES = 1500


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

    hand = np.asarray([0.1, 0.5])
    cv_learned, cv_hand = [], []
    for f in range(5):
        train = [i for i in range(len(data)) if folds[i] != f]
        test = [i for i in range(len(data)) if folds[i] == f]
        x = np.vstack([data[i][0] for i in train])
        y = np.concatenate([data[i][1] for i in train]) > 0
        w = fit_binary(x, y)
        cv_learned.append(evaluate(w, test))
        cv_hand.append(evaluate(hand, test))
    x = np.vstack([d[0] for d in data])
    y = np.concatenate([d[1] for d in data]) > 0
    w = fit_binary(x, y)
    w = np.maximum(w, 0.0)
    w = w / max(w.sum(), 1e-9) * 0.6
    out = {
        "signals": list(SIGNALS),
        "weights": [round(float(v), 4) for v in w],
        "cv_ndcg10_learned": round(float(np.mean(cv_learned)), 4),
        "cv_ndcg10_hand": round(float(np.mean(cv_hand)), 4),
        "queries": len(data),
        "source": "UK reference texts, learning part (5-fold CV over queries)",
    }
    (DATA / "rank_fusion.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
