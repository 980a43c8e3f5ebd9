"""Connections through the API: the life cycle, its denials, and contacts it reveals."""

from __future__ import annotations

from corridor.connections.models import Connection
from tests import factories
from tests.api.conftest import assert_error, bearer_client

JSON = "application/json"


def test_connection_request_accept_reveals_contacts(buyer_user, buyer_org, sme_owner, sme):
    buyer = bearer_client(buyer_user)

    asked = buyer.post(
        "/api/v1/connections",
        {"from_org_id": buyer_org.pk, "to_org_id": sme.pk, "message": "Hello"},
        content_type=JSON,
    )
    before = buyer.get(f"/api/v1/organisations/{sme.pk}").json()["email"]
    accepted = bearer_client(sme_owner).post(f"/api/v1/connections/{asked.json()['id']}/accept")
    after = buyer.get(f"/api/v1/organisations/{sme.pk}").json()["email"]

    assert asked.status_code == 201
    assert asked.json()["status"] == "requested"
    assert accepted.json()["status"] == "accepted"
    assert (before, after) == (None, "sme@example.com")


def test_connection_request_for_org_not_mine_is_403(stranger, buyer_org, sme):
    response = bearer_client(stranger).post(
        "/api/v1/connections", {"from_org_id": buyer_org.pk, "to_org_id": sme.pk}, content_type=JSON
    )

    assert_error(response, 403, "forbidden")
    assert Connection.objects.count() == 0


def test_connection_request_twice_is_409(buyer_user, buyer_org, sme):
    client = bearer_client(buyer_user)
    payload = {"from_org_id": buyer_org.pk, "to_org_id": sme.pk}
    client.post("/api/v1/connections", payload, content_type=JSON)

    response = client.post("/api/v1/connections", payload, content_type=JSON)

    assert_error(response, 409, "conflict")


def test_connection_accept_by_requester_is_403(buyer_user, buyer_org, sme):
    connection = factories.ConnectionFactory(from_org=buyer_org, to_org=sme)

    response = bearer_client(buyer_user).post(f"/api/v1/connections/{connection.pk}/accept")

    assert_error(response, 403, "forbidden")
    connection.refresh_from_db()
    assert connection.status == "requested"


def test_connection_of_others_is_not_found(stranger, buyer_org, sme):
    connection = factories.ConnectionFactory(from_org=buyer_org, to_org=sme)

    for action in ["accept", "decline", "withdraw"]:
        response = bearer_client(stranger).post(f"/api/v1/connections/{connection.pk}/{action}")
        assert_error(response, 404, "not_found")


def test_connection_decline_and_withdraw(buyer_user, buyer_org, sme_owner, sme, other_sme):
    declined = factories.ConnectionFactory(from_org=buyer_org, to_org=sme)
    pending = factories.ConnectionFactory(from_org=buyer_org, to_org=other_sme)

    decline = bearer_client(sme_owner).post(f"/api/v1/connections/{declined.pk}/decline")
    withdraw = bearer_client(buyer_user).post(f"/api/v1/connections/{pending.pk}/withdraw")
    again = bearer_client(buyer_user).post(f"/api/v1/connections/{pending.pk}/withdraw")

    assert decline.json()["status"] == "declined"
    assert withdraw.json()["status"] == "withdrawn"
    assert_error(again, 409, "conflict")


def test_connection_list_shows_own_only(buyer_user, buyer_org, sme, other_sme):
    mine = factories.ConnectionFactory(from_org=buyer_org, to_org=sme)
    factories.ConnectionFactory(from_org=sme, to_org=other_sme)

    body = bearer_client(buyer_user).get("/api/v1/connections").json()

    assert [c["id"] for c in body["items"]] == [mine.pk]
    assert body["items"][0]["to_org"] == {"id": sme.pk, "name": sme.name, "slug": sme.slug}
