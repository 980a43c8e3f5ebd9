"""The hybrid ranking: each signal and constraint moves offers the way it should."""

from __future__ import annotations

import datetime as dt

import pytest

from corridor.matching.engine import Matcher, Weights
from corridor.matching.records import Offer, Query

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def build(embedder):
    def _build(rows, **kwargs):
        offers = [Offer.from_dict(r) for r in rows]
        return Matcher(embedder=embedder, **kwargs).build(offers)

    return _build


def rank(matcher, row, top=10):
    return matcher.rank(Query.from_dict(row), top=top, today=TODAY)


def ids(matches):
    return [m.offer_id for m in matches]


def test_spec_example(build):
    matcher = build(
        [
            {
                "id": "o1",
                "title": "Organic jasmine rice",
                "description": "Milled, 25 kg bags",
                "hs_code": "100630",
                "country": "KH",
                "certifications": ["organic"],
                "capacity": {"amount": 200, "unit": "t", "per": "month"},
                "markets": ["TH", "CN"],
            },
            {
                "id": "o2",
                "title": "Frozen shrimp",
                "description": "Vannamei, IQF, 1 kg bags",
                "hs_code": "030617",
                "country": "VN",
            },
        ]
    )
    matches = rank(
        matcher,
        {
            "id": "q1",
            "text": "20 t of organic fragrant rice a month for Japan",
            "hs_code": "1006",
            "certifications": ["organic"],
            "quantity": {"amount": 20, "unit": "t", "per": "month"},
            "destination": "JP",
            "countries": ["KH", "LA"],
        },
    )
    assert ids(matches) == ["o1", "o2"]
    reasons = matches[0].reason_texts()
    assert "HS 1006 matches" in reasons
    assert "holds organic certification" in reasons
    assert "capacity 200 t/month ≥ 20 t/month requested" in reasons
    assert "does not export to Japan yet" in reasons
    assert "based in Cambodia, a preferred country" in reasons
    assert matches[0].passes and not matches[1].passes
    assert matches[1].reason_texts()[:2] == [
        "a different product (HS 0306)",
        "lacks organic certification",
    ]


def test_another_product_ranks_after_a_near_miss_of_the_product_asked_for(build):
    """A tea garden that meets every requirement is still not a rice supplier: the rice mill
    that lacks the certificate (a near-miss buyers want to see) comes first."""
    matcher = build(
        [
            {
                "id": "tea",
                "title": "Organic green tea",
                "description": "Loose leaf, organic",
                "hs_code": "090210",
                "certifications": ["organic"],
            },
            {
                "id": "rice",
                "title": "Jasmine rice",
                "description": "Milled fragrant rice",
                "hs_code": "100630",
            },
            {
                "id": "mislabelled",
                "title": "Organic jasmine rice",
                "description": "Milled rice",
                "hs_code": "190490",
                "certifications": ["organic"],
            },
        ]
    )
    matches = rank(
        matcher,
        {
            "id": "q",
            "text": "organic jasmine rice",
            "hs_code": "1006",
            "certifications": ["organic"],
        },
    )
    by_id = {m.offer_id: m for m in matches}
    # A wrong HS code does not sink an offer whose text is the product asked for.
    assert by_id["mislabelled"].passes
    assert not by_id["rice"].passes and not by_id["tea"].passes
    assert "a different product (HS 0902)" in by_id["tea"].reason_texts()
    assert ids(matches) == ["mislabelled", "rice", "tea"]


def test_matched_words_leave_out_words_that_explain_nothing():
    from corridor.matching.engine import _matched_words

    words = _matched_words(
        "25 t of organic rice for Japan per month", "Organic rice for export, 25 t per month"
    )
    assert words == ["Organic", "rice"]


def test_filler_words_are_not_given_as_reasons():
    from corridor.matching.engine import _matched_words

    words = _matched_words(
        "Jasmine rice, broken under 5 percent, in 25 kg bags",
        "Jasmine rice: broken grains under 5 percent, packed in 25 kg bags",
    )
    assert words == ["Jasmine", "rice", "broken"]


def test_words_in_most_offers_are_not_given_as_reasons(build):
    rows = [
        {"id": f"o{i}", "title": f"Handmade {name}", "description": f"Handmade {name} in Laos"}
        for i, name in enumerate(
            ["baskets", "scarves", "pottery", "lamps", "mats", "hats", "bowls", "spoons"] * 3
        )
    ]
    matcher = build(rows)
    best = rank(matcher, {"id": "q", "text": "handmade baskets"}, top=1)[0]
    assert best.offer_id == "o0"
    assert "description matches: baskets" in best.reason_texts()


def test_hs_hierarchy_orders_subheading_heading_chapter(build):
    text = {"title": "Rice", "description": "Grain for export"}
    matcher = build(
        [
            {"id": "chapter", **text, "hs_code": "100190"},
            {"id": "none", **text},
            {"id": "sub", **text, "hs_code": "1006.30"},
            {"id": "heading", **text, "hs_code": "100640"},
        ]
    )
    matches = rank(matcher, {"id": "q", "text": "rice", "hs_code": "100630"})
    assert ids(matches) == ["sub", "heading", "chapter", "none"]
    assert matches[0].reason_texts()[0] == "HS 1006.30 matches"
    assert matches[1].reason_texts()[0] == "same HS heading 1006"


def test_lexical_signal_prefers_the_named_variety(build):
    matcher = build(
        [
            {"id": "jasmine", "title": "Jasmine rice", "description": "Hom Mali rice from Surin"},
            {
                "id": "st25",
                "title": "ST25 rice",
                "description": "ST25 fragrant rice from Soc Trang",
            },
        ]
    )
    matches = rank(matcher, {"id": "q", "text": "ST25 rice"})
    assert ids(matches)[0] == "st25"
    assert matches[0].signals["lexical"] > matches[1].signals["lexical"]
    assert "description matches: ST25, rice" in matches[0].reason_texts()


def test_semantic_signal_without_shared_words(build):
    matcher = build(
        [
            {"id": "shoes", "title": "Leather sandals", "description": "Handmade footwear"},
            {"id": "tea", "title": "Oolong", "description": "Semi-fermented leaves from the hills"},
        ]
    )
    matches = rank(matcher, {"id": "q", "text": "green tea"})
    assert ids(matches)[0] == "tea"
    assert matches[0].signals["lexical"] == 0
    assert matches[0].signals["semantic"] > matches[1].signals["semantic"]


def test_vietnamese_request_finds_thai_offer(build):
    matcher = build(
        [
            {
                "id": "th-shrimp",
                "title": "กุ้งขาวแช่แข็ง",
                "description": "กุ้งแวนนาไมแช่แข็ง IQF บรรจุกล่อง 1 กก.",
            },
            {"id": "th-rice", "title": "ข้าวหอมมะลิ", "description": "ข้าวสารบรรจุถุง 25 กก."},
            {"id": "th-silk", "title": "ผ้าไหมมัดหมี่", "description": "ผ้าไหมทอมือจากขอนแก่น"},
        ]
    )
    shrimp = rank(matcher, {"id": "q", "text": "tôm thẻ đông lạnh"})
    assert ids(shrimp)[0] == "th-shrimp"
    assert "description matches: shrimp, frozen" in shrimp[0].reason_texts()
    assert ids(rank(matcher, {"id": "q", "text": "gạo thơm"}))[0] == "th-rice"
    assert ids(rank(matcher, {"id": "q", "text": "vải lụa tơ tằm"}))[0] == "th-silk"


def test_burmese_zawgyi_and_unicode_rank_alike(build):
    import icu

    matcher = build(
        [
            {"id": "rice", "title": "ဆန်", "description": "ဆန်ကြမ်း ၂၅ ကီလိုအိတ်"},
            {"id": "shrimp", "title": "ပုစွန်အေးခဲ", "description": "ပုစွန် ၁ ကီလို"},
        ]
    )
    unicode_text = "ပုစွန်အေးခဲ"
    zawgyi_text = icu.Transliterator.createInstance("my-Zawgyi").transliterate(unicode_text)
    assert zawgyi_text != unicode_text
    by_unicode = rank(matcher, {"id": "q", "text": unicode_text})
    by_zawgyi = rank(matcher, {"id": "q", "text": zawgyi_text})
    assert ids(by_unicode)[0] == "shrimp"
    assert ids(by_zawgyi) == ids(by_unicode)
    assert [m.score for m in by_zawgyi] == pytest.approx([m.score for m in by_unicode], abs=1e-4)


def test_missing_certification_is_a_hard_failure_ranked_last(build):
    matcher = build(
        [
            {"id": "plain", "title": "Organic jasmine rice", "description": "Best fragrant rice"},
            {
                "id": "certified",
                "title": "Milled rice",
                "description": "White rice",
                "certifications": ["organic"],
            },
            {
                "id": "expired",
                "title": "Jasmine rice",
                "description": "Fragrant",
                "certifications": [{"code": "organic", "expires": "2025-01-01"}],
            },
        ]
    )
    matches = rank(
        matcher, {"id": "q", "text": "organic jasmine rice", "certifications": ["organic"]}
    )
    assert ids(matches)[0] == "certified"
    assert set(ids(matches)[1:]) == {"plain", "expired"}
    by_id = {m.offer_id: m for m in matches}
    assert by_id["plain"].missing[0].render() == "lacks organic certification"
    assert by_id["expired"].missing[0].render() == "organic certification expired on 2025-01-01"
    # Without the requirement the textual best comes back on top.
    assert ids(rank(matcher, {"id": "q", "text": "organic jasmine rice"}))[0] != "certified"


def test_capacity_after_unit_conversion(build):
    base = {"title": "Cassava starch", "description": "Native tapioca starch, 50 kg bags"}
    matcher = build(
        [
            {"id": "small", **base, "capacity": {"amount": 2, "unit": "t", "per": "month"}},
            {"id": "weekly", **base, "capacity": {"amount": 2000, "unit": "kg", "per": "week"}},
            {"id": "pieces", **base, "capacity": {"amount": 400, "unit": "pcs", "per": "month"}},
        ]
    )
    matches = rank(
        matcher,
        {
            "id": "q",
            "text": "tapioca starch",
            "quantity": {"amount": 5000, "unit": "kg", "per": "month"},
        },
    )
    by_id = {m.offer_id: m for m in matches}
    assert ids(matches)[-1] == "small" and not by_id["small"].passes
    assert "capacity 2 t/month < 5,000 kg/month requested" in by_id["small"].reason_texts()
    assert by_id["weekly"].passes and by_id["pieces"].passes
    assert any("cannot be compared" in r for r in by_id["pieces"].reason_texts())
    assert by_id["weekly"].score > by_id["pieces"].score


def test_destination_and_preferred_country_are_soft(build):
    base = {"title": "Dried mango", "description": "Soft dried mango slices, no sugar added"}
    matcher = build(
        [
            {"id": "vn", **base, "country": "VN", "markets": ["US"]},
            {"id": "kh-jp", **base, "country": "KH", "markets": ["JP"]},
            {"id": "th-jp", **base, "country": "TH", "markets": ["JP", "KR"]},
        ]
    )
    matches = rank(
        matcher, {"id": "q", "text": "dried mango", "destination": "JP", "countries": ["KH"]}
    )
    assert ids(matches) == ["kh-jp", "th-jp", "vn"]
    assert all(m.passes for m in matches)
    assert "already exports to Japan" in matches[0].reason_texts()
    assert "based in Cambodia, a preferred country" in matches[0].reason_texts()
    assert "based in Thailand, not a preferred country" in matches[1].reason_texts()


def test_hard_failures_rank_after_passing_offers_even_when_better(build):
    matcher = build(
        [
            {
                "id": "best-text",
                "title": "Halal beef",
                "description": "Halal frozen beef cuts",
                "hs_code": "020230",
            },
            {
                "id": "weak",
                "title": "Paper cups",
                "description": "Disposable",
                "certifications": ["halal"],
            },
        ]
    )
    matches = rank(
        matcher, {"id": "q", "text": "frozen beef", "hs_code": "0202", "certifications": ["halal"]}
    )
    assert ids(matches) == ["weak", "best-text"]
    assert matches[1].score > matches[0].score


def test_deterministic_and_top(build):
    rows = [
        {"id": f"o{i}", "title": "Black pepper", "description": "Phu Quoc pepper"} for i in range(5)
    ]
    matcher = build(rows)
    first = rank(matcher, {"id": "q", "text": "pepper"}, top=3)
    again = rank(matcher, {"id": "q", "text": "pepper"}, top=3)
    assert [m.as_dict() for m in first] == [m.as_dict() for m in again]
    assert ids(first) == ["o0", "o1", "o2"]


def test_weights_turn_signals_off(build):
    rows = [
        {"id": "a", "title": "Rice", "description": "grain", "hs_code": "030617"},
        {"id": "b", "title": "Rice", "description": "grain", "hs_code": "100630"},
    ]
    matcher = build(rows, weights=Weights(hs=0.0))
    matches = rank(matcher, {"id": "q", "text": "rice", "hs_code": "100630"})
    assert matches[0].score == pytest.approx(matches[1].score)


def test_explain_matches_rank(build):
    matcher = build([{"id": "a", "title": "Organic jasmine rice", "description": "25 kg"}])
    query = Query.from_dict({"id": "q", "text": "jasmine rice", "certifications": ["organic"]})
    ranked = matcher.rank(query, today=TODAY)[0]
    explained = matcher.explain(query, matcher.offers[0], today=TODAY)
    assert explained.passes is ranked.passes is False
    assert explained.score == pytest.approx(ranked.score, abs=0.02)


class _KeywordGuesser:
    """A stand-in for the HS suggester: heading 0901 (coffee) for texts naming beans."""

    def __init__(self):
        self.calls = 0

    def heading_guess(self, texts, vectors, top=5):
        import numpy as np

        self.calls += len(texts)
        heads = np.zeros((len(texts), top), dtype=np.int32)
        probs = np.zeros((len(texts), top), dtype=np.float32)
        for i, text in enumerate(texts):
            heads[i, 0] = 901 if "beans" in text else 1006
            probs[i, 0] = 0.9
        return heads, probs


def test_hs_agreement_ranks_the_offer_of_the_guessed_heading_first(build):
    rows = [
        {"id": "a", "title": "Arabica beans", "description": "from Dak Lak"},
        {"id": "b", "title": "Arabica rice", "description": "from Dak Lak"},
    ]
    query = {"id": "q", "text": "roasted beans wanted"}
    plain = build(rows, weights=Weights(semantic=0.0, lexical=0.0, hs_guess=0.5))
    guessed = build(
        rows, weights=Weights(semantic=0.0, lexical=0.0, hs_guess=0.5), hs_guesser=_KeywordGuesser()
    )
    top = rank(guessed, query)
    assert [m.signals.get("hs_guess") for m in top] == [pytest.approx(0.81), 0.0]
    assert ids(top) == ["a", "b"] and top[0].score == pytest.approx(0.405)
    # Without a guesser the signal is absent and the two offers tie.
    assert [m.score for m in rank(plain, query)] == [0.0, 0.0]


def test_hs_agreement_uses_the_codes_that_are_given(build):
    guesser = _KeywordGuesser()
    rows = [
        {"id": "a", "title": "Arabica", "description": "green", "hs_code": "090111"},
        {"id": "b", "title": "Arabica", "description": "green rice"},
    ]
    weights = Weights(semantic=0.0, lexical=0.0, hs_guess=0.5)
    matcher = build(rows, weights=weights, hs_guesser=guesser)
    assert guesser.calls == 1  # only the offer without a code is guessed
    # The coded offer counts with its own heading against the request's guess.
    by_id = {m.offer_id: m for m in rank(matcher, {"id": "q", "text": "beans"})}
    assert by_id["a"].signals["hs_guess"] == pytest.approx(0.9)
    assert by_id["b"].signals["hs_guess"] == 0.0
    # A request with a code is judged by the codes only: no guess outweighs a declared code.
    top = rank(matcher, {"id": "q", "text": "rice", "hs_code": "0901"})
    assert all("hs_guess" not in m.signals for m in top)
    assert ids(top)[0] == "a" and top[0].signals["hs"] == 1.0


def test_hs_agreement_guesses_are_saved_with_the_catalog(build, embedder, tmp_path):
    # Web processes open the saved catalog: the offers' guesses must come with it, not be
    # guessed again in every process.
    guesser = _KeywordGuesser()
    rows = [
        {"id": "a", "title": "Arabica beans", "description": "from Dak Lak"},
        {"id": "b", "title": "Arabica rice", "description": "from Dak Lak"},
    ]
    weights = Weights(semantic=0.0, lexical=0.0, hs_guess=0.5)
    build(rows, weights=weights, hs_guesser=guesser).save(tmp_path)
    opened = Matcher.open(tmp_path, embedder=embedder, weights=weights, hs_guesser=guesser)
    assert guesser.calls == 2  # the two offers at build; none at opening
    top = rank(opened, {"id": "q", "text": "roasted beans wanted"})
    assert ids(top) == ["a", "b"]
    assert [m.signals["hs_guess"] for m in top] == [pytest.approx(0.81), 0.0]


class _CodeGuesser(_KeywordGuesser):
    """A guesser that also names subheadings: 090111 (coffee, not roasted) for "green" texts,
    090121 (roasted) for the other texts naming beans or coffee, rice 100630 otherwise."""

    def guess(self, texts, vectors, top=5):
        import numpy as np

        heads, probs = self.heading_guess(texts, vectors, top)
        codes = np.zeros_like(heads)
        code_probs = np.zeros_like(probs)
        for i, text in enumerate(texts):
            text = text.lower()
            coffee = "beans" in text or "coffee" in text
            heads[i, 0] = 901 if coffee else 1006
            codes[i, 0] = (90111 if "green" in text else 90121) if coffee else 100630
            code_probs[i, 0] = 0.9
        return heads, probs, codes, code_probs


def test_hs_agreement_at_six_digits_prefers_the_same_subheading(build):
    rows = [
        {"id": "a", "title": "Coffee", "description": "green, from Dak Lak"},
        {"id": "b", "title": "Coffee", "description": "dark, from Dak Lak"},
    ]
    weights = Weights(semantic=0.0, lexical=0.0, hs_guess=0.5, hs_guess_6=1.0)
    top = rank(
        build(rows, weights=weights, hs_guesser=_CodeGuesser()), {"id": "q", "text": "beans"}
    )
    # Both offers share the request's guessed heading; only "b" its guessed subheading.
    assert [m.signals["hs_guess"] for m in top] == [pytest.approx(0.81)] * 2
    assert ids(top) == ["b", "a"] and top[0].signals["hs_guess_6"] == pytest.approx(0.81)
    assert top[1].signals["hs_guess_6"] == 0.0


def test_the_guess_channel_brings_offers_that_words_and_vectors_missed(build):
    # One candidate per channel: the vector search and the words find the rice offers; the
    # coffee offer, which shares neither words nor much meaning with "beans", comes in only
    # because its guessed heading is the request's.
    rows = [{"id": f"r{i}", "title": f"Beans of rice {i}", "description": ""} for i in range(4)]
    rows.append({"id": "c", "title": "Coffee", "description": "Robusta cherries"})
    weights = Weights(semantic=0.0, lexical=0.0, hs_guess=0.5, candidates=1)

    class Guesser(_CodeGuesser):
        def guess(self, texts, vectors, top=5):
            heads, probs, codes, code_probs = super().guess(texts, vectors, top)
            for i, text in enumerate(texts):  # rice offers are rice, whatever their words
                if "rice" in text:
                    heads[i, 0], codes[i, 0] = 1006, 100630
            return heads, probs, codes, code_probs

    query = {"id": "q", "text": "beans"}
    with_guesses = rank(build(rows, weights=weights, hs_guesser=Guesser()), query, top=1)
    assert ids(with_guesses) == ["c"] and with_guesses[0].signals["hs_guess"] > 0
    # Without guesses it is not even a candidate (it would win the tie by id if it were).
    assert ids(rank(build(rows, weights=weights), query, top=1)) != ["c"]


def test_subheading_guesses_and_the_channel_are_saved_with_the_catalog(build, embedder, tmp_path):
    guesser = _CodeGuesser()
    rows = [
        {"id": "a", "title": "Coffee", "description": "green, from Dak Lak"},
        {"id": "b", "title": "Coffee", "description": "dark, from Dak Lak"},
    ]
    weights = Weights(semantic=0.0, lexical=0.0, hs_guess=0.5, hs_guess_6=1.0, candidates=1)
    built = build(rows, weights=weights, hs_guesser=guesser)
    built.save(tmp_path)
    opened = Matcher.open(tmp_path, embedder=embedder, weights=weights, hs_guesser=guesser)
    assert guesser.calls == 2  # the offers at build; none at opening
    query = {"id": "q", "text": "beans"}
    assert [(m.offer_id, m.signals) for m in rank(opened, query)] == [
        (m.offer_id, m.signals) for m in rank(built, query)
    ]
    assert ids(rank(opened, query))[0] == "b"


def test_a_catalog_saved_with_heading_guesses_only_still_opens(build, embedder, tmp_path):
    guesser = _CodeGuesser()
    rows = [
        {"id": "a", "title": "Coffee", "description": "green, from Dak Lak"},
        {"id": "b", "title": "Rice", "description": "from An Giang"},
    ]
    weights = Weights(semantic=0.0, lexical=0.0, hs_guess=0.5, hs_guess_6=1.0)
    build(rows, weights=weights, hs_guesser=guesser).save(tmp_path)
    for name in ("guess_codes.npy", "guess_code_probs.npy", "guess_order.npy"):
        (tmp_path / name).unlink()
    opened = Matcher.open(tmp_path, embedder=embedder, weights=weights, hs_guesser=guesser)
    top = rank(opened, {"id": "q", "text": "beans"})
    assert ids(top)[0] == "a" and top[0].signals["hs_guess_6"] == 0.0


def test_hs_agreement_keeps_scores_and_bonuses_on_the_text_scale(build):
    # The learned weights (2.0 and 2.0 beside 0.1 and 0.5) are scaled back to the range of
    # semantic + lexical, so a bonus still counts what it counted without the agreement.
    rows = [
        {"id": "a", "title": "Arabica beans", "markets": ["JP"]},
        {"id": "b", "title": "Arabica beans"},
    ]
    weights = Weights()
    assert weights.hs_guess + weights.hs_guess_6 > weights.semantic + weights.lexical
    matcher = build(rows, hs_guesser=_KeywordGuesser())
    top = rank(matcher, {"id": "q", "text": "Arabica beans", "destination": "JP"})
    assert [m.signals["hs_guess"] for m in top] == [pytest.approx(0.81)] * 2
    assert all(m.score <= weights.semantic + weights.lexical + weights.destination for m in top)
    assert ids(top) == ["a", "b"]
    assert top[0].score - top[1].score == pytest.approx(weights.destination, abs=1e-5)


def test_a_strong_hs_agreement_is_a_reason(build):
    # The stand-in guesser puts both texts in heading 1006 (0.9 each); no word is shared.
    matcher = build([{"id": "a", "title": "Ceramic vase"}], hs_guesser=_KeywordGuesser())
    match = rank(matcher, {"id": "q", "text": "teak chairs"})[0]
    assert match.signals["hs_guess"] >= 0.5 and match.signals["semantic"] < 0.5
    assert [r.code for r in match.reasons] == ["similar"]


def test_stored_guesses_rank_without_a_guesser_and_queries_bring_their_own(embedder):
    # The event suggestions: offers' guesses stored, queries' guesses stored, no suggester.
    import dataclasses

    import numpy as np

    offers = [Offer.from_dict(r) for r in ({"id": "a", "title": "x1"}, {"id": "b", "title": "x2"})]
    heads = np.zeros((2, 5), np.int32)
    probs = np.zeros((2, 5), np.float32)
    heads[0, 0], probs[0, 0] = 901, 0.9  # a: coffee; b: row of zeros, nothing stored
    stored = (heads, probs, np.zeros_like(heads), np.zeros_like(probs))
    weights = Weights(semantic=0.0, lexical=0.0, hs_guess=0.5)
    matcher = Matcher(embedder=embedder, weights=weights).build(offers, guesses=stored)
    assert matcher.hs_guesser is None and matcher._guess_heads[1, 0] == -1  # left unguessed
    query = Query.from_dict({"id": "q", "text": "roasted"})
    q_guess = tuple(part[0].copy() for part in stored)  # the query's own: coffee too
    by_id = {m.offer_id: m for m in matcher.rank(dataclasses.replace(query, guess=q_guess))}
    assert by_id["a"].signals["hs_guess"] == pytest.approx(0.81)
    assert by_id["b"].signals["hs_guess"] == 0.0
    # A query without a guess (none stored: `()`, or None with no guesser): no agreement.
    for guess in ((), None):
        ranked = matcher.rank(dataclasses.replace(query, guess=guess))
        assert all("hs_guess" not in m.signals for m in ranked)
