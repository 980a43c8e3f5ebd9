"""Browser smoke tests: static files load, the language switcher works, script fonts load."""

from __future__ import annotations

from tests import factories
from tests.browser.conftest import login, set_language


def _record_responses(page) -> dict[str, int]:
    statuses: dict[str, int] = {}
    page.on("response", lambda response: statuses.__setitem__(response.url, response.status))
    return statuses


def test_home_page_loads_its_stylesheet_and_script(page, live_server):
    statuses = _record_responses(page)
    page.goto("/")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Sell across the Mekong corridor"
    assert statuses[live_server.url + "/static/corridor/corridor.css"] == 200
    assert statuses[live_server.url + "/static/django_htmx/htmx-2.min.js"] == 200
    assert page.evaluate("typeof htmx") == "object"
    assert not [url for url in statuses if url.endswith(".woff2")]


def test_language_switcher_changes_the_page_to_vietnamese(page, live_server):
    page.goto("/")
    page.select_option("#lang-select", "vi")
    page.wait_for_selector("html[lang=vi]")
    assert page.locator("h1").inner_text() == "Bán hàng khắp hành lang Mê Kông"
    assert page.locator("#lang-select option:checked").inner_text() == "Tiếng Việt"
    page.goto("/")  # the choice is remembered (language cookie)
    assert page.locator("html").get_attribute("lang") == "vi"


def test_thai_profile_page_loads_the_thai_font_only(page, live_server):
    org = factories.OrganisationFactory(name="วิสาหกิจชุมชนข้าวหอมมะลิ", slug="surin-rice")
    statuses = _record_responses(page)
    page.goto(f"/directory/o/{org.slug}/")
    page.wait_for_load_state("networkidle")
    fonts = {url.rsplit("/", 1)[-1]: status for url, status in statuses.items() if ".woff2" in url}
    assert fonts == {"thai.woff2": 200}
    assert page.evaluate("document.fonts.check('16px \"Noto Sans Thai\"', 'ข้าว')") is True


def test_login_helper_signs_in_through_the_form(page, live_server, sme_owner):
    login(page, live_server, sme_owner)
    assert page.get_by_role("button", name="Log out").count() == 1


def test_browser_reports_its_time_zone_in_a_cookie(page, live_server):
    page.goto("/")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["tz"] == "Asia/Bangkok"


def test_set_language_helper_serves_thai(page, live_server):
    set_language(page, live_server, "th")
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "th"
    assert page.get_by_role("link", name="เข้าสู่ระบบ").count() == 1
