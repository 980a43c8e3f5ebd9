"""Concurrent retries of one post (a bot that times out and sends again at once): one report,
every caller gets the first answer. Real threads, real database transactions.

On PostgreSQL only: SQLite's in-memory test database shares its cache between threads and
answers "table is locked" at once instead of waiting as a database file does. The file case
(WAL, IMMEDIATE transactions) is checked by `bench/reporting.py --only api --url sqlite:///…`
(see docs/reporting.md)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from corridor.accounts.services import api_token_create
from corridor.reporting.models import BottleneckReport, IdempotencyRecord
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_simultaneous_posts_with_one_key_make_one_report():
    if connection.vendor != "postgresql":
        pytest.skip("needs a database that waits on locks (PostgreSQL); see the module doc")
    from django.core.cache import cache
    from django.test import Client

    from corridor.directory.models import BorderCrossing

    cache.clear()
    a = factories.ProvinceFactory(code="VN-37", country__code="VN")
    b = factories.ProvinceFactory(code="KH-20", country__code="KH")
    crossing = BorderCrossing.objects.create(name="Moc Bai–Bavet", province_a=a, province_b=b)
    user = factories.UserFactory(username="bot")
    _token, raw = api_token_create(user=user, name="bot")
    body = json.dumps(
        {"category": "customs", "description": "Held two days.", "crossing_id": crossing.pk}
    )
    answers: list[tuple[int, dict]] = []
    start = threading.Barrier(6)

    def post() -> None:
        client = Client(headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "same"})
        start.wait()
        try:
            response = client.post("/api/v1/reports", body, content_type="application/json")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in answers] == [201] * 6
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1
    assert BottleneckReport.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
