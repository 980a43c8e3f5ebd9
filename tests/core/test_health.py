"""/healthz checks the database, the cache and the task queue; a database that is down is a 503."""

from __future__ import annotations

import pytest
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.test import Client
from huey import RedisHuey
from huey.contrib import djhuey

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def database_down(tmp_path):
    """The default connection replaced by one to a database file that cannot be opened."""
    original = connections["default"]
    down = DatabaseWrapper(
        {**original.settings_dict, "NAME": str(tmp_path / "missing" / "db.sqlite3")}, "default"
    )
    connections["default"] = down
    yield
    connections["default"] = original
    down.close()


def test_healthz_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "tasks": "ok"},
    }


def test_healthz_task_queue_unreachable(client, db, monkeypatch):
    monkeypatch.setattr(djhuey, "HUEY", RedisHuey("corridor-test", url=CLOSED_PORT_REDIS))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "cache": "ok",
        "tasks": "error: ConnectionError",
    }


def test_healthz_cache_unreachable(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT_REDIS,
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "error: ConnectionError"


def test_healthz_database_down_is_503(client, db, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: OperationalError"


def test_page_with_database_down_is_503(client, db, database_down):
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Briefly unavailable" in response.content.decode()


def test_api_with_database_down_is_json_503(client, db, database_down):
    response = client.get("/api/v1/clusters")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("unavailable", [])


def test_database_back_serves_again(client, db, tmp_path):
    original = connections["default"]
    down = DatabaseWrapper(
        {**original.settings_dict, "NAME": str(tmp_path / "missing" / "db.sqlite3")}, "default"
    )
    connections["default"] = down
    try:
        assert client.get("/").status_code == 503
    finally:
        connections["default"] = original
        down.close()
    assert client.get("/").status_code == 200


def test_signed_in_page_with_database_down_is_503(staff_user, tmp_path):
    """The session and the user are read by middlewares, before any view: still a 503."""
    # As a server does: an exception outside a view becomes a response, it is not re-raised.
    client = Client(raise_request_exception=False)
    client.force_login(staff_user)
    original = connections["default"]
    down = DatabaseWrapper(
        {**original.settings_dict, "NAME": str(tmp_path / "missing" / "db.sqlite3")}, "default"
    )
    connections["default"] = down
    try:
        response = client.get("/directory/")
    finally:
        connections["default"] = original
        down.close()
    assert response.status_code == 503
    assert client.get("/directory/").status_code == 200
