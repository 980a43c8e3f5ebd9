"""Site-wide pages: the error pages, the help pages of the footer, the favicon."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

import corridor

STATIC = Path(corridor.__file__).resolve().parent / "static" / "corridor"


@pytest.fixture(autouse=True)
def _language_restored():
    # A request in another language leaves it active in this thread (a 500 skips the usual
    # reset): give the next tests back the language they started with.
    with translation.override(translation.get_language()):
        yield


def test_page_not_found_is_styled_translated_and_not_the_debug_page(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "corridor/corridor.css" in html
    assert 'id="notfound-q"' in html  # our page (a search box), not Django's
    assert "Using the URLconf" not in html and "Traceback" not in html


def test_server_error_page_renders_without_a_request_context(client):
    def boom(request):
        raise RuntimeError("broken on purpose")

    from django.urls import path

    urlconf = type("urls", (), {"urlpatterns": [path("boom/", boom)]})
    client.raise_request_exception = False
    with override_settings(ROOT_URLCONF=urlconf):
        response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="th")
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="th">' in html
    assert "broken on purpose" not in html and "Traceback" not in html


@pytest.mark.parametrize("name", ["matching", "privacy", "terms", "contact"])
def test_help_pages_render_and_are_linked_from_every_footer(client, db, name):
    url = reverse("help", args=[name])
    assert url in client.get("/").content.decode().split("<footer", 1)[1]
    response = client.get(url)
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()


def test_help_pages_follow_the_language(client, db):
    html = client.get(reverse("help", args=["privacy"]), HTTP_ACCEPT_LANGUAGE="km").content
    assert b'<html lang="km">' in html


def test_help_unknown_page_is_not_found(client, db):
    assert client.get("/help/secrets/").status_code == 404


def test_help_contact_names_the_support_address(client, db):
    html = client.get(reverse("help", args=["contact"])).content.decode()
    assert f"mailto:{settings.SUPPORT_EMAIL}" in html


def test_favicon_is_served_and_linked(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("corridor/favicon.ico")
    assert (STATIC / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon"' in client.get("/").content.decode()
