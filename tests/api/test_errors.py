"""The one error shape, for errors nobody raised on purpose too."""

from __future__ import annotations

import logging

from corridor.api import selectors
from corridor.api.throttling import anon_throttle
from tests.api.conftest import assert_error, bearer_client


def test_unexpected_error_is_500_with_shape_and_logged(anon, db, monkeypatch, caplog):
    def boom(user):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "cluster_list", boom)

    with caplog.at_level(logging.ERROR, logger="corridor.api.errors"):
        response = anon.get("/api/v1/clusters")

    error = assert_error(response, 500, "server_error")
    assert "fire" not in error["message"]
    assert "database on fire" in caplog.text


def test_validation_error_of_query_has_location(anon, db):
    response = anon.get("/api/v1/organisations", {"hs": "rice"})

    error = assert_error(response, 422, "validation_error")
    assert [d["loc"] for d in error["details"]] == [["query", "hs"]]


def test_rate_limit_is_429_with_shape(anon, stranger, monkeypatch):
    monkeypatch.setattr(anon_throttle, "num_requests", 2)
    user_client = bearer_client(stranger)

    statuses = [anon.get("/api/v1/countries").status_code for _ in range(3)]
    limited = anon.get("/api/v1/countries")
    signed_in = user_client.get("/api/v1/countries")

    assert statuses == [200, 200, 429]
    assert_error(limited, 429, "too_many_requests")
    assert int(limited["Retry-After"]) >= 1
    assert signed_in.status_code == 200  # counted on its own, per account


def test_unknown_api_path_is_404_with_shape(anon, db):
    assert_error(anon.get("/api/v1/no-such-thing/3"), 404, "not_found")
    assert_error(anon.post("/api/v1/organisations/1/nope"), 404, "not_found")
