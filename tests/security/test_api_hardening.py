"""Probe items 4, 6, 8 and 11 against the API: each test replays the attack of the probe."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from corridor.api import writes
from corridor.directory.models import Organisation
from tests import factories
from tests.api.conftest import assert_error, bearer_client

pytestmark = pytest.mark.django_db


def _patch(client, url, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.patch(url, data, content_type="application/json", headers=headers)


# --- 4: the address is a contact detail ------------------------------------------------------


def test_anonymous_and_unconnected_callers_do_not_see_the_address(sme, sme_owner, other_sme):
    Organisation.objects.filter(pk=sme.pk).update(address="12 Hidden Lane", is_published=True)
    url = f"/api/v1/organisations/{sme.pk}"
    assert Client().get(url).json()["address"] is None
    stranger = factories.UserFactory()
    factories.MembershipFactory(user=stranger, organisation=other_sme, role="owner")
    assert bearer_client(stranger).get(url).json()["address"] is None
    items = Client().get("/api/v1/organisations?limit=100").json()["items"]
    assert items and all(not i["address"] for i in items)
    # The organisation's own people still see it (as on the profile page).
    assert bearer_client(sme_owner).get(url).json()["address"] == "12 Hidden Lane"


# --- 11: no server errors ----------------------------------------------------------------------


def test_huge_offset_is_a_validation_error_not_a_500():
    r = Client().get("/api/v1/organisations?offset=9223372036854775808")
    assert_error(r, 422, "validation_error")


def test_body_over_the_limit_is_413_in_the_error_shape(sme, sme_owner):
    body = '{"description": "' + "x" * (11 * 1024 * 1024) + '"}'
    r = _patch(bearer_client(sme_owner), f"/api/v1/organisations/{sme.pk}", body)
    assert_error(r, 413, "too_large")


def test_lone_surrogate_is_refused_with_400_and_nothing_changes(sme, sme_owner):
    before = Organisation.objects.get(pk=sme.pk).description
    r = _patch(
        bearer_client(sme_owner), f"/api/v1/organisations/{sme.pk}", '{"description":"\\ud800"}'
    )
    error = assert_error(r, 400, "bad_request")
    assert "surrogate" in error["message"]
    assert Organisation.objects.get(pk=sme.pk).description == before


def test_control_characters_are_stripped_from_api_text(sme, sme_owner):
    r = _patch(
        bearer_client(sme_owner), f"/api/v1/organisations/{sme.pk}", {"name": "Hoa\u0000Sen\x01"}
    )
    assert r.status_code == 200, r.content
    assert Organisation.objects.get(pk=sme.pk).name == "HoaSen"


def test_matching_export_with_a_bad_top_is_not_a_500(staff_user):
    client = Client()
    client.force_login(staff_user)
    r = client.get("/matching/export.xlsx?top=abc")
    assert r.status_code == 200
    assert r.content[:2] == b"PK"


# --- 8: X-Forwarded-For is not trusted unless proxies are configured ---------------------------


def _flood(path: str, xff_values, settings) -> list[int]:
    return [Client().get(path, headers={"X-Forwarded-For": x}).status_code for x in xff_values]


def test_a_new_x_forwarded_for_per_request_does_not_escape_the_throttle(settings):
    settings.NINJA_NUM_PROXIES = 0
    codes = _flood("/api/v1/clusters?limit=1", ["203.0.113.7"] * 125, settings)
    assert 429 in codes
    rotated = _flood("/api/v1/clusters?limit=1", [f"198.51.100.{i}" for i in range(20)], settings)
    assert set(rotated) == {429}


def test_with_one_trusted_proxy_the_address_it_saw_is_the_client(settings, rf):
    from corridor.core.ratelimit import client_ip

    settings.NINJA_NUM_PROXIES = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "198.51.100.9"  # the client's own "6.6.6.6" is ignored
    settings.NINJA_NUM_PROXIES = 0
    assert client_ip(request) == "10.0.0.1"


# --- 6: If-Match is atomic with the write --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_patches_with_the_same_etag_only_one_wins(monkeypatch):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("an in-memory SQLite test database has table locks, not the file's write lock")
    cluster = factories.OrganisationFactory(kind="cluster")
    sme = factories.OrganisationFactory(kind="sme", cluster=cluster)
    owner = factories.UserFactory()
    factories.MembershipFactory(user=owner, organisation=sme, role="owner")
    url = f"/api/v1/organisations/{sme.pk}"
    clients = [bearer_client(owner), bearer_client(owner)]
    tag = clients[0].get(url).headers["ETag"]

    original = writes.organisation_update

    def slow_update(**kwargs):
        time.sleep(0.4)  # widen the window between the check and the write
        return original(**kwargs)

    monkeypatch.setattr(writes, "organisation_update", slow_update)
    barrier = threading.Barrier(2)
    results: list[int] = [0, 0]

    def writer(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            r = _patch(clients[i], url, {"description": f"writer {i}"}, if_match=tag)
            results[i] = r.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [200, 412], results
    winner = results.index(200)
    assert Organisation.objects.get(pk=sme.pk).description == f"writer {winner}"


# --- 5: structured security events ---------------------------------------------------------------


def test_refused_permissions_and_throttled_calls_are_logged(caplog, sme, settings):
    settings.NINJA_NUM_PROXIES = 0
    Organisation.objects.filter(pk=sme.pk).update(is_published=True)
    stranger = factories.UserFactory()
    with caplog.at_level("WARNING", logger="corridor.security"):
        r = _patch(bearer_client(stranger), f"/api/v1/organisations/{sme.pk}", {"name": "x"})
        codes = [Client().get("/api/v1/clusters?limit=1").status_code for _ in range(125)]
    assert r.status_code == 403 and 429 in codes
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "corridor.security"]
    throttled = [x for x in lines if x.startswith("event=throttled")]
    assert (
        throttled and "limit=api_anon" in throttled[0] and "path=/api/v1/clusters" in throttled[0]
    )
    assert all(rec.security["event"] for rec in caplog.records if rec.name == "corridor.security")
    assert any(
        x.startswith("event=permission_denied") and f"user={stranger.pk}" in x for x in lines
    )
