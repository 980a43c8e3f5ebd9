"""The profile page: a person sets their name, language and the zone their times show in."""

from __future__ import annotations

import datetime as dt

import pytest

from corridor.events import selectors as event_selectors

pytestmark = pytest.mark.django_db


def test_profile_requires_login(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_profile_saves_the_time_zone_used_for_meeting_times(client, sme_owner):
    client.force_login(sme_owner)
    response = client.post(
        "/accounts/profile/",
        {
            "full_name": "Daw Hnin",
            "phone": "+95 9 1234",
            "language": "my",
            "time_zone": "Asia/Yangon",
        },
    )
    assert response.status_code == 302
    sme_owner.refresh_from_db()
    assert (sme_owner.full_name, sme_owner.language, sme_owner.time_zone) == (
        "Daw Hnin",
        "my",
        "Asia/Yangon",
    )
    zone = event_selectors.user_zone(sme_owner)
    noon_bangkok = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)
    assert noon_bangkok.astimezone(zone).strftime("%H:%M") == "11:30"


def test_profile_refuses_a_zone_outside_the_list(client, sme_owner):
    client.force_login(sme_owner)
    response = client.post("/accounts/profile/", {"language": "", "time_zone": "Europe/Paris"})
    assert response.status_code == 200
    assert "Europe/Paris" in response.content.decode()  # the form names the refused choice
    sme_owner.refresh_from_db()
    assert sme_owner.time_zone == ""


def test_profile_form_shows_each_person_their_own_values(client, sme_owner, buyer_user):
    buyer_user.full_name = "Somchai Buyer"
    buyer_user.save()
    client.force_login(sme_owner)
    assert "Somchai Buyer" not in client.get("/accounts/profile/").content.decode()
