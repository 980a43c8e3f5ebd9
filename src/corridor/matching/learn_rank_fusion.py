"""Learn the weights of the ranking's semantic, lexical and HS-agreement (hs_guess at 4 digits,
hs_guess_6 at 6) signals from the UK learning texts.

    python -m corridor.matching.learn_rank_fusion      # writes data/rank_fusion.json

Each of 800 texts of the learning part of the UK references is a query against the others
as offers (gain 2: same subheading, 1: same heading). The engine's own candidates (vector and
lexical channels) are re-ranked with semantic + lexical = 0.6 (the scale the hand-set,
user-facing bonuses were written for) and each split of it; among the splits within 0.01 of the best
nDCG@10 averaged over 5 folds of queries, the one closest to the previous hand weight is kept;
then the (hs_guess, hs_guess_6) weights with the best cross-validated nDCG@10 on top of it (the
suggester's guesses made with the sampled texts left out of its examples; the candidates
include the engine's guess channel). The reported part of the UK
split is never read here.
"""

from __future__ import annotations

import json
import math
import random
import sys

import numpy as np

from corridor.matching.build_hs_vectors import DATA, read_uk_examples

SIGNALS = ("semantic", "lexical", "hs_guess", "hs_guess_6")
QUERIES = 800
TOLERANCE = 0.01
SHARES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
GUESS = tuple((g4, g6) for g4 in (0.0, 1.0, 2.0, 4.0, 6.0) for g6 in (0.0, 2.0, 4.0, 8.0, 12.0))


class _Unseen:
    """The suggester with the sampled texts left out of its example pool (they are the UK
    learning texts it would otherwise recognise), so the HS guess is that of unseen text."""

    def __init__(self, suggester, texts: list[str]) -> None:
        from corridor.core.text import fold

        self.suggester = suggester
        sampled = {fold(t).strip() for t in texts}
        first = suggester.n_seed_examples
        self.exclude = np.zeros(len(suggester._ex_codes), dtype=bool)
        for i, (text, _) in enumerate(read_uk_examples()):
            self.exclude[first + i] = fold(text).strip() in sampled

    def heading_guess(self, texts, vectors, top=5):
        return self.suggester.heading_guess(texts, vectors, top, exclude=self.exclude)

    def guess(self, texts, vectors, top=5):
        return self.suggester.guess(texts, vectors, top, exclude=self.exclude)


def ndcg(gains_ranked: list[int], ideal: list[int], k: int = 10) -> float:
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains_ranked[:k]))
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(ideal, reverse=True)[:k]))
    return dcg / idcg if idcg else float("nan")


def main(argv: list[str] | None = None) -> int:
    from corridor.matching.embedding import default_embedder
    from corridor.matching.engine import Matcher, Weights
    from corridor.matching.hs_suggest import HsSuggester
    from corridor.matching.records import Offer, Query

    learning = read_uk_examples()
    rows = random.Random(7).sample(learning, min(QUERIES, len(learning)))
    codes = [c for _, c in rows]
    offers = [Offer(id=i, title="", description=t) for i, (t, _) in enumerate(rows)]
    embedder = default_embedder()
    guesser = _Unseen(HsSuggester(embedder=embedder), [t for t, _ in rows])
    matcher = Matcher(
        embedder=embedder,
        weights=Weights(candidates=100, hs_guess=1.0, hs_guess_6=1.0),
        hs_guesser=guesser,
    ).build(offers)
    queries = [Query(id=i, text=t) for i, (t, _) in enumerate(rows)]
    data = []
    for qi, matches in enumerate(matcher.rank_many(queries, top=400)):
        code = codes[qi]
        feats, gains, ids = [], [], []
        for m in matches:
            if m.offer_id == qi:
                continue
            c = codes[m.offer_id]
            ids.append(str(m.offer_id))
            feats.append([m.signals.get(s, 0.0) for s in SIGNALS])
            gains.append(2 if c == code else 1 if c[:4] == code[:4] else 0)
        ideal = [2 if c == code else 1 if c[:4] == code[:4] else 0 for c in codes]
        ideal[qi] = 0
        if sum(ideal):
            data.append((np.asarray(feats), np.asarray(gains), ideal, np.asarray(ids)))
    folds = np.arange(len(data)) % 5

    def evaluate(w: np.ndarray, idx) -> float:
        values = []
        for i in idx:
            x, g, ideal, ids = data[i]
            # Ties by offer id, as the engine breaks them (not by the order collected, which
            # was ranked with other weights).
            order = np.lexsort((ids, -(x @ w)))
            values.append(ndcg(g[order].tolist(), ideal))
        return float(np.nanmean(values))

    # Candidates come from the vector channel (high semantic, mostly irrelevant) and the
    # lexical one: a pointwise logistic regression on them learned a negative semantic weight
    # (selection bias) and nDCG 0.14 against 0.29 by hand. The split of the 0.6 between the
    # two signals is therefore chosen directly by cross-validated nDCG@10 (a one-parameter
    # listwise fit): the share that is best on average over the 5 held-out folds.
    by_share = {}
    for share in SHARES:
        w = np.asarray([share, 0.6 - share, 0.0, 0.0])
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
    # The HS-agreement weight on top of that split, also by cross-validated nDCG@10: for each
    # held-out fold, the weight best on the other four is measured on it.
    by_guess = {}
    for g in GUESS:
        w = np.asarray([best, 0.6 - best, *g])
        by_guess[g] = [
            evaluate(w, [i for i in range(len(data)) if folds[i] == f]) for f in range(5)
        ]
        print(f"hs_guess {g[0]:.1f}, hs_guess_6 {g[1]:.1f}: CV nDCG@10 {np.mean(by_guess[g]):.3f}")
    nested = []
    for f in range(5):
        pick = max(GUESS, key=lambda g: np.mean([v for j, v in enumerate(by_guess[g]) if j != f]))
        nested.append(by_guess[pick][f])
    guess = max(GUESS, key=lambda g: np.mean(by_guess[g]))
    print(f"nested CV nDCG@10 with the weight chosen on the other folds: {np.mean(nested):.3f}")
    w = np.asarray([best, 0.6 - best, *guess])
    out = {
        "signals": list(SIGNALS),
        "weights": [round(float(v), 4) for v in w],
        "cv_ndcg10": {f"{k:.2f}": round(v, 4) for k, v in by_share.items()},
        "cv_ndcg10_hs_guess": {
            f"{k[0]:.1f}/{k[1]:.1f}": round(float(np.mean(v)), 4) for k, v in by_guess.items()
        },
        "nested_cv_ndcg10": round(float(np.mean(nested)), 4),
        "rule": (
            "semantic/lexical: the semantic share closest to the previous hand value (0.1) among "
            "those within 0.01 of the best cross-validated nDCG@10 (the project's labelled set, "
            "cross-script product names, drops from 0.604 at 0.1 to 0.402 at 0.4); hs_guess: "
            "the (hs_guess, hs_guess_6) pair with the best cross-validated nDCG@10 on top of that split"
        ),
        "queries": len(data),
        "source": "UK reference texts, learning part (5-fold CV over queries)",
    }
    (DATA / "rank_fusion.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
