"""Pages cost a constant number of queries, whatever the number of rows."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from corridor.training import services
from tests import factories


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add(session, staff_user, n, start=0):
    for i in range(start, start + n):
        org = factories.OrganisationFactory(kind="sme")
        services.attendance_add(
            session=session, person=services.Person(f"Person {i}", org.pk), by=staff_user
        )


def test_session_page_and_profile_queries_do_not_grow(client, staff_user, session, module, cluster):
    client.force_login(staff_user)
    _add(session, staff_user, 2)
    services.milestone_add(
        cluster=cluster, kind="formed", date=datetime.date(2020, 1, 1), by=staff_user
    )
    session_url = reverse("training:session", args=[session.pk])
    profile_url = reverse("directory:organisation", args=[cluster.slug])
    list_url = reverse("training:programmes")
    before = [_count(client, u) for u in (session_url, profile_url, list_url)]
    _add(session, staff_user, 5, start=10)
    for kind in ("coordinator", "consortium", "brand"):
        services.milestone_add(
            cluster=cluster, kind=kind, date=datetime.date(2021, 1, 1), by=staff_user
        )
    services.programme_create(
        name="Second",
        funder="",
        starts_on=datetime.date(2024, 1, 1),
        ends_on=datetime.date(2024, 2, 1),
        by=staff_user,
    )
    after = [_count(client, u) for u in (session_url, profile_url, list_url)]
    assert after == before
