"""The events API: same permissions as the pages, refusals as 409 with the reason."""

from __future__ import annotations

from corridor.events import services
from corridor.events.models import MeetingRequest
from tests import factories
from tests.api.conftest import assert_error, bearer_client
from tests.events.conftest import meet


def test_public_list_and_detail(client, forum, staff):
    draft = services.event_create(by=staff, name="Draft forum")
    body = client.get("/api/v1/events").json()
    assert [e["slug"] for e in body["items"]] == [forum.slug]
    assert body["items"][0]["registration_open"] is True
    assert client.get(f"/api/v1/events/{draft.slug}").status_code == 404


def test_registrations_visible_to_participants_only(people, forum):
    stranger = bearer_client(factories.UserFactory(username="apistranger"))
    assert_error(stranger.get(f"/api/v1/events/{forum.slug}/registrations"), 403, "forbidden")
    me = bearer_client(people["Rice Mill"][0])
    names = [
        r["organisation"]["name"]
        for r in me.get(f"/api/v1/events/{forum.slug}/registrations").json()["items"]
    ]
    assert names == ["Buyer Co", "Pepper Farm", "Rice Mill", "Silk House"]


def test_register_own_organisation_and_refused_after_deadline(forum):
    import datetime as dt

    from django.utils import timezone

    user = factories.UserFactory(username="apiowner")
    org = factories.OrganisationFactory(name="Api Co")
    factories.MembershipFactory(user=user, organisation=org)
    c = bearer_client(user)
    other = factories.OrganisationFactory(name="Not theirs")
    assert_error(
        c.post(
            f"/api/v1/events/{forum.slug}/registrations",
            {"organisation_id": other.pk},
            content_type="application/json",
        ),
        403,
        "forbidden",
    )
    forum.registration_deadline = timezone.now() - dt.timedelta(minutes=1)
    forum.save()
    r = c.post(
        f"/api/v1/events/{forum.slug}/registrations",
        {"organisation_id": org.pk},
        content_type="application/json",
    )
    body = assert_error(r, 409, "refused")
    assert "closed on" in body["message"]


def test_request_accept_and_agenda(people, forum, staff):
    (ua, _ra), (ub, rb) = people["Rice Mill"], people["Buyer Co"]
    a, b = bearer_client(ua), bearer_client(ub)
    r = a.post(
        f"/api/v1/events/{forum.slug}/requests",
        {"to_registration_id": rb.pk, "priority": 3, "message": "hello"},
        content_type="application/json",
    )
    assert r.status_code == 201
    rid = r.json()["id"]
    assert_error(
        a.post(
            f"/api/v1/events/{forum.slug}/requests/{rid}/accept",
            {"priority": 2},
            content_type="application/json",
        ),
        409,
        "refused",
    )
    r = b.post(
        f"/api/v1/events/{forum.slug}/requests/{rid}/accept",
        {"priority": 1},
        content_type="application/json",
    )
    assert r.json()["status"] == "accepted"
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    (item,) = a.get(f"/api/v1/events/{forum.slug}/agenda").json()
    assert item["partners"] == ["Buyer Co"] and item["table"] is not None


def test_request_of_others_is_not_found(people, forum):
    meet(people["Rice Mill"], people["Buyer Co"])
    req = MeetingRequest.objects.get()
    c = bearer_client(people["Pepper Farm"][0])
    assert_error(c.post(f"/api/v1/events/{forum.slug}/requests/{req.pk}/decline"), 404, "not_found")


def _checkin(c, forum, body):
    return c.post(f"/api/v1/events/{forum.slug}/checkin", body, content_type="application/json")


def test_checkin_by_representative_and_by_code_for_organisers(people, forum, staff):
    from corridor.events import documents
    from corridor.events.models import Attendance, Representative

    user, rice = people["Rice Mill"]
    sokha = services.representative_add(registration=rice, by=staff, name="Sokha", user=user)
    dara = services.representative_add(registration=rice, by=staff, name="Dara")
    c = bearer_client(staff)

    first = _checkin(c, forum, {"representative_id": sokha.pk})

    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["representative"], body["method"], body["organisation"]) == (
        "Sokha",
        "search",
        "Rice Mill",
    )
    assert Representative.objects.get(pk=dara.pk).checked_in_at is None
    by_code = _checkin(c, forum, {"code": documents.checkin_payload(rice, dara)}).json()
    assert (by_code["representative_id"], by_code["method"]) == (dara.pk, "qr")
    assert by_code["arrived_at"] == body["arrived_at"]  # the organisation arrived once
    again = _checkin(c, forum, {"representative_id": sokha.pk}).json()
    assert again["checked_in_at"] == body["checked_in_at"]  # the first time is kept
    assert Attendance.objects.filter(registration=rice).count() == 1
    assert Representative.objects.get(pk=dara.pk).checked_in_by == staff


def test_checkin_refused_to_participants_and_unknown_codes(people, forum, staff):
    from corridor.events import documents
    from corridor.events.models import Attendance

    user, rice = people["Rice Mill"]
    buyer = people["Buyer Co"][1]
    dara = services.representative_add(registration=rice, by=staff, name="Dara")
    participant = bearer_client(user)  # registered, but not an organiser
    assert_error(_checkin(participant, forum, {"representative_id": dara.pk}), 403, "forbidden")
    assert_error(
        _checkin(participant, forum, {"code": documents.checkin_payload(rice, dara)}),
        403,
        "forbidden",
    )
    assert not Attendance.objects.exists()
    c = bearer_client(staff)
    # A person's code with another registration's token is nobody at this event.
    wrong = documents.checkin_payload(buyer).split("/")[0] + f"/{dara.pk}"
    assert_error(_checkin(c, forum, {"code": wrong}), 404, "not_found")
    assert_error(_checkin(c, forum, {"representative_id": 999999}), 404, "not_found")
    assert_error(_checkin(c, forum, {}), 422, "validation_error")
    assert not Attendance.objects.exists()
