"""Organisations and clusters: visibility, contact details, writes, errors, pagination, queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from corridor.accounts.models import Membership
from corridor.directory.models import Organisation
from corridor.directory.search import reindex_organisations
from tests import factories
from tests.api.conftest import assert_error, bearer_client

JSON = "application/json"


# --- Clusters ----------------------------------------------------------------------------------


def test_clusters_anonymous_lists_published_only(anon, cluster):
    hidden = factories.OrganisationFactory(
        kind="cluster", name="Hidden cluster", is_published=False
    )
    factories.OrganisationFactory(kind="sme", name="Not a cluster")

    response = anon.get("/api/v1/clusters")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [c["id"] for c in body["items"]] == [cluster.pk]
    assert_error(anon.get(f"/api/v1/clusters/{hidden.pk}"), 404, "not_found")


def test_clusters_count_published_members(anon, cluster, sme):
    factories.OrganisationFactory(kind="sme", cluster=cluster, is_published=False)

    body = anon.get(f"/api/v1/clusters/{cluster.pk}").json()

    assert body["member_count"] == 1


def test_clusters_coordinator_sees_own_unpublished_cluster(coordinator, cluster):
    cluster.is_published = False
    cluster.save()

    body = bearer_client(coordinator).get("/api/v1/clusters").json()

    assert [c["id"] for c in body["items"]] == [cluster.pk]


# --- Contact details ---------------------------------------------------------------------------


def test_contacts_hidden_from_anonymous(anon, sme):
    factories.ContactPersonFactory(organisation=sme)

    body = anon.get(f"/api/v1/organisations/{sme.pk}").json()

    assert (body["email"], body["phone"], body["contacts"]) == (None, None, None)


def test_contacts_hidden_from_stranger_in_list_and_detail(stranger, sme):
    client = bearer_client(stranger)

    detail = client.get(f"/api/v1/organisations/{sme.pk}").json()
    listed = client.get("/api/v1/organisations", {"kind": "sme"}).json()["items"]

    assert detail["email"] is None
    assert [(o["email"], o["phone"], o["contacts"]) for o in listed] == [(None, None, None)]


@pytest.mark.parametrize("who", ["staff_user", "sme_owner", "coordinator"])
def test_contacts_shown_to_staff_owner_and_coordinator(who, request, sme):
    user = request.getfixturevalue(who)
    factories.ContactPersonFactory(organisation=sme, name="Lan")

    body = bearer_client(user).get(f"/api/v1/organisations/{sme.pk}").json()

    assert body["email"] == "sme@example.com"
    assert body["phone"] == "+855 12 345 678"
    assert [c["name"] for c in body["contacts"]] == ["Lan"]


def test_contacts_shown_to_accepted_connection_only(buyer_user, buyer_org, sme, other_sme):
    factories.ConnectionFactory(from_org=buyer_org, to_org=sme, status="accepted")
    factories.ConnectionFactory(from_org=buyer_org, to_org=other_sme, status="requested")

    items = bearer_client(buyer_user).get("/api/v1/organisations", {"kind": "sme"}).json()["items"]

    emails = {o["id"]: o["email"] for o in items}
    assert emails == {sme.pk: "sme@example.com", other_sme.pk: None}


# --- Visibility and filters --------------------------------------------------------------------


def test_organisations_unpublished_hidden_from_others(anon, stranger, sme_owner, sme):
    sme.is_published = False
    sme.save()

    assert_error(anon.get(f"/api/v1/organisations/{sme.pk}"), 404, "not_found")
    assert_error(bearer_client(stranger).get(f"/api/v1/organisations/{sme.pk}"), 404, "not_found")
    assert bearer_client(sme_owner).get(f"/api/v1/organisations/{sme.pk}").status_code == 200


def test_organisations_filters(anon, db):
    vn = factories.CountryFactory(code="VN")
    province = factories.ProvinceFactory(code="VN-2025-01", country=vn)
    rice = factories.OrganisationFactory(name="Mekong Rice", country=vn, province=province)
    factories.ProductFactory(organisation=rice, hs_code=factories.HSCodeFactory(code="100630"))
    factories.CertificationFactory(organisation=rice, kind="organic")
    other = factories.OrganisationFactory(name="Kampot Pepper")
    factories.CertificationFactory(organisation=other, kind="gi")

    def ids(**params):
        return [o["id"] for o in anon.get("/api/v1/organisations", params).json()["items"]]

    assert ids(country="vn") == [rice.pk]
    assert ids(province="VN-2025-01") == [rice.pk]
    assert ids(hs="1006") == [rice.pk]
    assert ids(hs="0904") == []
    assert ids(certification="gi") == [other.pk]
    assert ids(kind="buyer") == []


def test_organisations_full_text_search_folds_accents(anon, db):
    org = factories.OrganisationFactory(name="Gốm Bát Tràng")
    factories.OrganisationFactory(name="Kampot Pepper")
    reindex_organisations(Organisation.objects.values_list("id", flat=True))

    items = anon.get("/api/v1/organisations", {"q": "bat trang"}).json()["items"]

    assert [o["id"] for o in items] == [org.pk]


def test_organisations_pagination_totals(anon, db):
    factories.OrganisationFactory.create_batch(7)

    body = anon.get("/api/v1/organisations", {"limit": 3, "offset": 6}).json()

    assert (body["count"], body["limit"], body["offset"], len(body["items"])) == (7, 3, 6, 1)


def test_organisations_page_size_capped(anon, db):
    response = anon.get("/api/v1/organisations", {"limit": 101})

    error = assert_error(response, 422, "validation_error")
    assert error["details"][0]["loc"] == ["query", "limit"]


def _queries(client, url: str) -> int:
    client.get(url)  # warm-up: the token's first use writes last_used_at
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_organisations_list_query_count_constant(staff_user, django_assert_num_queries):
    client = bearer_client(staff_user)
    org = factories.OrganisationFactory()
    factories.ContactPersonFactory(organisation=org)
    one = _queries(client, "/api/v1/organisations")
    for org in factories.OrganisationFactory.create_batch(9):
        factories.ContactPersonFactory(organisation=org)

    with django_assert_num_queries(one):
        assert client.get("/api/v1/organisations").json()["count"] == 10


def test_organisations_list_query_count_constant_for_member(
    sme_owner, buyer_org, django_assert_num_queries
):
    client = bearer_client(sme_owner)
    one = _queries(client, "/api/v1/organisations?kind=buyer")
    for org in factories.OrganisationFactory.create_batch(9, kind="buyer"):
        factories.ContactPersonFactory(organisation=org)

    with django_assert_num_queries(one):
        assert client.get("/api/v1/organisations?kind=buyer").json()["count"] == 10


def test_clusters_list_query_count_constant(anon, cluster, django_assert_num_queries):
    one = _queries(anon, "/api/v1/clusters")
    for _ in range(9):
        member_of = factories.OrganisationFactory(kind="cluster")
        factories.OrganisationFactory(kind="sme", cluster=member_of)

    with django_assert_num_queries(one):
        assert anon.get("/api/v1/clusters").json()["count"] == 10


# --- Writes ------------------------------------------------------------------------------------


def test_organisation_create_makes_caller_owner(stranger):
    factories.CountryFactory(code="KH")

    response = bearer_client(stranger).post(
        "/api/v1/organisations",
        {"kind": "sme", "name": "Siem Reap Silk", "country": "kh", "email": "silk@example.com"},
        content_type=JSON,
    )

    assert response.status_code == 201
    body = response.json()
    org = Organisation.objects.get(pk=body["id"])
    assert (org.name, org.country_id, org.is_published) == ("Siem Reap Silk", "KH", False)
    assert body["email"] == "silk@example.com"  # the owner sees their own contacts
    assert Membership.objects.filter(user=stranger, organisation=org, role="owner").exists()
    assert "silk" in org.search_text


def test_organisation_create_validation_error_shape(stranger):
    response = bearer_client(stranger).post(
        "/api/v1/organisations", {"kind": "alien", "name": ""}, content_type=JSON
    )

    error = assert_error(response, 422, "validation_error")
    locs = sorted(tuple(d["loc"]) for d in error["details"])
    assert locs == [
        ("body", "payload", "country"),
        ("body", "payload", "kind"),
        (
            "body",
            "payload",
            "name",
        ),
    ]


def test_organisation_create_unknown_country_is_422(stranger):
    response = bearer_client(stranger).post(
        "/api/v1/organisations", {"kind": "sme", "name": "X", "country": "ZZ"}, content_type=JSON
    )

    error = assert_error(response, 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "country"]


def test_organisation_create_anonymous_is_401(anon, db):
    response = anon.post("/api/v1/organisations", {}, content_type=JSON)

    assert_error(response, 401, "unauthorized")


def test_organisation_update_by_owner(sme_owner, sme):
    response = bearer_client(sme_owner).patch(
        f"/api/v1/organisations/{sme.pk}", {"description": "Glazed bowls"}, content_type=JSON
    )

    assert response.status_code == 200
    sme.refresh_from_db()
    assert sme.description == "Glazed bowls"
    assert "glazed" in sme.search_text


@pytest.mark.parametrize("who", ["stranger", "buyer_user"])
def test_organisation_update_denied_to_others(who, request, sme):
    user = request.getfixturevalue(who)

    response = bearer_client(user).patch(
        f"/api/v1/organisations/{sme.pk}", {"name": "Hijacked"}, content_type=JSON
    )

    assert_error(response, 403, "forbidden")
    sme.refresh_from_db()
    assert sme.name != "Hijacked"


def test_organisation_delete_denied_to_other_sme_owner(sme, other_sme):
    other_owner = factories.UserFactory()
    factories.MembershipFactory(user=other_owner, organisation=other_sme)

    response = bearer_client(other_owner).delete(f"/api/v1/organisations/{sme.pk}")

    assert_error(response, 403, "forbidden")
    assert Organisation.objects.filter(pk=sme.pk).exists()


def test_organisation_delete_denied_to_coordinator(coordinator, sme):
    # Coordinators edit member profiles but only the owner or staff delete one.
    response = bearer_client(coordinator).delete(f"/api/v1/organisations/{sme.pk}")

    assert_error(response, 403, "forbidden")


def test_organisation_delete_by_owner(sme_owner, sme):
    response = bearer_client(sme_owner).delete(f"/api/v1/organisations/{sme.pk}")

    assert response.status_code == 204
    assert not Organisation.objects.filter(pk=sme.pk).exists()


def test_organisation_not_found_shape(anon, db):
    error = assert_error(anon.get("/api/v1/organisations/999999"), 404, "not_found")

    assert error["details"] == []


def test_organisation_publish_through_patch_records_consent(sme_owner, sme):
    sme.is_published = False
    sme.save()

    response = bearer_client(sme_owner).patch(
        f"/api/v1/organisations/{sme.pk}", {"is_published": True}, content_type=JSON
    )

    assert response.status_code == 200
    assert response.json()["is_published"] is True
    assert sme.consent_records.filter(published=True, by=sme_owner).count() == 1


def test_organisation_publish_by_coordinator_is_403(coordinator, sme):
    sme.is_published = False
    sme.save()

    response = bearer_client(coordinator).patch(
        f"/api/v1/organisations/{sme.pk}",
        {"is_published": True, "description": "changed"},
        content_type=JSON,
    )

    assert_error(response, 403, "forbidden")
    sme.refresh_from_db()
    assert (sme.is_published, sme.description) == (False, "")  # nothing half-saved


def test_organisation_publish_by_staff_needs_consent_note(staff_user, sme):
    sme.is_published = False
    sme.save()
    client = bearer_client(staff_user)
    url = f"/api/v1/organisations/{sme.pk}"

    refused = client.patch(url, {"is_published": True}, content_type=JSON)
    accepted = client.patch(
        url, {"is_published": True, "consent_note": "Paper form, 3 May"}, content_type=JSON
    )

    assert_error(refused, 422, "validation_error")
    assert accepted.json()["is_published"] is True
    assert sme.consent_records.get().note == "Paper form, 3 May"
