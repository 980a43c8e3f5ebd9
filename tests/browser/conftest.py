"""Playwright fixtures for the browser journeys: one Chromium per session, a fresh page per test.

Every test in tests/browser/ is marked `browser` (run them alone with `pytest -m browser`).
They need /usr/bin/chromium (Debian's `chromium` package; `playwright install` is never used):
without it they are skipped on a developer's machine but fail when the CI variable is set,
so that CI cannot go green without having run them.

    from tests.browser.conftest import login, set_language

    def test_owner_edits_product(page, live_server, sme_owner):
        set_language(page, live_server, "vi")   # optional: English by default
        login(page, live_server, sme_owner)      # or the `log_in(user)` fixture
        page.goto("/directory/...")              # relative URLs go to the live server

A JavaScript error on a page fails the test.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.urls import reverse

CHROMIUM = Path(os.environ.get("CORRIDOR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The password tests.factories.UserFactory gives every user.
PASSWORD = "pass-Word-123"
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: apt-get install chromium (never `playwright install`)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set: browser tests may not be skipped. {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db) -> Iterator:
    """A page in a fresh context (no cookies), English, the Bangkok zone, a phone-sized window."""
    context = browser.new_context(
        locale="en-US",
        timezone_id="Asia/Bangkok",
        viewport={"width": 412, "height": 860},
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    # A JavaScript error on any page of a journey fails the test that met it.
    assert errors == [], f"JavaScript errors: {errors}"


def wait_for(check: Callable[[], object], timeout: float = 10.0) -> object:
    """Poll `check` from Python until it returns something true (its value), else fail. Not
    page.wait_for_function: it evaluates a string in the page, which the CSP refuses."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"still false after {timeout} s")


def login(page, live_server, user, password: str = PASSWORD) -> None:
    """Sign in through the real login form and wait until the site has redirected away from it."""
    login_url = live_server.url + reverse("accounts:login")
    page.goto(login_url)
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.locator("main form button").click()
    page.wait_for_url(lambda url: not url.startswith(login_url))


def set_language(page, live_server, language: str) -> None:
    """Choose the interface language as the switcher does, via Django's language cookie."""
    from django.conf import settings

    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


@pytest.fixture
def log_in(page, live_server):
    """`log_in(user)` signs the fixture's page in as that user: the fixture form of login()."""

    def _log_in(user, password: str = PASSWORD) -> None:
        login(page, live_server, user, password)

    return _log_in
