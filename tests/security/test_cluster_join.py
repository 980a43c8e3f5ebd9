"""Probe item 5: nobody joins a cluster alone; a join request is approved by its coordinator."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from corridor.directory.models import ClusterJoinRequest, Organisation
from tests import factories
from tests.api.conftest import assert_error, bearer_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(db):
    org = factories.OrganisationFactory(kind="buyer", name="Hotel group")
    user = factories.UserFactory(username="buyerowner")
    factories.MembershipFactory(user=user, organisation=org, role="owner")
    return org, user


def _patch(client, url, body, **headers):
    return client.patch(url, json.dumps(body), content_type="application/json", headers=headers)


def test_api_patch_cannot_put_an_organisation_into_a_cluster(buyer, cluster, coordinator):
    org, user = buyer
    r = _patch(bearer_client(user), f"/api/v1/organisations/{org.pk}", {"cluster_id": cluster.pk})
    assert_error(r, 403, "forbidden")
    assert Organisation.objects.get(pk=org.pk).cluster_id is None


def test_api_create_cannot_put_the_new_organisation_into_a_cluster(cluster, country_vn):
    user = factories.UserFactory()
    r = bearer_client(user).post(
        "/api/v1/organisations",
        json.dumps({"kind": "sme", "name": "Sneaky", "country": "VN", "cluster_id": cluster.pk}),
        content_type="application/json",
    )
    assert_error(r, 403, "forbidden")
    assert not Organisation.objects.filter(name="Sneaky").exists()


def test_edit_form_offers_no_cluster_and_ignores_a_posted_one(buyer, cluster, coordinator):
    org, user = buyer
    client = Client()
    client.force_login(user)
    page = client.get(f"/directory/o/{org.slug}/edit/").content.decode()
    assert 'name="cluster"' not in page
    form = client.get(f"/directory/o/{org.slug}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update({"name": org.name, "country": org.country_id, "cluster": cluster.pk})
    client.post(f"/directory/o/{org.slug}/edit/", data)
    assert Organisation.objects.get(pk=org.pk).cluster_id is None


def test_coordinator_may_still_set_its_own_cluster(coordinator, cluster, sme):
    other = factories.OrganisationFactory(kind="cluster")
    sme_no_cluster = factories.OrganisationFactory(kind="sme")
    factories.MembershipFactory(user=coordinator, organisation=sme_no_cluster, role="owner")
    client = bearer_client(coordinator)
    url = f"/api/v1/organisations/{sme_no_cluster.pk}"
    assert _patch(client, url, {"cluster_id": cluster.pk}).status_code == 200
    assert_error(_patch(client, url, {"cluster_id": other.pk}), 403, "forbidden")


def test_join_request_is_approved_by_the_coordinator_only(buyer, cluster, coordinator):
    org, user = buyer
    cluster.is_published = True
    cluster.save()
    client = Client()
    client.force_login(user)
    page = client.get(f"/directory/o/{cluster.slug}/").content.decode()
    assert "Ask to join" in page
    r = client.post(f"/directory/o/{cluster.slug}/join/", {"organisation": org.pk, "message": "hi"})
    assert r.status_code == 302
    join = ClusterJoinRequest.objects.get(organisation=org, cluster=cluster)
    assert join.status == "requested"
    assert Organisation.objects.get(pk=org.pk).cluster_id is None
    # The requester cannot approve it, nor can a stranger.
    assert client.post(f"/directory/cluster-join/{join.pk}/approve/").status_code == 403
    stranger = Client()
    stranger.force_login(factories.UserFactory())
    assert stranger.post(f"/directory/cluster-join/{join.pk}/approve/").status_code == 403
    # The coordinator sees it on the cluster's page and approves.
    boss = Client()
    boss.force_login(coordinator)
    assert "Requests to join" in boss.get(f"/directory/o/{cluster.slug}/").content.decode()
    assert boss.post(f"/directory/cluster-join/{join.pk}/approve/").status_code == 302
    assert Organisation.objects.get(pk=org.pk).cluster_id == cluster.pk
    assert ClusterJoinRequest.objects.get(pk=join.pk).status == "approved"


def test_join_request_through_the_api_and_decline(buyer, cluster, coordinator):
    org, user = buyer
    cluster.is_published = True
    cluster.save()
    r = bearer_client(user).post(
        f"/api/v1/clusters/{cluster.pk}/join-requests",
        json.dumps({"organisation_id": org.pk}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    join_id = r.json()["id"]
    assert_error(
        bearer_client(user).post(f"/api/v1/cluster-join-requests/{join_id}/approve"),
        403,
        "forbidden",
    )
    pending = bearer_client(coordinator).get(f"/api/v1/clusters/{cluster.pk}/join-requests")
    assert [p["id"] for p in pending.json()] == [join_id]
    d = bearer_client(coordinator).post(f"/api/v1/cluster-join-requests/{join_id}/decline")
    assert d.status_code == 200 and d.json()["status"] == "declined"
    assert Organisation.objects.get(pk=org.pk).cluster_id is None
