"""Matching API: suppliers for a request, requests for an organisation, HS suggestions."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from corridor.accounts.services import api_token_create
from corridor.matching import selectors
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_state():
    selectors.forget_catalog()
    cache.clear()  # rate-limit counters
    yield
    selectors.forget_catalog()


def _client(user=None) -> Client:
    if user is None:
        return Client()
    _token, raw = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def world(db, buyer_org, sme):
    rice = factories.HSCodeFactory(code="100630")
    product = factories.ProductFactory(
        organisation=sme, name="Jasmine rice", description="Milled jasmine rice", hs_code=rice
    )
    req = factories.SourcingRequestFactory(
        buyer=buyer_org, title="Jasmine rice", description="milled jasmine rice", hs_code=rice
    )
    return {"product": product, "req": req}


def test_api_suppliers_for_a_request(world, buyer_user, sme):
    response = _client(buyer_user).get(f"/api/v1/matching/requests/{world['req'].pk}/suppliers")
    assert response.status_code == 200
    first = response.json()[0]
    assert first["organisation"]["id"] == sme.pk
    assert first["organisation"]["email"] is None  # not connected
    assert first["product_name"] == "Jasmine rice"
    assert first["meets_requirements"] is True
    assert first["verdict"] == "meets"
    assert {
        "code": "hs_match",
        "params": {"code": "1006.30"},
        "text": "HS 1006.30 matches",
        "is_failure": False,
    } in first["reasons"]


def test_api_suppliers_show_contacts_to_connections(world, buyer_user, buyer_org, sme):
    factories.ConnectionFactory(from_org=buyer_org, to_org=sme, status="accepted")
    response = _client(buyer_user).get(f"/api/v1/matching/requests/{world['req'].pk}/suppliers")
    assert response.json()[0]["organisation"]["email"] == "sme@example.com"


def test_api_suppliers_filters(world, buyer_user):
    client = _client(buyer_user)
    url = f"/api/v1/matching/requests/{world['req'].pk}/suppliers"
    assert client.get(url, {"country": "VN"}).json() == []
    assert len(client.get(url, {"country": "kh"}).json()) == 1


def test_api_suppliers_denials(world, buyer_org, stranger):
    url = f"/api/v1/matching/requests/{world['req'].pk}/suppliers"
    assert _client().get(url).status_code == 401
    buyer_org.is_published = False
    buyer_org.save()
    response = _client(stranger).get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_requests_for_an_organisation(world, sme, sme_owner):
    response = _client(sme_owner).get(f"/api/v1/matching/organisations/{sme.pk}/requests")
    assert response.status_code == 200
    assert [r["request_id"] for r in response.json()] == [world["req"].pk]


def test_api_requests_for_an_organisation_denials(world, sme, stranger, other_sme):
    url = f"/api/v1/matching/organisations/{sme.pk}/requests"
    assert _client().get(url).status_code == 401
    assert _client(stranger).get(url).status_code == 403
    other_sme.is_published = False
    other_sme.save()
    url = f"/api/v1/matching/organisations/{other_sme.pk}/requests"
    assert _client(stranger).get(url).status_code == 404


def test_api_hs_suggest_get_and_post(db):
    client = _client()
    got = client.get("/api/v1/hs/suggest", {"text": "organic jasmine rice"})
    assert got.status_code == 200
    body = got.json()
    assert len(body) == 5
    assert any(s["code"].startswith("1006") for s in body)
    assert set(body[0]) == {"code", "formatted", "description", "confidence"}
    posted = client.post(
        "/api/v1/hs/suggest",
        {"text": "organic jasmine rice", "top": 3},
        content_type="application/json",
    )
    assert posted.status_code == 200
    assert [s["code"] for s in posted.json()] == [s["code"] for s in body[:3]]


def test_api_hs_suggest_validates_input(db):
    response = _client().post(
        "/api/v1/hs/suggest", {"text": "", "top": 50}, content_type="application/json"
    )
    assert response.status_code == 422
