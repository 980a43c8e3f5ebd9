"""Token authentication: create, use, revoke; sessions with CSRF; the 401 error shape."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from corridor.accounts.models import ApiToken
from corridor.accounts.services import api_token_create
from tests.api.conftest import assert_error, bearer_client, session_client


def test_token_create_returns_raw_once_and_stores_hash(stranger):
    client = session_client(stranger)

    response = client.post("/api/v1/me/tokens", {"name": "laptop"}, content_type="application/json")

    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert body["token"].startswith("cor_")
    assert token.key_hash == ApiToken.hash(body["token"])
    assert token.prefix == body["token"][:12]
    listed = client.get("/api/v1/me/tokens").json()
    assert [t["name"] for t in listed] == ["laptop"]
    assert "token" not in listed[0]


def test_token_authenticates_requests(stranger):
    client = bearer_client(stranger)

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["username"] == "stranger"


def test_a_token_cannot_create_tokens(stranger):
    # Issue #8: a stolen token must not mint new tokens that outlive its revocation.
    response = bearer_client(stranger).post(
        "/api/v1/me/tokens", {"name": "ci"}, content_type="application/json"
    )
    assert_error(response, 403, "forbidden")
    assert ApiToken.objects.filter(name="ci").count() == 0


def test_token_created_with_the_session_works(stranger):
    session = Client()
    session.force_login(stranger)
    response = session.post("/api/v1/me/tokens", {"name": "ci"}, content_type="application/json")
    raw = response.json()["token"]

    me = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me")

    assert me.status_code == 200


def test_token_create_anonymous_refused(anon, db):
    response = anon.post("/api/v1/me/tokens", {"name": "x"}, content_type="application/json")

    assert_error(response, 401, "unauthorized")
    assert ApiToken.objects.count() == 0


def test_token_revoked_is_refused_with_error_shape(stranger):
    client = bearer_client(stranger)
    token = ApiToken.objects.get(user=stranger)

    revoke = client.post(f"/api/v1/me/tokens/{token.pk}/revoke")
    after = client.get("/api/v1/me")

    assert revoke.status_code == 200
    assert revoke.json()["revoked_at"] is not None
    assert_error(after, 401, "token_revoked")


def test_token_revoked_is_refused_on_public_endpoints(stranger):
    client = bearer_client(stranger)
    ApiToken.objects.filter(user=stranger).update(revoked_at=timezone.now())

    assert_error(client.get("/api/v1/clusters"), 401, "token_revoked")


def test_token_unknown_is_refused(anon, db):
    client = Client(headers={"Authorization": "Bearer cor_not-a-real-token"})

    assert_error(client.get("/api/v1/me"), 401, "invalid_token")


def test_token_of_inactive_user_is_refused(stranger):
    client = bearer_client(stranger)
    stranger.is_active = False
    stranger.save()

    assert_error(client.get("/api/v1/me"), 401, "invalid_token")


def test_token_wrong_scheme_is_refused(stranger):
    client = Client(headers={"Authorization": "Basic abc"})

    assert_error(client.get("/api/v1/clusters"), 401, "unauthorized")


def test_token_revoke_of_someone_elses_token_is_not_found(stranger, sme_owner):
    bearer_client(sme_owner)
    other = ApiToken.objects.get(user=sme_owner)

    response = bearer_client(stranger).post(f"/api/v1/me/tokens/{other.pk}/revoke")

    assert_error(response, 404, "not_found")
    other.refresh_from_db()
    assert other.revoked_at is None


def test_token_last_used_at_written_at_most_once_a_minute(stranger):
    client = bearer_client(stranger)
    token = ApiToken.objects.get(user=stranger)

    client.get("/api/v1/me")
    token.refresh_from_db()
    first = token.last_used_at
    client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/me")
    token.refresh_from_db()

    assert first is not None
    assert token.last_used_at > first - timedelta(minutes=1)


def test_session_write_without_csrf_token_is_refused(stranger):
    client = Client(enforce_csrf_checks=True)
    client.force_login(stranger)

    response = client.post("/api/v1/me/tokens", {"name": "x"}, content_type="application/json")

    assert_error(response, 403, "csrf_failed")
    assert ApiToken.objects.count() == 0


def test_session_write_with_csrf_token_is_accepted(stranger):
    client = Client(enforce_csrf_checks=True)
    client.force_login(stranger)
    client.get("/api/v1/docs")  # the docs page hands out the CSRF token
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/me/tokens",
        {"name": "x"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )

    assert response.status_code == 201


def test_token_write_needs_no_csrf(stranger):
    client = bearer_client(stranger)
    client.handler.enforce_csrf_checks = True

    # A write with a token (revoking the token's own sibling here) passes without a CSRF token.
    other, _raw = api_token_create(user=stranger, name="other")
    response = client.post(f"/api/v1/me/tokens/{other.pk}/revoke")

    assert response.status_code == 200


def test_me_lists_memberships(sme_owner, sme):
    body = bearer_client(sme_owner).get("/api/v1/me").json()

    assert body["memberships"] == [
        {"organisation_id": sme.pk, "organisation_name": sme.name, "role": "owner"}
    ]
    assert body["is_staff"] is False
