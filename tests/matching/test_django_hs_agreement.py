"""The ranking's HS agreement in the app: guesses stored with the vectors, read by the catalog."""

from __future__ import annotations

import numpy as np
import pytest

from corridor.directory.models import Product
from corridor.matching import adapters, selectors, services
from corridor.matching.engine import GUESS_TOP
from tests import factories

pytestmark = pytest.mark.usefixtures("fresh_catalog")


@pytest.fixture
def products(db, sme):
    rice = factories.HSCodeFactory(code="100630")
    shrimp = factories.ProductFactory(
        organisation=sme, name="Frozen shrimp", description="Vannamei, IQF"
    )
    coded = factories.ProductFactory(organisation=sme, name="Jasmine rice", hs_code=rice)
    services.products_embed(product_ids=[shrimp.pk, coded.pk])
    shrimp.refresh_from_db()
    coded.refresh_from_db()
    return shrimp, coded


def test_a_product_without_a_code_stores_its_guess_with_its_vector(products):
    shrimp, coded = products
    stored = adapters.guess_from_bytes(shrimp.hs_guess, GUESS_TOP)
    assert stored is not None and coded.hs_guess is None  # a code needs no guess
    vector = adapters.vector_from_bytes(shrimp.embedding, adapters.get_embedder().dim)
    expected = selectors.hs_suggester().guess(["Frozen shrimp. Vannamei, IQF"], vector[None, :])
    for part, value in zip(stored, expected, strict=True):
        np.testing.assert_allclose(part, value[0], rtol=1e-6)
    assert stored[0][0] > 0 and stored[1][0] > 0


def test_the_catalog_reads_stored_guesses_and_guesses_only_the_request(
    products, guess_calls, buyer_org
):
    shrimp, coded = products
    catalog = selectors.supplier_catalog()
    matcher = catalog.matcher
    assert guess_calls == []  # the build guessed nothing: every guess was stored
    assert matcher.hs_guesser is selectors.shared_guesser
    stored = adapters.guess_from_bytes(shrimp.hs_guess, GUESS_TOP)
    at = catalog.positions[shrimp.pk]
    assert matcher._guess_heads[at].tolist() == stored[0].tolist()
    at = catalog.positions[coded.pk]
    assert matcher._guess_heads[at, 0] == 1006 and matcher._guess_probs[at, 0] == 1.0

    req = factories.SourcingRequestFactory(buyer=buyer_org, title="Shrimp", description="frozen")
    ranked = catalog.rank(req)
    assert guess_calls == ["Shrimp. frozen"]  # the request's guess, once
    assert all("hs_guess" in m.signals and "hs_guess_6" in m.signals for m in ranked)
    catalog.rank(req)
    assert guess_calls == ["Shrimp. frozen"]  # kept per text


def test_a_vector_stored_before_guesses_gets_no_guess_rather_than_a_pass_per_build(
    products, guess_calls
):
    shrimp, _ = products
    Product.objects.filter(pk=shrimp.pk).update(hs_guess=None)
    catalog = selectors.supplier_catalog()
    assert guess_calls == []
    assert catalog.matcher._guess_probs[catalog.positions[shrimp.pk]].sum() == 0


def test_a_product_not_embedded_yet_is_embedded_and_guessed_at_build(db, sme, guess_calls):
    product = factories.ProductFactory(organisation=sme, name="Dried mango slices")
    catalog = selectors.supplier_catalog()
    assert guess_calls == ["Dried mango slices. A product"]
    assert catalog.matcher._guess_heads[catalog.positions[product.pk], 0] > 0


def test_the_saved_catalog_keeps_the_guesses_and_the_guesser(products, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    shrimp, _ = products
    built = selectors.supplier_catalog()
    name = services.index_publish(force=True)
    opened = selectors.catalog_open(name)
    assert opened.matcher.hs_guesser is selectors.shared_guesser
    at = built.positions[shrimp.pk]
    assert opened.matcher._guess_heads[at].tolist() == built.matcher._guess_heads[at].tolist()


def test_a_request_without_a_code_stores_its_guess_with_its_vector(db, buyer_org):
    rice = factories.HSCodeFactory(code="100630")
    plain = factories.SourcingRequestFactory(buyer=buyer_org, title="Shrimp", description="frozen")
    coded = factories.SourcingRequestFactory(buyer=buyer_org, title="Rice", hs_code=rice)
    assert services.requests_embed(request_ids=[plain.pk, coded.pk]) == 2
    plain.refresh_from_db()
    coded.refresh_from_db()
    assert coded.hs_guess is None  # a declared code is judged by the code, not a guess
    stored = adapters.request_guess(plain)
    vector = adapters.vector_from_bytes(plain.embedding, adapters.get_embedder().dim)
    # What the ranking would guess: the request's text with its query vector.
    expected = selectors.hs_suggester().guess(["Shrimp. frozen"], vector[None, :])
    for part, value in zip(stored, expected, strict=True):
        np.testing.assert_allclose(part, value[0], rtol=1e-6)


def test_a_saved_request_ranks_with_its_stored_guess_without_the_suggester(
    products, guess_calls, buyer_org
):
    from corridor.directory.models import SourcingRequest

    shrimp, _ = products
    req = factories.SourcingRequestFactory(
        buyer=buyer_org, title="Office chairs", description="ergonomic, with armrests"
    )
    services.requests_embed(request_ids=[req.pk])
    # The stored guess stands for the text: set it to the shrimp's own, the chairs agree.
    SourcingRequest.objects.filter(pk=req.pk).update(hs_guess=shrimp.hs_guess)
    req.refresh_from_db()
    catalog = selectors.supplier_catalog()
    guess_calls.clear()
    ranked = {m.offer_id: m for m in catalog.rank(req)}
    assert guess_calls == []  # neither the catalog nor the request was guessed here
    assert ranked[shrimp.pk].signals["hs_guess"] > 0.5
    # Read without the field (a deferred column), the request is guessed from its text.
    deferred = SourcingRequest.objects.defer("hs_guess").get(pk=req.pk)
    assert adapters.request_guess(deferred) is None
    ranked = {m.offer_id: m for m in catalog.rank(deferred)}
    assert guess_calls == ["Office chairs. ergonomic, with armrests"]
    assert ranked.get(shrimp.pk) is None or ranked[shrimp.pk].signals["hs_guess"] < 0.5
