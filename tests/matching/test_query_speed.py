"""The query's shortcuts give the results of the full computation: the lexical channel by
MaxScore, candidates judged lazily, matched words looked up in the postings."""

from __future__ import annotations

import random

import numpy as np
import pytest

from corridor.matching import engine
from corridor.matching.embedding import HashEmbedder
from corridor.matching.engine import Matcher, Weights, _QueryWords
from corridor.matching.lexical import BM25, analyse
from corridor.matching.records import Certification, Offer, Query

RARE = ["durian", "rattan", "cassava", "lychee", "ข้าวหอมมะลิ", "tôm thẻ", "天然橡胶", "cà phê"]
COMMON = ["frozen", "month", "export", "quality", "bags", "per", "supply", "fresh", "dried"]
HS = ["081060", "460212", "071410", "081090", "100630", "030617", "400121", "090111"]


def _catalog(n: int = 3000, seed: int = 4) -> list[Offer]:
    rng = random.Random(seed)
    offers = []
    for i in range(n):
        product = rng.randrange(len(RARE)) if rng.random() < 0.15 else None
        words = rng.choices(COMMON, k=rng.randrange(3, 9))
        if product is not None:
            words.insert(rng.randrange(len(words) + 1), RARE[product])
        offers.append(
            Offer(
                id=i,
                title=" ".join(words[:3]),
                description=" ".join(words[3:]) + f" ref {i}",
                hs_code=HS[product] if product is not None and rng.random() < 0.7 else "",
                country=rng.choice(["VN", "TH", "KH"]),
                certifications=(Certification("organic"),) if rng.random() < 0.3 else (),
            )
        )
    return offers


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(embedder=HashEmbedder(), weights=Weights(candidates=60)).build(_catalog())


QUERIES = [
    ("frozen durian per month", ""),
    ("rattan bags export quality supply", "4602"),
    ("fresh lychee", "081090"),
    ("ข้าวหอมมะลิ ต่อ เดือน", "10"),
    ("cần mua tôm thẻ đông lạnh", ""),
    ("求购天然橡胶", ""),
    ("frozen month export", ""),  # common words only: nothing to skip
    ("", "0714"),  # a code only
]


def test_score_docs_equals_the_dense_scores_exactly(matcher):
    positions = np.arange(0, len(matcher), 7)
    for text, _ in QUERIES:
        tokens = analyse(text)
        dense = matcher.bm25.scores(tokens)[positions]
        assert np.array_equal(matcher.bm25.score_docs(tokens, positions), dense)
        for tok in dict.fromkeys(tokens):
            term = matcher.bm25.vocab.get(tok)
            if term is not None:
                has = matcher.bm25.contains_many(tok, positions)
                assert np.array_equal(has, np.isin(positions, matcher.bm25.postings(term)[0]))


@pytest.mark.parametrize(("text", "code"), QUERIES)
def test_maxscore_channel_selects_what_scoring_every_offer_selects(
    matcher, monkeypatch, text, code
):
    tokens = analyse(text)
    terms, norm = matcher.bm25.term_ids(tokens), matcher._lexical_norm(tokens)
    levels = matcher._hs_levels(code)
    for k in (5, 20, 60):
        dense = matcher._lexical_channel_dense(tokens, norm, levels, k)
        fast = matcher._lexical_channel(tokens, terms, norm, levels, k)
        assert len(fast) == len(dense)
        scores = matcher._combined(terms, norm, levels, np.union1d(fast, dense))
        by_pos = dict(zip(np.union1d(fast, dense).tolist(), scores.tolist(), strict=True))
        # The same offers, but for ties at the k-th place (dense chooses among them freely).
        kth = min(by_pos[p] for p in dense.tolist())
        assert {p for p in fast.tolist() if by_pos[p] > kth} == {
            p for p in dense.tolist() if by_pos[p] > kth
        }
        assert all(by_pos[p] >= kth for p in fast.tolist())


def test_maxscore_skips_the_common_words_offers(matcher, monkeypatch):
    """A rare word and common words: the channel does not fall back to counting everything."""
    monkeypatch.setattr(
        Matcher, "_lexical_channel_dense", lambda *a, **k: pytest.fail("counted every posting")
    )
    monkeypatch.setattr(engine.BM25, "scores", lambda *a, **k: pytest.fail("dense scores"))
    tokens = analyse("frozen durian per month")
    terms, norm = matcher.bm25.term_ids(tokens), matcher._lexical_norm(tokens)
    keys = matcher._lexical_channel(tokens, terms, norm, [], 20)
    assert all("durian" in matcher.offers[p].text for p in keys.tolist())


def _as_list(matches):
    return [(m.offer_id, m.score, m.passes, [r.render() for r in m.reasons]) for m in matches]


@pytest.mark.parametrize(("text", "code"), QUERIES)
def test_lazy_judging_keeps_the_order(matcher, text, code):
    """The first 3 of the top 3 and of the top 40 over the same candidates agree, bonuses and
    hard failures (a certification asked for) included."""
    query = Query(id=1, text=text, hs_code=code, countries=("VN",), certifications=("organic",))
    many = matcher.rank(query, top=40)
    assert _as_list(matcher.rank(query, top=3)) == _as_list(many[:3])


def test_overlapped_and_sequential_queries_agree(matcher, monkeypatch):
    query = Query(id=1, text="fresh lychee per month", countries=("TH",))
    monkeypatch.setattr(engine, "OVERLAP_FROM", 0)
    overlapped = _as_list(matcher.rank(query, top=10))
    monkeypatch.setattr(engine, "OVERLAP_FROM", 10**9)
    assert _as_list(matcher.rank(query, top=10)) == overlapped


def test_matched_words_from_the_postings_equal_those_from_the_texts():
    texts = [
        "ข้าวหอมมะลิ ส่งออก ต่อ เดือน",
        "ข้าว ต่อ ถุง",
        "ติดต่อเรา ข้าวหอมมะลิ",  # "ต่อ" is only an n-gram of "ติดต่อ" (contact) here
        "Gạo thơm ST25, tôm thẻ đông lạnh",
        "Frozen shrimp, vannamei, 5 t per month",
        "天然橡胶 每月 20 吨",
        "Organic jasmine rice 25 kg bags",
    ]
    matcher = Matcher(embedder=HashEmbedder()).build(
        [Offer(id=i, title=t, description="") for i, t in enumerate(texts)]
    )
    positions = np.arange(len(texts))
    for query in ["ข้าวหอมมะลิ ต่อ เดือน", "gạo thơm", "frozen shrimp", "求购天然橡胶", "rice"]:
        q_tokens = analyse(query)
        looked_up = _QueryWords(query)
        concepts = [t[1:] for t in q_tokens if t.startswith("~")]
        looked_up.look_up(matcher.bm25.contains_many, positions, concepts)
        for pos, text in enumerate(texts):
            assert looked_up.matched(text, pos) == _QueryWords(query).matched(text)


def test_bm25_saved_keeps_postings_sorted(tmp_path):
    """MaxScore and the look-ups search each term's documents: they must stay sorted."""
    index = BM25.build(analyse(o.text) for o in _catalog(300))
    index.save(tmp_path)
    opened = BM25.open(tmp_path)
    for t in range(len(index.vocab)):
        docs = opened.postings(t)[0]
        assert np.all(np.diff(docs) > 0)
    tiled = index.tiled(3)
    assert all(np.all(np.diff(tiled.postings(t)[0]) > 0) for t in range(len(index.vocab)))


class _RareGuesser:
    """Stand-in HS guesser: the heading of the first rare word a text names (else none)."""

    def guess(self, texts, vectors, top=5):
        heads = np.zeros((len(texts), top), dtype=np.int32)
        probs = np.zeros((len(texts), top), dtype=np.float32)
        codes, code_probs = heads.copy(), probs.copy()
        for i, text in enumerate(texts):
            for word, code in zip(RARE, HS, strict=True):
                if word in text:
                    heads[i, :2], probs[i, :2] = (int(code[:4]), 1006), (0.7, 0.3)
                    codes[i, 0], code_probs[i, 0] = int(code), 0.6
                    break
        return heads, probs, codes, code_probs


@pytest.mark.parametrize(("text", "code"), [q for q in QUERIES if not q[1]])
def test_lazy_judging_keeps_the_order_with_hs_agreement(text, code):
    """The lazy judging's bound scales the agreement as _judge does (weights 2.0 beside 0.6)."""
    guessed = Matcher(
        embedder=HashEmbedder(), weights=Weights(candidates=60), hs_guesser=_RareGuesser()
    ).build(_catalog())
    query = Query(id=1, text=text, countries=("VN",), certifications=("organic",))
    many = guessed.rank(query, top=40)
    assert _as_list(guessed.rank(query, top=3)) == _as_list(many[:3])
    if any(word in text for word in RARE):
        assert many[0].signals["hs_guess"] > 0
