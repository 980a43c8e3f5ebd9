"""Content-Security-Policy: the main pages run under a policy without 'unsafe-inline', and the
browser reports no violation on any of them (an inline script, style or handler would)."""

from __future__ import annotations

from tests import factories
from tests.browser.conftest import login

VIOLATIONS_JS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def _visit(page, path: str, console: list[str]) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
    page.wait_for_load_state("networkidle")
    return [f"{path}: {v}" for v in page.evaluate("window.__csp || []")] + [
        f"{path}: {m}" for m in console
    ]


def test_main_pages_have_no_csp_violation(page, live_server, sme, sme_owner, staff_user):
    # A Thai name makes the profile page carry the web-font <style> the policy allows by hash.
    sme.name = "วิสาหกิจชุมชนข้าวหอมมะลิ"
    sme.is_published = True
    sme.save()
    factories.ProductFactory(organisation=sme, name="Jasmine rice")
    page.add_init_script(VIOLATIONS_JS)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    problems: list[str] = []
    for path in (
        "/",
        "/directory/",
        f"/directory/o/{sme.slug}/",
        "/accounts/login/",
        "/accounts/signup/",
    ):
        problems += _visit(page, path, console)
        console.clear()
    # The language switcher still works without its inline handler.
    page.goto("/")
    page.select_option("#lang-select", "vi")
    page.wait_for_selector("html[lang=vi]")
    page.context.clear_cookies()
    login(page, live_server, sme_owner)
    for path in (
        "/accounts/",
        f"/directory/o/{sme.slug}/edit/",
        f"/directory/o/{sme.slug}/products/new/",
        f"/directory/o/{sme.slug}/certifications/new/",
        "/connections/",
    ):
        problems += _visit(page, path, console)
        console.clear()
    # The time-zone cookie is still set, now by the static script.
    assert any(c["name"] == "tz" for c in page.context.cookies())
    assert problems == []
