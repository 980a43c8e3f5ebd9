"""Learn how the HS suggester weighs its signals, from the learning part of the UK references.

    python -m corridor.matching.learn_hs_fusion        # ~2 minutes; writes data/hs_fusion.json

A multinomial logistic regression (softmax over candidate subheadings, L2 penalty), fitted with
numpy. The candidates of a text are its 100 best subheadings by the unweighted sum of the
signals, plus the right one while fitting. The features of a text are computed with the
examples of its own cross-validation fold left out of the example pool (5 folds, grouped by
normalised text), so the example and kNN signals are weighed as they behave on unseen text.
The penalty is chosen by the same 5-fold cross-validation; the reported part of the UK split
is never read here.
"""

from __future__ import annotations

import json
import sys
import time
import zlib

import numpy as np

from corridor.core.text import tokens
from corridor.matching.build_hs_vectors import DATA

FOLDS = 5
CANDIDATES = 100


def fold_of(text: str) -> int:
    return zlib.crc32(" ".join(tokens(text, ngrams=False)).encode()) % FOLDS


def collect(suggester) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features (texts × features × candidates), the right candidate's column (-1 when it is
    not among the natural candidates), and each text's fold."""
    from corridor.matching.hs_suggest import uk_examples

    rows, _ = uk_examples(suggester.embedder)
    first = suggester.n_seed_examples
    assert suggester.n_shipped_examples - first == len(rows), "every UK example must be kept"
    folds = np.asarray([fold_of(t) for t, _ in rows])
    ex_folds = np.full(len(suggester._ex_codes), -1)
    ex_folds[first : first + len(rows)] = folds
    position = {c: i for i, c in enumerate(suggester.codes)}
    xs, ys = [], []
    for i, (text, code) in enumerate(rows):
        vector = suggester._ex_vectors[first + i]
        feats = suggester.features(text, vector, exclude=ex_folds == folds[i])
        total = feats.sum(axis=0)
        cand = np.argpartition(-total, CANDIDATES - 1)[:CANDIDATES]
        right = position[code]
        hit = np.flatnonzero(cand == right)
        if len(hit):
            ys.append(int(hit[0]))
        else:
            cand[-1] = right  # fitted with the right code among the candidates
            ys.append(-1)
        xs.append(feats[:, cand].T.astype(np.float32))
    return np.stack(xs), np.asarray(ys), folds, np.asarray([len(rows)])


def fit(
    x: np.ndarray,
    y: np.ndarray,
    l2: float,
    steps: int = 400,
    *,
    nonnegative: bool = True,
    fixed: dict[int, float] | None = None,
) -> np.ndarray:
    """Softmax regression over candidates: x (n, C, F), y (n,) column of the right one.

    `nonnegative` projects the weights on w >= 0 after each step, so that every signal can only
    add evidence (fitted freely on English UK texts, collinear signals took negative weights
    that cancelled the glossary's cross-script evidence); `fixed` holds weights set by hand."""
    n, _, f = x.shape
    w = np.zeros(f)
    m, v = np.zeros(f), np.zeros(f)
    rate = 0.05
    for t in range(1, steps + 1):
        logits = x @ w
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        expected = np.einsum("nc,ncf->nf", p, x)
        grad = (expected - x[np.arange(n), y]).mean(axis=0) + 2 * l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= rate * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        if nonnegative:
            np.maximum(w, 0.0, out=w)
        for column, value in (fixed or {}).items():
            w[column] = value
    return w


def accuracy(x: np.ndarray, y: np.ndarray, natural: np.ndarray, w: np.ndarray) -> dict:
    scores = x @ w
    rank = (scores > scores[np.arange(len(y)), y][:, None]).sum(axis=1)
    return {
        "top-1": float(np.mean((rank < 1) & natural)),
        "top-5": float(np.mean((rank < 5) & natural)),
    }


def main(argv: list[str] | None = None) -> int:
    from corridor.matching.hs_suggest import FEATURES, HsSuggester

    started = time.perf_counter()
    hand = {"features": list(FEATURES), "weights": [1.0] * len(FEATURES)}
    suggester = HsSuggester(fusion=hand)
    x, y_raw, folds, _ = collect(suggester)
    natural = y_raw >= 0
    y = np.where(natural, y_raw, CANDIDATES - 1)
    print(
        f"{len(y)} texts, {natural.mean():.3f} with the right code among the candidates, "
        f"features in {time.perf_counter() - started:.0f} s"
    )
    results = {}
    for l2 in (1e-4, 1e-3, 1e-2):
        per_fold = []
        for f in range(FOLDS):
            train, test = folds != f, folds == f
            w = fit(x[train], y[train], l2)
            per_fold.append(accuracy(x[test], y[test], natural[test], w))
        results[l2] = {k: float(np.mean([p[k] for p in per_fold])) for k in per_fold[0]}
        print(
            f"l2 {l2:g}: cross-validated top-1 @6 {results[l2]['top-1']:.3f}, "
            f"top-5 @6 {results[l2]['top-5']:.3f}"
        )
    best = max(results, key=lambda k: (results[k]["top-1"] + results[k]["top-5"], -k))
    w = fit(x, y, best)
    out = {
        "features": list(FEATURES),
        "weights": [round(float(v), 5) for v in w],
        "l2": best,
        "cross_validation": results[best],
        "texts": int(len(y)),
        "source": "UK reference texts, learning part (5-fold CV, own fold left out of the pool)",
    }
    (DATA / "hs_fusion.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print("weights: " + ", ".join(f"{n} {v:+.2f}" for n, v in zip(FEATURES, w, strict=True)))
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def fit_binary(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 500) -> np.ndarray:
    """Logistic regression (no intercept needed for ranking, but fitted with one), numpy Adam.
    Returns the coefficients of the features only."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) / len(y) + 2 * l2 * np.r_[w[:-1], 0.0]
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w[:-1]
