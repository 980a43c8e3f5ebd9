"""The reporting API: posts with an Idempotency-Key, who may read and move reports, an
association posting for unnamed SMEs, and the public list that names nobody."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from corridor.accounts.services import api_token_create
from corridor.reporting import services
from corridor.reporting.models import BottleneckReport, IdempotencyRecord
from tests.api.conftest import assert_error, bearer_client
from tests.reporting.conftest import file_report

URL = "/api/v1/reports"


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    cache.clear()
    yield
    cache.clear()


def _post(client: Client, url: str, body: dict, key: str | None = "key-1"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def _body(crossing, **extra) -> dict:
    return {
        "category": "customs",
        "description": "Held two days for a missing certificate of origin.",
        "crossing_id": crossing.pk,
        "hs_code": "1006.30",
        "delay_days": 2,
        "cost_amount": "80.00",
        "cost_currency": "USD",
        **extra,
    }


def test_post_creates_a_report(sme_owner, sme, crossing, rice):
    client = bearer_client(sme_owner)
    response = _post(client, URL, _body(crossing, organisation_id=sme.pk))
    assert response.status_code == 201, response.content
    data = response.json()
    report = BottleneckReport.objects.get()
    assert data["id"] == report.pk
    assert data["status"] == "open"
    assert data["hs_code"] == "100630"
    assert data["hs_chapter"] == "10"
    assert data["reported_for"] == {"id": sme.pk, "name": sme.name}
    assert report.source == "api"


def test_same_key_same_body_returns_the_first_answer_and_creates_nothing(sme_owner, crossing, rice):
    client = bearer_client(sme_owner)
    first = _post(client, URL, _body(crossing))
    # The same body with its keys in another order is the same body.
    reordered = dict(reversed(list(_body(crossing).items())))
    second = _post(client, URL, reordered)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert BottleneckReport.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_same_key_other_body_is_refused_with_422(sme_owner, crossing, rice):
    client = bearer_client(sme_owner)
    assert _post(client, URL, _body(crossing)).status_code == 201
    response = _post(client, URL, _body(crossing, delay_days=5))
    assert_error(response, 422, "idempotency_key_reused")
    assert BottleneckReport.objects.count() == 1


def test_keys_are_scoped_to_the_token(sme_owner, crossing, rice):
    one = bearer_client(sme_owner)
    two = bearer_client(sme_owner)  # a second token of the same person
    assert _post(one, URL, _body(crossing)).status_code == 201
    assert _post(two, URL, _body(crossing)).status_code == 201
    assert BottleneckReport.objects.count() == 2


def test_a_post_without_a_key_is_refused(sme_owner, crossing, rice):
    response = _post(bearer_client(sme_owner), URL, _body(crossing), key=None)
    assert_error(response, 400, "idempotency_key_required")
    assert BottleneckReport.objects.count() == 0


def test_a_failed_post_stores_no_answer_and_can_be_retried(sme_owner, crossing, rice):
    client = bearer_client(sme_owner)
    bad = _post(client, URL, _body(crossing, hs_code="9999"))
    assert_error(bad, 422, "validation_error")
    assert IdempotencyRecord.objects.count() == 0
    good = _post(client, URL, _body(crossing))
    assert good.status_code == 201
    assert BottleneckReport.objects.count() == 1


def test_an_expired_key_is_forgotten(sme_owner, crossing, rice):
    client = bearer_client(sme_owner)
    assert _post(client, URL, _body(crossing)).status_code == 201
    IdempotencyRecord.objects.update(created_at="2000-01-01T00:00:00Z")
    again = _post(client, URL, _body(crossing))
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert BottleneckReport.objects.count() == 2


def test_unique_constraint_on_token_and_key(sme_owner):
    from django.db import IntegrityError, transaction

    token, _raw = api_token_create(user=sme_owner, name="bot")
    IdempotencyRecord.objects.create(token=token, user=sme_owner, key="k", fingerprint="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyRecord.objects.create(token=token, user=sme_owner, key="k", fingerprint="b")


def test_posting_for_an_organisation_one_does_not_act_for_is_403(stranger, sme, crossing, rice):
    response = _post(bearer_client(stranger), URL, _body(crossing, organisation_id=sme.pk))
    assert_error(response, 403, "forbidden")
    assert BottleneckReport.objects.count() == 0


def test_anonymous_post_is_401(crossing):
    response = _post(Client(), URL, _body(crossing))
    assert_error(response, 401, "unauthorized")


def test_association_token_posts_for_an_unnamed_sme_under_its_name(
    association_user, association, crossing, rice, sme_owner, sme
):
    response = _post(
        bearer_client(association_user),
        URL,
        _body(crossing, organisation_id=association.pk, on_behalf=True),
    )
    assert response.status_code == 201, response.content
    assert response.json()["reported_for"] == {"id": association.pk, "name": association.name}
    assert response.json()["on_behalf"] is True
    # An SME cannot claim to report for an unnamed SME.
    refused = _post(
        bearer_client(sme_owner), URL, _body(crossing, organisation_id=sme.pk, on_behalf=True)
    )
    assert_error(refused, 403, "forbidden")


def test_reading_reports(report, sme_owner, stranger, staff_user, ministry, focal_user):
    assert bearer_client(sme_owner).get(f"{URL}/{report.pk}").status_code == 200
    assert_error(bearer_client(stranger).get(f"{URL}/{report.pk}"), 404, "not_found")
    # the focal point sees it once assigned, without who reported it
    assert_error(bearer_client(focal_user).get(f"{URL}/{report.pk}"), 404, "not_found")
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    seen = bearer_client(focal_user).get(f"{URL}/{report.pk}").json()
    assert seen["description"] == report.description
    assert seen["reported_for"] is None
    assert bearer_client(stranger).get(URL).json()["count"] == 0
    assert bearer_client(sme_owner).get(URL).json()["count"] == 1


def test_status_through_the_api_and_refused_transition_is_409(
    report, staff_user, ministry, focal_user, sme_owner
):
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    url = f"{URL}/{report.pk}/status"
    focal = bearer_client(focal_user)
    refused = _post(focal, url, {"status": "resolved"}, key="s1")
    assert_error(refused, 409, "transition_not_allowed")
    ok = _post(focal, url, {"status": "acknowledged", "public_note": "Seen."}, key="s2")
    assert ok.status_code == 200
    assert ok.json()["status"] == "acknowledged"
    replay = _post(focal, url, {"status": "acknowledged", "public_note": "Seen."}, key="s2")
    assert replay.json() == ok.json()
    assert report.events.filter(action="status").count() == 1
    assert_error(
        _post(bearer_client(sme_owner), url, {"status": "in_progress"}, key="s3"), 403, "forbidden"
    )


def test_assign_is_staff_only(report, ministry, sme_owner, staff_user):
    url = f"{URL}/{report.pk}/assign"
    assert_error(
        _post(bearer_client(sme_owner), url, {"focal_point_id": ministry.pk}), 403, "forbidden"
    )
    ok = _post(bearer_client(staff_user), url, {"focal_point_id": ministry.pk})
    assert ok.status_code == 200
    assert ok.json()["focal_point"] == {"id": ministry.pk, "name": ministry.name}


def test_public_api_names_nobody(sme_owner, sme, crossing, rice):
    secret = "Officer Somchai asked our driver Dara for 500 baht"
    for _ in range(3):
        file_report(sme_owner, crossing, org=sme, hs=rice, description=secret)
    response = Client().get("/api/v1/public/reports")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    text = response.content.decode()
    for leak in (secret, "Dara", sme.name, sme_owner.username, sme_owner.email):
        assert leak not in text
    assert set(body["items"][0]) == {
        "month",
        "category",
        "crossing",
        "hs_chapter",
        "status",
        "light",
        "focal_point",
        "public_note",
    }
