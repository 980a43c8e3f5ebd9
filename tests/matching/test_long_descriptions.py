"""Long offer descriptions: all of the text counts, not only the title and first words."""

from __future__ import annotations

import numpy as np

from corridor.matching.engine import Matcher, description_chunks, embed_offers
from corridor.matching.records import Offer, Query

FILLER = (
    "Our family company was founded in 1998 and employs about one hundred and twenty people "
    "in two factories near the port. We export to buyers in Europe, Japan, Korea and the "
    "United States, and we welcome visits by appointment. Quality is checked at every step "
    "by our own laboratory and by third-party inspectors before loading. Payment by letter of "
    "credit at sight or by bank transfer, thirty percent in advance and the balance against "
    "the shipping documents. Samples are free; the buyer pays the courier. Lead time is about "
    "four weeks after the order is confirmed, depending on the season and the quantity. "
)


def long_description(ending: str) -> str:
    words = (FILLER * 5).split()[:290]
    return " ".join(words) + " " + ending


def test_a_word_only_at_the_end_of_a_300_word_description_changes_its_ranking(embedder):
    with_word = long_description("We also supply dried durian chips in 1 kg bags.")
    without = long_description("We also supply wooden pallets in standard sizes.")
    assert len(with_word.split()) >= 295
    offers = [Offer(id=f"o{i}", title="Export goods", description=without) for i in range(8)]
    offers.append(Offer(id="durian", title="Export goods", description=with_word))
    matcher = Matcher(embedder=embedder).build(offers)
    top = matcher.rank(Query(id="q", text="dried durian chips"), top=3)
    assert top[0].offer_id == "durian"
    assert top[0].score > top[1].score
    # The same catalog where that offer lacks the word: it no longer stands out.
    control = Matcher(embedder=embedder).build(
        [*offers[:-1], Offer(id="durian", title="Export goods", description=without)]
    )
    scores = {m.offer_id: m.score for m in control.rank(Query(id="q", text="dried durian chips"))}
    assert scores["durian"] == scores["o0"]


def test_the_end_of_a_long_description_moves_its_vector(embedder):
    a = Offer(id="a", title="Export goods", description=long_description("Fresh mangoes."))
    b = Offer(id="b", title="Export goods", description=long_description("Steel pipes."))
    va, vb = embed_offers([a, b], embedder)
    assert float(va @ vb) < 0.999  # the head-only vector would be identical
    assert np.isclose(np.linalg.norm(va), 1.0, atol=1e-4)


def test_chunks_cover_the_whole_description_and_short_ones_have_none():
    assert description_chunks("Milled rice, 25 kg bags.") == []
    text = long_description("The last words.")
    chunks = description_chunks(text)
    assert 2 <= len(chunks) <= 4
    assert chunks[0].startswith("Our family company")
    assert chunks[-1].endswith("The last words.")
    # Scripts without spaces are cut too.
    thai = "ข้าวหอมมะลิคุณภาพดีจากอุบลราชธานี" * 30
    assert len(description_chunks(thai)) >= 2
