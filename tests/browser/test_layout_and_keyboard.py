"""Rough edges a phone or a keyboard meets: pages as wide as the screen, tap targets of 24 px,
readable link-buttons, a visible skip link, a language list that waits for the keyboard."""

from __future__ import annotations

import time

import pytest

from corridor.accounts.services import api_token_create
from tests import factories
from tests.browser.conftest import login

PHONE = {"width": 360, "height": 740}

# The contrast ratio (WCAG) of an element's text against what is drawn behind it: its own
# background, else the first opaque one among the elements under its centre (so that a link
# positioned over the green header is measured against the header, not its parent).
CONTRAST = """el => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const opaque = c => c.length < 4 || c[3] > 0;
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let bg = rgb(getComputedStyle(el).backgroundColor);
  if (!opaque(bg)) {
    const r = el.getBoundingClientRect();
    const under = document.elementsFromPoint(r.x + r.width / 2, r.y + r.height / 2)
      .filter(n => n !== el && !el.contains(n))
      .map(n => rgb(getComputedStyle(n).backgroundColor)).filter(opaque);
    bg = under[0] || [255, 255, 255];
  }
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _small_targets(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'a[href], button, input:not([type=hidden]), select, textarea')]
            .filter(e => { const r = e.getBoundingClientRect();
                           return r.width > 0 && r.height > 0 && (r.height < 24 || r.width < 24); })
            .map(e => `${e.tagName} ${(e.innerText || e.name || '').slice(0, 30)}`)"""
    )


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def test_signup_fits_a_360_px_phone(phone, live_server):
    for code in ("KH", "LA", "MM", "TH", "VN"):
        factories.CountryFactory(code=code, name=f"Country {code} with a long official name")
    phone.goto("/accounts/signup/")
    assert _page_width(phone) <= PHONE["width"]
    assert _small_targets(phone) == []


def test_account_pages_fit_a_phone_and_their_link_buttons_are_readable(
    phone, live_server, sme, sme_owner, other_sme
):
    factories.ConnectionFactory(from_org=sme, to_org=other_sme, requested_by=sme_owner)
    api_token_create(user=sme_owner, name="ERP synchronisation with the warehouse")
    login(phone, live_server, sme_owner)
    phone.goto("/accounts/")
    assert _page_width(phone) <= PHONE["width"]
    withdraw = phone.get_by_role("button", name="Withdraw")
    assert withdraw.evaluate(CONTRAST) >= 4.5  # was white on white
    phone.goto("/accounts/tokens/")
    assert _page_width(phone) <= PHONE["width"]
    revoke = phone.get_by_role("button", name="Revoke")
    revoke.scroll_into_view_if_needed()
    box = revoke.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # not off-screen
    assert revoke.evaluate(CONTRAST) >= 4.5


def test_directory_tap_targets_are_at_least_24_px(phone, live_server, cluster):
    for i in range(12):
        org = factories.OrganisationFactory(name=f"Mekong enterprise {i}", cluster=cluster)
        factories.ProductFactory(organisation=org)
    from corridor.directory.models import Organisation
    from corridor.directory.search import reindex_organisations

    reindex_organisations(Organisation.objects.values_list("id", flat=True))
    phone.goto("/directory/")
    assert phone.locator(".card").count() >= 10
    assert _page_width(phone) <= PHONE["width"]
    assert _small_targets(phone) == []


def test_focused_skip_link_is_visible_and_readable(page, live_server):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("el => el === document.activeElement")
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["width"] > 40
    assert skip.evaluate(CONTRAST) >= 4.5  # was green on the green header


def test_language_list_waits_for_enter_or_go_when_used_from_the_keyboard(page, live_server):
    page.goto("/")
    go = page.locator("[data-autosubmit-go]")
    assert go.is_hidden()  # a mouse or a tap picks and goes
    page.evaluate("window.stillHere = true")
    page.locator("#lang-select").focus()
    page.keyboard.press("ArrowDown")
    time.sleep(1)  # a reload would have happened by now
    assert page.evaluate("window.stillHere === true")
    assert page.locator("html").get_attribute("lang") == "en"
    assert go.is_visible()
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    page.wait_for_selector("html[lang=vi]")  # the option after English


def test_favicon_is_served(page, live_server):
    response = page.goto("/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
