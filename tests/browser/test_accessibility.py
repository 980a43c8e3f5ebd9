"""A real-browser accessibility check: axe-core (shipped by the axe-playwright-python package,
served from this machine, no CDN) on the main pages in every language: no serious or critical
violation. Contrast, names of controls, the page's language and the like are axe's rules."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from corridor.events import services as events
from corridor.events.models import Event
from tests import factories
from tests.browser.conftest import login, set_language

LANGUAGES = ["en", "vi", "th", "km", "lo", "my"]
SEVERE = {"serious", "critical"}


def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def _severe_violations(page, axe: str) -> list[str]:
    # Evaluated through the browser's devtools protocol: the page's CSP (script-src 'self')
    # stays on, as for a visitor.
    page.evaluate(axe)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]} {v['help']}"
        for v in result["violations"]
        if v["impact"] in SEVERE
    ]


def _wait_for_lazy_cards(page, timeout: float = 60) -> None:
    # The start page's slow cards arrive by htmx after the page; the CSP forbids
    # wait_for_function, so poll from Python.
    deadline = time.monotonic() + timeout
    while page.locator("[aria-busy=true]").count() and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture
def site(db, sme_owner, sme, buyer_org):
    """A little of everything the main pages show: products, a request, an event."""
    staff = factories.UserFactory(username="a11y-staff", is_staff=True)
    hs = factories.HSCodeFactory(code="691200", description="Ceramic tableware")
    sme.name, sme.local_name = "Hoa Sen Ceramics", "Gốm Hoa Sen"
    sme.description = "Hand-painted tableware from Bat Trang."
    sme.save()
    factories.ProductFactory(organisation=sme, name="Glazed mugs", hs_code=hs)
    factories.SourcingRequestFactory(buyer=buyer_org, title="Stoneware mugs", hs_code=hs)
    event = events.event_create(
        by=staff, name="Mekong SME forum", venue="Phnom Penh", time_zone="Asia/Bangkok", tables=2
    )
    events.event_set_status(event=event, by=staff, status=Event.Status.REGISTRATION_OPEN)
    return {"sme": sme}


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_have_no_serious_accessibility_violation(
    page, live_server, site, sme_owner, language
):
    axe = _axe_source()
    set_language(page, live_server, language)
    pages = ["/", "/directory/", f"/directory/o/{site['sme'].slug}/", "/accounts/login/"]
    found = {}
    for url in pages:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language
        found[url] = _severe_violations(page, axe)
    login(page, live_server, sme_owner)
    for url in ["/start/", "/events/"]:
        page.goto(url)
        _wait_for_lazy_cards(page)
        assert page.locator("html").get_attribute("lang") == language
        found[url] = _severe_violations(page, axe)
    assert {url: v for url, v in found.items() if v} == {}
