"""Cross-validate the ranking's HS agreement on the UK learning part (never the reported part).

    python bench/guess_cv.py --features CACHE.npy [--temperatures 0.5,1] [--rerank]

Every learning text is a query against the other 3,822 as offers. Each text's HS guesses are
out-of-fold: the fusion is fitted (learn_hs_fusion.fit) on the other four folds, and the
features were computed with the text's own fold left out of the example pool
(learn_hs_fusion.collect; CACHE.npy as written by `learn_hs_fusion --features`). Semantic and
lexical are the engine's; candidates are its vector and lexical channels (100 each), with or
without the guess channel (offers whose first guessed heading is the query's, 100, the most
confident first). For each softmax temperature of the guesses, the (hs_guess, hs_guess_6)
weights are chosen on four folds of queries and measured on the fifth (nDCG@10, gain 2 for the
same subheading, 1 for the same heading). This is how GUESS_TEMPERATURE and the guess channel
were chosen (docs/matching.md, "HS agreement (session 7)"). ~10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TOP = 5  # guesses kept per text, as engine.GUESS_TOP
DISCOUNT = 1 / np.log2(np.arange(2, 12))
GRID = [(g4, g6) for g4 in (1.0, 2.0, 4.0, 6.0) for g6 in (0.0, 2.0, 4.0, 8.0)]
NONE = (0.0, 0.0)  # the baseline in the same run: the ranking without the agreement


def out_of_fold_scores(cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """Fused scores of every subheading for every learning text, each by the fusion fitted
    without its fold, and the folds."""
    from corridor.matching import learn_hs_fusion as lf
    from corridor.matching.hs_suggest import FEATURES, HsSuggester

    hand = {"features": list(FEATURES), "weights": [1.0] * len(FEATURES)}
    x, right, folds = lf.collect(HsSuggester(fusion=hand), cache)
    xc, y, _ = lf.candidates(x, right)
    fixed = {FEATURES.index("exact"): lf.EXACT_WEIGHT}
    floors = {FEATURES.index("lexical_hts"): lf.LEXICAL_FLOOR}
    scores = np.zeros((len(right), x[0].shape[1]), dtype=np.float32)
    for f in range(lf.FOLDS):
        train = np.flatnonzero(folds != f)
        w = lf.fit(xc[train], y[train], 1e-4, fixed=fixed, floors=floors).astype(np.float32)
        for i in np.flatnonzero(folds == f):
            scores[i] = w @ np.asarray(x[i], dtype=np.float32)
    return scores, folds


def reranked_out_of_fold(cache: Path):
    """As out_of_fold_scores, and the re-ranker's share of each text's candidates by a model
    trained without its fold (learn_hs_rerank's cross-validation), diversified as shipped."""
    from corridor.matching import learn_hs_rerank as lr
    from corridor.matching.hs_rerank import META, Reranker, diversify

    oof = lr.out_of_fold(cache)
    x, folds, weights, heading = oof["x"], oof["folds"], oof["weights"], oof["heading"]
    scores = np.stack(
        [weights[folds[i]] @ np.asarray(x[i], dtype=np.float64) for i in range(len(folds))]
    )
    meta = json.loads(META.read_text(encoding="utf-8"))
    reranker = Reranker(None, meta)  # its probabilities only: the scores are out of fold
    shares = lr.fold_scores(oof["rows"], oof["hits"], folds)
    shares = np.stack(
        [
            diversify(s, heading[t], reranker.diversity)
            for s, t in zip(shares, oof["tops"], strict=True)
        ]
    )
    return scores, folds, (reranker, oof["tops"], shares)


def probabilities(scores: np.ndarray, temperature: float, reranked=None) -> np.ndarray:
    """Each text's subheading probabilities as HsSuggester.guess gives them: the fusion's
    softmax, with the re-ranker's share of its candidates when `reranked`."""
    if reranked is None:
        p = np.exp((scores - scores.max(axis=1, keepdims=True)) / temperature)
        return p / p.sum(axis=1, keepdims=True)
    reranker, tops, shares = reranked
    return np.stack(
        [
            reranker.probabilities(s, top, share, temperature)
            for s, top, share in zip(scores, tops, shares, strict=True)
        ]
    )


def guesses(p: np.ndarray):
    """Top headings and subheadings (positions) with probabilities, as HsSuggester.guess."""
    from corridor.matching.hs import subheadings

    codes = [e.code for e in subheadings()]
    heads = sorted({c[:4] for c in codes})
    heading = np.asarray([heads.index(c[:4]) for c in codes])
    mass = np.stack([np.bincount(heading, row, minlength=len(heads)) for row in p])
    h_idx = np.argsort(-mass, axis=1, kind="stable")[:, :TOP]
    s_idx = np.argsort(-p, axis=1, kind="stable")[:, :TOP]
    return h_idx, np.take_along_axis(mass, h_idx, 1), s_idx, np.take_along_axis(p, s_idx, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--temperatures", default="0.5,1")
    parser.add_argument(
        "--rerank", action="store_true", help="guesses in the re-ranker's order (as shipped)"
    )
    args = parser.parse_args(argv)

    from corridor.matching.build_hs_vectors import read_uk_examples
    from corridor.matching.embedding import default_embedder
    from corridor.matching.engine import Matcher, Weights, embed_offers
    from corridor.matching.records import Offer

    rows = read_uk_examples()
    n = len(rows)
    codes = np.asarray([int(c) for _, c in rows])
    embedder = default_embedder()
    offers = [Offer(id=i, title="", description=t) for i, (t, _) in enumerate(rows)]
    passages = embed_offers(offers, embedder)
    queries = embedder.embed_queries([t for t, _ in rows])
    matcher = Matcher(embedder=embedder).build(offers, vectors=passages)
    floor = Weights().semantic_floor
    shipped = (Weights().hs_guess, Weights().hs_guess_6)
    if args.rerank:
        scores, folds, reranked = reranked_out_of_fold(args.features)
    else:
        (scores, folds), reranked = out_of_fold_scores(args.features), None

    base = []  # per query: gains, idcg, semantic, lexical, channel candidates
    for i, (text, _) in enumerate(rows):
        gains = np.where(codes == codes[i], 2, np.where(codes // 100 == codes[i] // 100, 1, 0))
        gains[i] = 0
        idcg = float((np.sort(gains)[::-1][:10] * DISCOUNT).sum())
        if not idcg:
            continue
        cos = passages @ queries[i]
        tokens = matcher.analyse(text)
        lexical = np.minimum(matcher.bm25.scores(tokens) / matcher._lexical_norm(tokens), 1.0)
        touched = np.flatnonzero(lexical > 0)
        by_words = touched[np.argsort(-lexical[touched])[:100]]
        channels = np.setdiff1d(np.union1d(np.argsort(-cos)[:100], by_words), [i])
        semantic = np.clip((cos - floor) / (1 - floor), 0, 1)
        base.append((i, gains, idcg, semantic, lexical, channels))
    query_folds = np.asarray([folds[b[0]] for b in base])
    print(f"{len(base)} queries with a relevant offer among {n} learning texts")

    for temperature in (float(t) for t in args.temperatures.split(",")):
        h_idx, h_p, s_idx, s_p = guesses(probabilities(scores, temperature, reranked))
        order = np.lexsort((-h_p[:, 0], h_idx[:, 0]))
        firsts = h_idx[order, 0]
        for channel in (False, True):
            values = {w: np.zeros(len(base)) for w in [NONE, *GRID]}
            for q, (i, gains, idcg, semantic, lexical, cands) in enumerate(base):
                if channel:
                    lo, hi = (
                        np.searchsorted(firsts, h_idx[i, 0], "left"),
                        np.searchsorted(firsts, h_idx[i, 0], "right"),
                    )
                    cands = np.setdiff1d(np.union1d(cands, order[lo : min(hi, lo + 100)]), [i])
                same4 = h_idx[cands][:, :, None] == h_idx[i][None, None, :]
                d4 = (same4 * h_p[cands][:, :, None] * h_p[i][None, None, :]).sum(axis=(1, 2))
                same6 = s_idx[cands][:, :, None] == s_idx[i][None, None, :]
                d6 = (same6 * s_p[cands][:, :, None] * s_p[i][None, None, :]).sum(axis=(1, 2))
                plain = 0.1 * semantic[cands] + 0.5 * lexical[cands]
                for g4, g6 in values:
                    top = np.lexsort((cands, -(plain + g4 * d4 + g6 * d6)))[:10]
                    dcg = (gains[cands[top]] * DISCOUNT[: len(top)]).sum()
                    values[(g4, g6)][q] = dcg / idcg
            by_fold = {w: [v[query_folds == f].mean() for f in range(5)] for w, v in values.items()}
            nested = []
            for f in range(5):
                pick = max(
                    GRID, key=lambda w: np.mean([v for j, v in enumerate(by_fold[w]) if j != f])
                )
                nested.append(by_fold[pick][f])
            best = max(GRID, key=lambda w: np.mean(by_fold[w]))
            print(f"  without the agreement: {np.mean(by_fold[NONE]):.3f}")
            if shipped in by_fold:
                print(
                    f"  shipped weights {shipped[0]:g} / {shipped[1]:g}: {np.mean(by_fold[shipped]):.3f}"
                )
            print(
                f"temperature {temperature:g}, guess channel {'on' if channel else 'off'}: "
                f"nested CV nDCG@10 {np.mean(nested):.3f} (best weights {best[0]:g} / {best[1]:g}, "
                f"{np.mean(by_fold[best]):.3f})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
