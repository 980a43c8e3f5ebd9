"""Check-in per representative: by name and by each person's QR code; the registration's
"arrived" follows from its first representative; only the event's organisers check people in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from corridor.events import documents, services
from corridor.events.models import Attendance, Representative


@pytest.fixture
def team(people, staff):
    """Rice Mill sends two people; the first has an account (the organisation's owner)."""
    user, rice = people["Rice Mill"]
    a = services.representative_add(registration=rice, by=staff, name="Sokha Chan", user=user)
    b = services.representative_add(registration=rice, by=staff, name="Dara Meas")
    return rice, a, b


def _post(client, forum, data):
    return client.post(reverse("events:checkin", args=[forum.slug]), data)


def test_representatives_are_checked_in_one_by_one_by_name_and_by_their_code(
    client, forum, staff, team
):
    rice, sokha, dara = team
    client.force_login(staff)
    page = client.get(reverse("events:checkin", args=[forum.slug]), {"q": "dara"})
    assert "Check in Dara Meas" in page.content.decode()
    assert "Check in Sokha Chan" in page.content.decode()  # the whole team is listed

    _post(client, forum, {"representative": sokha.pk})

    sokha.refresh_from_db()
    dara.refresh_from_db()
    assert (sokha.checkin_method, dara.checked_in_at) == ("search", None)
    assert Attendance.objects.get(registration=rice).method == "search"  # arrived: derived

    _post(client, forum, {"token": documents.checkin_payload(rice, dara)})

    dara.refresh_from_db()
    assert dara.checkin_method == "qr" and dara.checked_in_by == staff
    assert Attendance.objects.filter(registration=rice).count() == 1


def test_registration_is_not_arrived_until_a_representative_is(client, forum, staff, team):
    rice, _sokha, _dara = team
    client.force_login(staff)
    page = client.get(reverse("events:checkin", args=[forum.slug]), {"q": "rice"})
    assert "Checked in</span>" not in page.content.decode()
    assert not Attendance.objects.filter(registration=rice).exists()


def test_a_persons_code_of_another_registration_is_refused(client, forum, staff, team, people):
    _rice, sokha, _dara = team
    buyer = people["Buyer Co"][1]
    client.force_login(staff)
    forged = f"corridor-checkin/{buyer.calendar_token}/{sokha.pk}"

    r = _post(client, forum, {"token": forged})

    assert r.status_code == 302
    assert not Attendance.objects.exists()
    assert not Representative.objects.filter(checked_in_at__isnull=False).exists()


def test_second_scan_keeps_the_first_check_in(forum, staff, team):
    rice, sokha, _dara = team
    first = services.representative_check_in(representative=sokha, by=staff, method="qr")
    again = services.representative_check_in(representative=sokha, by=staff, method="search")
    assert again.checked_in_at == first.checked_in_at
    assert again.checkin_method == "qr"


def test_organisation_code_checks_in_its_only_representative(forum, staff, people):
    user, silk = people["Silk House"]
    only = services.representative_add(registration=silk, by=staff, name="Chenda")

    services.check_in(registration=silk, by=staff, method="qr")

    only.refresh_from_db()
    assert only.checkin_method == "qr"


def test_participants_cannot_check_anyone_in(client, forum, people, team):
    rice, sokha, _dara = team
    client.force_login(people["Buyer Co"][0])
    assert _post(client, forum, {"representative": sokha.pk}).status_code == 403
    with pytest.raises(services.EventError):
        services.representative_check_in(representative=sokha, by=people["Buyer Co"][0])
    sokha.refresh_from_db()
    assert sokha.checked_in_at is None


def test_agenda_code_of_a_representative_is_their_own(client, forum, team):
    rice, sokha, _dara = team
    client.force_login(sokha.user)
    svg = client.get(reverse("events:agenda_qr", args=[forum.slug])).content
    own = documents.checkin_qr_svg(rice, sokha)
    assert svg == own
    assert svg != documents.checkin_qr_svg(rice)
