"""The agenda and the staff schedule page cost a constant number of queries."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from corridor.events import services
from tests import factories
from tests.events.conftest import make_participant


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _forum_with(forum, staff, buyer, n: int) -> None:
    for i in range(n):
        _, reg = make_participant(forum, f"Seller {len(forum.registrations.all())}-{i}")
        factories.ProductFactory(organisation=reg.organisation, name=f"Product {i}")
        services.meeting_add(event=forum, by=staff, registrations=[buyer, reg])


def test_agenda_and_schedule_pages_do_not_grow_with_meetings(client, forum, staff):
    user, buyer = make_participant(forum, "Buyer Co", "buyer")
    _forum_with(forum, staff, buyer, 2)
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    client.force_login(user)
    agenda_small = _count(client, reverse("events:agenda", args=[forum.slug]))
    client.force_login(staff)
    schedule_small = _count(client, reverse("events:schedule", args=[forum.slug]))

    forum.refresh_from_db()
    forum.scheduling_started_at = None
    forum.save()
    _forum_with(forum, staff, buyer, 5)
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    client.force_login(user)
    agenda_big = _count(client, reverse("events:agenda", args=[forum.slug]))
    client.force_login(staff)
    schedule_big = _count(client, reverse("events:schedule", args=[forum.slug]))

    assert agenda_big == agenda_small
    assert schedule_big == schedule_small
    assert agenda_small <= 15
    assert schedule_small <= 20
