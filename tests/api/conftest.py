"""Fixtures of the API tests: tokens and clients that send them."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from corridor.accounts.services import api_token_create


def bearer_client(user) -> Client:
    """A client that authenticates with a fresh personal token of `user`."""
    _token, raw = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def session_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_error(response, status: int, code: str) -> dict:
    """The response is an error of the one API shape, with this status and code."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anon() -> Client:
    return Client()


@pytest.fixture
def as_user():
    """as_user(user) -> a client authenticated by a bearer token of `user`."""
    return bearer_client
