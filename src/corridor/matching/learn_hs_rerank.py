"""Train the HS suggester's re-ranker on the learning part of the UK references.

    python -m corridor.matching.learn_hs_rerank [--features CACHE.npy]
    # writes data/hs_rerank.txt and data/hs_rerank.json; needs lightgbm

The features are those of learn_hs_fusion (each text's own fold left out of the example pool).
The linear fusion's scores, one of the re-ranker's inputs, are out of fold too: for the texts of
fold f they come from the fusion fitted on the other four folds, so the re-ranker learns how far
to trust the fusion on text it has not seen. The re-ranker (LightGBM lambdarank, the right
subheading relevant, the others not) is measured by the same 5-fold cross-validation over every
subheading; the temperature turning its scores into confidences is fitted on its out-of-fold
scores. The reported part of the UK split is never read here.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from corridor.matching import learn_hs_fusion as fusion
from corridor.matching.hs_rerank import (
    META,
    MODEL,
    RERANK_K,
    candidate_matrix,
    diversify,
    fusion_digest,
)

PARAMS = {
    "objective": "lambdarank",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 20,
    "num_threads": 1,
    "seed": 1,
    "deterministic": True,
    "verbosity": -1,
}
ROUNDS = 300
DIVERSITY = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


def rows_of(x, right, folds, weights, texts, heading, n_heads, counts):
    """Each text's candidates (k best by the fusion of its fold), their input rows, and the
    column of the right one among them (-1 if missing). `counts[f]`: the examples per
    subheading in the pool without fold f."""
    tops, rows, hits = [], [], []
    for i in range(len(right)):
        feats = np.asarray(x[i], dtype=np.float64)
        scores = weights[folds[i]] @ feats
        top, matrix = candidate_matrix(feats, scores, heading, n_heads, texts[i], counts[folds[i]])
        tops.append(top)
        rows.append(matrix)
        hit = np.flatnonzero(top == right[i])
        hits.append(int(hit[0]) if len(hit) else -1)
    return np.stack(tops), np.stack(rows), np.asarray(hits)


def measure(order: np.ndarray, right: np.ndarray, heading: np.ndarray) -> dict[str, float]:
    """Top-1 / top-5 at 6 and 4 digits of lists whose first columns are `order`."""
    r6 = order[:, :5] == right[:, None]
    r4 = heading[order[:, :5]] == heading[right][:, None]
    return {
        "top-1 @6": float(r6[:, 0].mean()),
        "top-5 @6": float(r6.any(axis=1).mean()),
        "top-1 @4": float(r4[:, 0].mean()),
        "top-5 @4": float(r4.any(axis=1).mean()),
    }


def monotone(n_features: int) -> list[int]:
    """Every signal can only add evidence, as in the linear fusion (weights >= 0): the model's
    score may not fall when a feature, the fusion's score, its heading's mass or the examples
    of the code rise, nor rise with the candidate's or its heading's rank. Left free: how many
    candidates share its heading, the candidates' best values and the text's length (context).
    Unconstrained, the trees learned that a nomenclature word match counts against a
    candidate on UK texts, and put "cheddar cheese block" under concrete blocks."""
    f = n_features
    return [1] * f + [1, 1, -1, 1, -1, 0, 0] + [0] * f + [0, 1]


def train(rows: np.ndarray, hits: np.ndarray):
    import lightgbm

    n, k, d = rows.shape
    labels = np.zeros((n, k))
    labels[np.flatnonzero(hits >= 0), hits[hits >= 0]] = 1
    data = lightgbm.Dataset(rows.reshape(-1, d), labels.reshape(-1), group=[k] * n)
    from corridor.matching.hs_suggest import FEATURES

    params = PARAMS | {"monotone_constraints": monotone(len(FEATURES))}
    assert len(params["monotone_constraints"]) == d, "monotone() must follow candidate_matrix()"
    return lightgbm.train(params, data, ROUNDS)


def temperature(scores: np.ndarray, hits: np.ndarray) -> float:
    """The softmax temperature of the re-ranker's scores that best predicts the right
    candidate (log-loss over the texts whose right code is among the candidates)."""
    s, h = scores[hits >= 0], hits[hits >= 0]
    best, loss = 1.0, np.inf
    for t in np.geomspace(0.05, 5, 60):
        z = s / t
        z = z - z.max(axis=1, keepdims=True)
        value = -(z[np.arange(len(h)), h] - np.log(np.exp(z).sum(axis=1))).mean()
        if value < loss:
            best, loss = float(t), value
    return best


def out_of_fold(cache: Path | None = None) -> dict:
    """Everything the re-ranker learns from, out of fold: the features of the learning texts
    (`cache` as learn_hs_fusion --features), the linear fusion fitted per fold (with the
    shipped regularisation), each text's candidates and input rows under its fold's fusion,
    and the column of its right code among them. bench/guess_cv.py reuses it."""
    from corridor.matching.hs_suggest import FEATURES, HsSuggester, learned_weights, uk_examples

    shipped = learned_weights()
    assert shipped is not None, "run python -m corridor.matching.learn_hs_fusion first"
    hand = {"features": list(FEATURES), "weights": [1.0] * len(FEATURES)}
    suggester = HsSuggester(fusion=hand)
    x, right, folds = fusion.collect(suggester, cache)
    texts = [t for t, _ in uk_examples(suggester.embedder)[0]]
    heading, n_heads = suggester._heading, suggester._n_heads
    xc, y, _ = fusion.candidates(x, right)
    fixed = {FEATURES.index("exact"): fusion.EXACT_WEIGHT}
    floors = {FEATURES.index("lexical_hts"): fusion.LEXICAL_FLOOR}
    weights = np.stack(
        [
            fusion.fit(xc[folds != f], y[folds != f], shipped["l2"], fixed=fixed, floors=floors)
            for f in range(fusion.FOLDS)
        ]
    )
    # The pool as the suggester holds it (seeds and UK learning texts), without the text's fold.
    pool = np.asarray(suggester._ex_codes)
    first = suggester.n_seed_examples
    pool_folds = np.full(len(pool), -1)
    pool_folds[first : first + len(right)] = folds
    counts = np.stack(
        [
            np.bincount(pool[pool_folds != f], minlength=len(suggester.codes))
            for f in range(fusion.FOLDS)
        ]
    )
    tops, rows, hits = rows_of(x, right, folds, weights, texts, heading, n_heads, counts)
    return {
        "shipped": shipped,
        "x": x,
        "right": right,
        "folds": folds,
        "weights": weights,
        "heading": heading,
        "tops": tops,
        "rows": rows,
        "hits": hits,
    }


def fold_scores(rows: np.ndarray, hits: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """The re-ranker's score of every text's candidates by a model trained without its fold."""
    scores = np.zeros(hits.shape + (rows.shape[1],))
    for f in range(fusion.FOLDS):
        model = train(rows[folds != f], hits[folds != f])
        test = folds == f
        scores[test] = model.predict(rows[test].reshape(-1, rows.shape[2]), num_threads=1).reshape(
            -1, rows.shape[1]
        )
    return scores


def main(argv: list[str] | None = None) -> int:
    from corridor.matching.hs_suggest import FEATURES

    argv = argv or []
    cache = Path(argv[argv.index("--features") + 1]) if "--features" in argv else None
    started = time.perf_counter()
    oof = out_of_fold(cache)
    shipped, right, folds, heading = oof["shipped"], oof["right"], oof["folds"], oof["heading"]
    tops, rows, hits = oof["tops"], oof["rows"], oof["hits"]
    print(
        f"{len(right)} texts, right code among the {RERANK_K} candidates {np.mean(hits >= 0):.3f}, "
        f"in {time.perf_counter() - started:.0f} s"
    )
    linear = measure(tops, right, heading)
    scores = fold_scores(rows, hits, folds)
    results = {}
    for penalty in DIVERSITY:
        diverse = np.stack(
            [diversify(s, heading[t], penalty) for s, t in zip(scores, tops, strict=True)]
        )
        order = np.take_along_axis(tops, np.argsort(-diverse, axis=1, kind="stable"), axis=1)
        results[penalty] = (measure(order, right, heading), diverse)
    print("linear fusion (out of fold): " + ", ".join(f"{k} {v:.3f}" for k, v in linear.items()))
    for penalty, (result, _) in results.items():
        print(
            f"re-ranked, diversity {penalty}: "
            + ", ".join(f"{k} {v:.3f}" for k, v in result.items())
        )
    # The largest heading penalty that keeps top-5 at 6 digits within 0.005 of none: it buys
    # top-5 at 4 digits with the fourth and fifth suggestions.
    plain = results[0.0][0]["top-5 @6"]
    penalty = max(p for p, (r, _) in results.items() if r["top-5 @6"] >= plain - 0.005)
    reranked, diverse = results[penalty]
    t = temperature(diverse, hits)
    model = train(rows, hits)
    MODEL.write_text(model.model_to_string(), encoding="utf-8")
    meta = {
        "k": RERANK_K,
        "features": list(FEATURES),
        "fusion": fusion_digest(shipped["features"], shipped["weights"]),
        "temperature": round(t, 4),
        "diversity": penalty,
        "params": PARAMS | {"monotone_constraints": monotone(len(FEATURES))},
        "rounds": ROUNDS,
        "cross_validation": {k: round(v, 4) for k, v in reranked.items()},
        "cross_validation_linear": {k: round(v, 4) for k, v in linear.items()},
        "cross_validation_by_diversity": {
            str(p): {k: round(v, 4) for k, v in r.items()} for p, (r, _) in results.items()
        },
        "texts": len(right),
        "source": "UK reference texts, learning part (5-fold CV; fusion scores out of fold)",
    }
    META.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(
        f"diversity {penalty}, temperature {t:.3f}; done in {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
