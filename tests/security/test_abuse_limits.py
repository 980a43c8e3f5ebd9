"""Probe items 7 and 9: sign-in, password reset, sign-up, organisation creation and connection
requests are limited per account/person and per client address; each refusal is logged."""

from __future__ import annotations

import json
import logging

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from corridor.connections.services import ConnectionNotAllowed, connection_request
from tests import factories
from tests.api.conftest import assert_error, bearer_client

pytestmark = pytest.mark.django_db

PASSWORD = "Right-horse-battery-9"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client: Client, username: str, password: str, ip: str = "198.51.100.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_wrong_passwords_lock_the_account_even_for_the_right_password(caplog):
    user = factories.UserFactory(username="victim")
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    with caplog.at_level(logging.WARNING, logger="corridor.security"):
        for i in range(10):
            assert _login(client, "victim", f"wrong-{i}").status_code == 200
        refused = _login(client, "victim", PASSWORD)
    assert refused.status_code == 429
    assert "Too many" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    failed = [r for r in caplog.records if "event=login_failed" in r.getMessage()]
    assert len(failed) == 10
    assert (
        "username=victim" in failed[0].getMessage() and "ip=198.51.100.1" in failed[0].getMessage()
    )
    assert any(
        "event=throttled" in r.getMessage() and "limit=login_account" in r.getMessage()
        for r in caplog.records
    )
    # Another account from another address is not affected.
    other = factories.UserFactory(username="bystander")
    other.set_password(PASSWORD)
    other.save()
    assert _login(Client(), "bystander", PASSWORD, ip="203.0.113.5").status_code == 302


def test_many_accounts_tried_from_one_address_lock_that_address():
    for i in range(30):
        _login(Client(), f"user{i}", "nope", ip="192.0.2.9")
    user = factories.UserFactory(username="real")
    user.set_password(PASSWORD)
    user.save()
    assert _login(Client(), "real", PASSWORD, ip="192.0.2.9").status_code == 429
    assert _login(Client(), "real", PASSWORD, ip="192.0.2.10").status_code == 302


def test_spoofed_forwarded_for_does_not_reset_the_login_counter():
    factories.UserFactory(username="victim2")
    for i in range(10):
        Client().post(
            "/accounts/login/",
            {"username": "victim2", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"10.9.9.{i}",
        )
    r = Client().post("/accounts/login/", {"username": "victim2", "password": "x"})
    assert r.status_code == 429


def test_password_reset_sends_at_most_three_emails_to_one_address(
    django_capture_on_commit_callbacks,
):
    factories.UserFactory(username="forgetful", email="forgetful@example.com")
    with django_capture_on_commit_callbacks(execute=True):  # the emails are queued after commit
        codes = [
            Client()
            .post("/accounts/password/reset/", {"email": "forgetful@example.com"})
            .status_code
            for _ in range(20)
        ]
    # Identical reset links made within one second are also deduplicated by the queue.
    assert 1 <= len(mail.outbox) <= 3
    assert codes[:3] == [302, 302, 302] and set(codes[3:]) == {429}


def test_sign_ups_from_one_client_are_limited():
    codes = []
    for i in range(8):
        r = Client().post(
            "/accounts/signup/",
            {
                "username": f"newcomer{i}",
                "email": f"newcomer{i}@example.com",
                "full_name": f"New Comer {i}",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        codes.append(r.status_code)
    assert codes.count(302) == 5, codes
    assert codes[5:] == [429, 429, 429]


def test_organisation_creation_through_the_api_is_limited_per_person(country_vn):
    user = factories.UserFactory()
    client = bearer_client(user)
    codes = []
    for i in range(7):
        r = client.post(
            "/api/v1/organisations",
            json.dumps({"kind": "sme", "name": f"Outreach {i}", "country": "VN"}),
            content_type="application/json",
        )
        codes.append(r.status_code)
    assert codes[:5] == [201] * 5
    assert_error(r, 429, "too_many_requests")


def test_connection_cap_counts_per_person_across_organisations(settings):
    settings.CORRIDOR = {**settings.CORRIDOR, "CONNECTION_REQUESTS_PER_DAY": 3}
    user = factories.UserFactory()
    mine = [factories.OrganisationFactory(kind="sme") for _ in range(2)]
    for org in mine:
        factories.MembershipFactory(user=user, organisation=org, role="owner")
    targets = [factories.OrganisationFactory(kind="buyer") for _ in range(6)]
    sent = 0
    for org in mine:
        for target in targets[:3]:
            try:
                connection_request(from_org=org, to_org=target, by=user, message="hello")
                sent += 1
            except ConnectionNotAllowed:
                pass
    assert sent == 3
