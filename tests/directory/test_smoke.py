"""Smoke tests: the home page and a profile page render with permission checks."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Corridor" in response.content


def test_unpublished_profile_hidden_from_public(client, sme):
    sme.is_published = False
    sme.save()
    assert client.get(f"/directory/o/{sme.slug}/").status_code == 404


def test_owner_sees_unpublished_profile(client, sme, sme_owner):
    sme.is_published = False
    sme.save()
    client.force_login(sme_owner)
    assert client.get(f"/directory/o/{sme.slug}/").status_code == 200
