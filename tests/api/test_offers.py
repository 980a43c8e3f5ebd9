"""Products, certifications and sourcing requests through the API."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from corridor.directory.models import Certification, Product, SourcingRequest
from tests import factories
from tests.api.conftest import assert_error, bearer_client

JSON = "application/json"


# --- Products ----------------------------------------------------------------------------------


def test_product_create_by_owner_reindexes_organisation(sme_owner, sme):
    factories.HSCodeFactory(code="691200", description="Ceramic tableware")

    response = bearer_client(sme_owner).post(
        "/api/v1/products",
        {
            "organisation_id": sme.pk,
            "name": "Celadon bowl",
            "hs_code": "691200",
            "price_min": "2.50",
            "price_max": "4.00",
            "capacity_amount": "1200",
            "capacity_unit": "pieces",
        },
        content_type=JSON,
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["hs_code"], body["organisation_name"]) == ("691200", sme.name)
    product = Product.objects.get(pk=body["id"])
    assert (product.price_min, product.capacity_unit) == (2.5, "pieces")
    sme.refresh_from_db()
    assert "celadon" in sme.search_text


def test_product_create_for_someone_elses_org_is_403(stranger, sme):
    response = bearer_client(stranger).post(
        "/api/v1/products", {"organisation_id": sme.pk, "name": "Fake"}, content_type=JSON
    )

    assert_error(response, 403, "forbidden")
    assert Product.objects.count() == 0


def test_product_create_price_range_reversed_is_422(sme_owner, sme):
    response = bearer_client(sme_owner).post(
        "/api/v1/products",
        {"organisation_id": sme.pk, "name": "Bowl", "price_min": "5", "price_max": "1"},
        content_type=JSON,
    )

    assert_error(response, 422, "validation_error")
    assert Product.objects.count() == 0


@pytest.mark.parametrize("who", ["stranger", "buyer_user"])
def test_product_update_and_delete_denied_to_others(who, request, sme):
    product = factories.ProductFactory(organisation=sme, name="Vase")
    client = bearer_client(request.getfixturevalue(who))

    patch = client.patch(f"/api/v1/products/{product.pk}", {"name": "X"}, content_type=JSON)
    delete = client.delete(f"/api/v1/products/{product.pk}")

    assert_error(patch, 403, "forbidden")
    assert_error(delete, 403, "forbidden")
    product.refresh_from_db()
    assert product.name == "Vase"


def test_product_update_and_delete_by_coordinator(coordinator, sme):
    product = factories.ProductFactory(organisation=sme, name="Vase")
    client = bearer_client(coordinator)

    patch = client.patch(f"/api/v1/products/{product.pk}", {"name": "Jar"}, content_type=JSON)
    delete = client.delete(f"/api/v1/products/{product.pk}")

    assert patch.json()["name"] == "Jar"
    assert delete.status_code == 204
    assert not Product.objects.filter(pk=product.pk).exists()


def test_product_inactive_hidden_from_others_shown_to_owner(anon, sme_owner, sme):
    product = factories.ProductFactory(organisation=sme, is_active=False)

    assert_error(anon.get(f"/api/v1/products/{product.pk}"), 404, "not_found")
    assert anon.get("/api/v1/products").json()["count"] == 0
    assert bearer_client(sme_owner).get("/api/v1/products").json()["count"] == 1


def test_product_list_filters_by_hs_prefix(anon, sme):
    rice = factories.ProductFactory(organisation=sme, hs_code=factories.HSCodeFactory())
    factories.ProductFactory(organisation=sme)

    items = anon.get("/api/v1/products", {"hs": "10"}).json()["items"]

    assert [p["id"] for p in items] == [rice.pk]


def test_product_list_query_count_constant(anon, sme, django_assert_num_queries):
    factories.ProductFactory(organisation=sme)
    with CaptureQueriesContext(connection) as ctx:
        anon.get("/api/v1/products")
    factories.ProductFactory.create_batch(9)

    with django_assert_num_queries(len(ctx.captured_queries)):
        assert anon.get("/api/v1/products").json()["count"] == 10


# --- Certifications ----------------------------------------------------------------------------


def test_certification_create_by_owner(sme_owner, sme):
    response = bearer_client(sme_owner).post(
        "/api/v1/certifications",
        {"organisation_id": sme.pk, "kind": "haccp", "valid_until": "2030-01-31"},
        content_type=JSON,
    )

    assert response.status_code == 201
    cert = Certification.objects.get(pk=response.json()["id"])
    assert (cert.kind, cert.valid_until) == ("haccp", date(2030, 1, 31))


def test_certification_for_product_of_other_org_is_422(sme_owner, sme, other_sme):
    foreign = factories.ProductFactory(organisation=other_sme)

    response = bearer_client(sme_owner).post(
        "/api/v1/certifications",
        {"organisation_id": sme.pk, "kind": "gap", "product_id": foreign.pk},
        content_type=JSON,
    )

    assert_error(response, 422, "validation_error")


def test_certification_delete_denied_to_stranger(stranger, sme):
    cert = factories.CertificationFactory(organisation=sme)

    response = bearer_client(stranger).delete(f"/api/v1/certifications/{cert.pk}")

    assert_error(response, 403, "forbidden")
    assert Certification.objects.filter(pk=cert.pk).exists()


def test_certification_list_hides_unpublished_orgs(anon, sme, other_sme):
    factories.CertificationFactory(organisation=sme)
    other_sme.is_published = False
    other_sme.save()
    factories.CertificationFactory(organisation=other_sme)

    body = anon.get("/api/v1/certifications").json()

    assert [c["organisation_id"] for c in body["items"]] == [sme.pk]


# --- Sourcing requests -------------------------------------------------------------------------


def test_sourcing_requests_need_an_account(anon, buyer_org):
    factories.SourcingRequestFactory(buyer=buyer_org)

    assert_error(anon.get("/api/v1/sourcing-requests"), 401, "unauthorized")


def test_sourcing_requests_visibility(stranger, buyer_user, buyer_org):
    open_req = factories.SourcingRequestFactory(buyer=buyer_org, title="Rice")
    closed = factories.SourcingRequestFactory(buyer=buyer_org, status="closed")
    hidden_buyer = factories.OrganisationFactory(kind="buyer", is_published=False)
    private = factories.SourcingRequestFactory(buyer=hidden_buyer)

    seen = bearer_client(stranger).get("/api/v1/sourcing-requests").json()
    own = bearer_client(buyer_user).get("/api/v1/sourcing-requests").json()

    assert [r["id"] for r in seen["items"]] == [open_req.pk]
    assert sorted(r["id"] for r in own["items"]) == sorted([open_req.pk, closed.pk])
    assert_error(
        bearer_client(stranger).get(f"/api/v1/sourcing-requests/{private.pk}"), 404, "not_found"
    )


def test_sourcing_request_create_update_by_buyer(buyer_user, buyer_org):
    factories.CountryFactory(code="VN")
    client = bearer_client(buyer_user)

    created = client.post(
        "/api/v1/sourcing-requests",
        {
            "buyer_id": buyer_org.pk,
            "title": "Jasmine rice",
            "quantity_amount": "20",
            "quantity_unit": "t",
            "destination": "vn",
            "required_certifications": ["organic"],
        },
        content_type=JSON,
    )
    req_id = created.json()["id"]
    closed = client.patch(
        f"/api/v1/sourcing-requests/{req_id}", {"status": "closed"}, content_type=JSON
    )

    assert created.status_code == 201
    assert closed.json()["status"] == "closed"
    req = SourcingRequest.objects.get(pk=req_id)
    assert (req.destination_id, req.required_certifications) == ("VN", ["organic"])
    assert req.created_by == buyer_user


@pytest.mark.parametrize("who", ["stranger", "sme_owner"])
def test_sourcing_request_update_delete_denied_to_others(who, request, buyer_org):
    req = factories.SourcingRequestFactory(buyer=buyer_org, title="Rice")
    client = bearer_client(request.getfixturevalue(who))

    patch = client.patch(f"/api/v1/sourcing-requests/{req.pk}", {"title": "X"}, content_type=JSON)
    delete = client.delete(f"/api/v1/sourcing-requests/{req.pk}")

    assert_error(patch, 403, "forbidden")
    assert_error(delete, 403, "forbidden")
    req.refresh_from_db()
    assert req.title == "Rice"


def test_sourcing_request_list_query_count_constant(stranger, django_assert_num_queries):
    client = bearer_client(stranger)
    factories.SourcingRequestFactory()
    client.get("/api/v1/sourcing-requests")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/sourcing-requests")
    factories.SourcingRequestFactory.create_batch(9)

    with django_assert_num_queries(len(ctx.captured_queries)):
        assert client.get("/api/v1/sourcing-requests").json()["count"] == 10


def test_certification_create_and_delete_update_directory_facet(sme_owner, sme):
    from corridor.directory.search import reindex_organisations
    from corridor.directory.selectors import search_organisations

    reindex_organisations([sme.pk])
    client = bearer_client(sme_owner)

    created = client.post(
        "/api/v1/certifications",
        {"organisation_id": sme.pk, "kind": "halal", "valid_until": "2030-01-31"},
        content_type=JSON,
    )
    found = search_organisations(sme_owner, "", {"cert": "halal"}, facets=False)
    client.delete(f"/api/v1/certifications/{created.json()['id']}")
    after = search_organisations(sme_owner, "", {"cert": "halal"}, facets=False)

    assert [o.pk for o in found.page.object_list] == [sme.pk]
    assert list(after.page.object_list) == []
