"""'Suggested for you' with the engine's HS agreement: participants without HS codes meet when the
suggester's guesses of what they offer and look for agree, the guesses made by the build."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from django.core.cache import cache
from django.urls import reverse

from corridor.events import selectors, suggest
from corridor.matching import services as matching_services
from tests import factories


def _product(registration, name):
    product = factories.ProductFactory(
        organisation=registration.organisation, name=name, description=""
    )
    matching_services.products_embed(product_ids=[product.pk])  # vector and guess stored
    return product


@pytest.fixture
def coffee(people, forum):
    """The buyer looks for coffee beans; Rice Mill makes ground robusta (HS 0901 for the
    suggester, as "coffee beans"), Silk House green tea (0902): no word in common with the
    buyer's text for either, no HS code anywhere."""
    buyer = people["Buyer Co"][1]
    buyer.looks_for = "coffee beans"
    buyer.save()
    _product(people["Rice Mill"][1], "Robusta, roasted and ground")
    _product(people["Silk House"][1], "green tea leaves")
    suggest.event_index(forum)  # the build (in-process here, as the worker would run it)
    buyer.refresh_from_db()  # as the next page loads it: with the guess the build stored
    return people


def _names(found):
    return [s.registration.organisation.name for s in found]


def test_guesses_that_agree_bring_a_participant_sharing_no_word(coffee, forum):
    user, buyer = coffee["Buyer Co"]

    found = selectors.suggestions(forum, buyer, user)

    assert _names(found) == ["Rice Mill"]  # not the tea
    assert found[0].reasons[0] == "They offer: similar product description"
    index = suggest.event_index(forum)
    rice = coffee["Rice Mill"][1]
    assert index.offer_guesses.get(rice.pk)[0][0] == 901  # its product's stored guess
    assert index.want_guesses.get(buyer.pk)[0][0] == 901  # guessed by the build


def test_the_agreement_counts_in_the_other_direction_too(coffee, forum):
    user, rice = coffee["Rice Mill"]
    rice.offers = "Our Dak Lak harvest"  # no word of "coffee beans" either
    rice.save()

    found = selectors.suggestions(forum, rice, user)

    assert _names(found) == ["Buyer Co"]  # its products' guess against the buyer's text's
    assert found[0].reasons[0] == "They look for: similar product description"


def test_without_the_agreement_they_would_not_meet(coffee, forum, monkeypatch):
    user, buyer = coffee["Buyer Co"]
    queries = suggest._queries  # noqa: SLF001
    # The viewer's queries without their stored guesses: no agreement.
    monkeypatch.setattr(suggest, "_queries", lambda *args: queries(*args[:4], None))

    assert _names(selectors.suggestions(forum, buyer, user)) == []


def test_the_build_guesses_and_a_page_does_not(guess_calls, coffee, forum, client):
    user, buyer = coffee["Buyer Co"]
    # The products' guesses, stored with their vectors, then the build's: the "looks for" text.
    assert guess_calls == ["Robusta, roasted and ground", "green tea leaves", "coffee beans"]
    assert suggest.looks_for_guess(buyer) is not None
    guess_calls.clear()
    client.force_login(user)

    page = client.get(reverse("events:participants", args=[forum.slug])).content.decode()

    assert "They offer: similar product description" in page
    assert guess_calls == []
    suggest.forget()  # another process loads the file: still no guessing
    cache.clear()
    assert _names(selectors.suggestions(forum, buyer, user)) == ["Rice Mill"]
    assert guess_calls == []


def test_a_changed_text_is_guessed_again_by_the_next_build(coffee, forum, guess_calls):
    user, buyer = coffee["Buyer Co"]
    buyer.looks_for = "green tea"
    buyer.save()  # a new participants' version: built again (here, in-process)
    suggest.event_index(forum)
    buyer.refresh_from_db()

    found = selectors.suggestions(forum, buyer, user)

    assert guess_calls == ["green tea"]  # only the changed text
    assert _names(found) == ["Silk House"]


def test_without_products_the_entry_text_is_guessed_once_by_the_build(coffee, forum, guess_calls):
    user, buyer = coffee["Buyer Co"]
    pepper = coffee["Pepper Farm"][1]
    pepper.offers = "Robusta, roasted and ground"  # no product: its text, no word in common
    pepper.save()
    suggest.event_index(forum)

    found = selectors.suggestions(forum, buyer, user)

    assert guess_calls == ["Robusta, roasted and ground"]  # by the build
    assert set(_names(found)) == {"Rice Mill", "Pepper Farm"}
    pepper.refresh_from_db()
    assert suggest.adapters.guess_from_bytes(pepper.offers_guess, 5)[0][0] == 901
    silk = coffee["Silk House"][1]
    silk.offers = "tea"
    silk.save()  # another build: Pepper Farm's guess is read back, not made again
    assert suggest.event_index(forum).offer_guesses.get(pepper.pk)[0][0] == 901
    assert guess_calls == ["Robusta, roasted and ground"]


def test_an_organisations_guess_is_the_mean_of_its_products():
    tea = (np.array([902, 2101, 0, 0, 0]), np.array([0.8, 0.2, 0, 0, 0]), np.zeros(5), np.zeros(5))
    coffee = suggest._code_guess("090121")  # noqa: SLF001 (a product with its code)

    heads, probs, codes, code_probs = suggest._mean_guess([tea, coffee])  # noqa: SLF001

    assert heads.tolist() == [901, 902, 2101, 0, 0]
    np.testing.assert_allclose(probs, [0.5, 0.4, 0.1, 0, 0])
    assert codes.tolist()[:1] == [90121] and code_probs[0] == 0.5


def test_an_index_file_of_the_format_before_guesses_still_serves(coffee, forum, monkeypatch):
    from corridor.events import tasks

    user, buyer = coffee["Buyer Co"]
    pointer = cache.get(suggest._pointer_key(forum.pk))  # noqa: SLF001
    path = suggest._folder() / pointer["file"]  # noqa: SLF001
    data = pickle.loads(path.read_bytes())  # noqa: S301 (written by the test's build)
    for key in ("format", "offer_guesses", "want_guesses"):
        del data[key]
    path.write_bytes(pickle.dumps(data))
    del pointer["format"]
    cache.set(suggest._pointer_key(forum.pk), pointer, None)  # noqa: SLF001
    suggest.forget()
    queued = []
    monkeypatch.setattr(tasks, "suggest_index_build", queued.append)  # no worker running

    index = suggest.event_index(forum)

    assert index is not None and len(index.offer_guesses) == 0
    assert queued == [forum.pk]  # built again in the new format
    assert _names(selectors.suggestions(forum, buyer, user)) == []  # as before: no agreement


def test_guesses_by_registration_give_the_engine_its_rows():
    coffee = suggest._code_guess("090121")  # noqa: SLF001
    guesses = suggest.Guesses({5: coffee})

    heads, probs, codes, _ = guesses.rows([3, 5, 5, 7])

    assert heads[:, 0].tolist() == [-1, 901, 901, -1]  # -1: none, and none to be made
    assert codes[1, 0] == 90121 and probs[1, 0] == 1.0
    assert guesses.get(4) is None and guesses.get(5)[0][0] == 901
    assert suggest.Guesses().rows([1])[0][0, 0] == -1
