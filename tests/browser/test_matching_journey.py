"""Matching journeys: a buyer finds ranked suppliers and connects; HS codes suggested in a form."""

from __future__ import annotations

import re

from corridor.matching import selectors
from tests import factories
from tests.browser.conftest import login


def _seed():
    selectors.forget_catalog()
    rice = factories.HSCodeFactory(code="100630")
    buyer_org = factories.OrganisationFactory(kind="buyer", name="Bangkok Fine Foods")
    buyer = factories.UserFactory(username="buyer")
    factories.MembershipFactory(user=buyer, organisation=buyer_org)
    supplier_org = factories.OrganisationFactory(
        name="Mekong Rice Mill", email="sales@mekongrice.example", phone="+855 23 999 111"
    )
    supplier = factories.UserFactory(username="ricemill")
    factories.MembershipFactory(user=supplier, organisation=supplier_org)
    factories.ProductFactory(
        organisation=supplier_org,
        name="Jasmine rice",
        description="Milled jasmine rice, 25 kg bags",
        hs_code=rice,
    )
    other = factories.OrganisationFactory(name="Silk Weavers")
    factories.ProductFactory(organisation=other, name="Silk scarf", description="Woven silk")
    req = factories.SourcingRequestFactory(
        buyer=buyer_org, title="Jasmine rice", description="milled jasmine rice", hs_code=rice
    )
    return buyer, supplier, supplier_org, req


def test_buyer_sees_ranked_suppliers_connects_and_gets_contacts_after_acceptance(page, live_server):
    buyer, supplier, supplier_org, req = _seed()

    login(page, live_server, buyer)
    page.goto(f"/directory/requests/{req.pk}/")
    card = page.locator(f"#supplier-{supplier_org.pk}")
    card.wait_for()
    assert page.locator("#suppliers .supplier").first.get_by_text("Mekong Rice Mill").is_visible()
    assert card.get_by_text("HS 1006.30 matches").is_visible()
    assert card.get_by_text(re.compile(r"Score \d+%")).is_visible()
    assert "sales@mekongrice.example" not in page.content()
    assert "+855 23 999 111" not in page.content()

    card.get_by_text("Ask to connect").click()
    card.locator("textarea").fill("We buy 20 t of jasmine rice a month.")
    card.get_by_role("button", name="Send request").click()
    card.get_by_text("Request pending").wait_for()
    assert "sales@mekongrice.example" not in page.content()

    # The supplier signs in and accepts on their account page.
    page.context.clear_cookies()
    login(page, live_server, supplier)
    page.goto("/accounts/")
    page.get_by_role("button", name="Accept").first.click()
    page.wait_for_load_state()

    # Only now does the buyer see the supplier's contact details.
    page.context.clear_cookies()
    login(page, live_server, buyer)
    page.goto(f"/directory/requests/{req.pk}/")
    card = page.locator(f"#supplier-{supplier_org.pk}")
    card.get_by_text("sales@mekongrice.example").wait_for()
    assert card.get_by_text("+855 23 999 111").is_visible()
    assert card.get_by_text("Connected").is_visible()


def test_hs_suggestions_fill_the_product_form(page, live_server):
    sme = factories.OrganisationFactory(name="Surin Rice Group")
    owner = factories.UserFactory(username="surin")
    factories.MembershipFactory(user=owner, organisation=sme)

    login(page, live_server, owner)
    page.goto(f"/directory/o/{sme.slug}/products/new/")
    page.locator("#id_name").press_sequentially("organic jasmine rice", delay=20)
    pick = page.locator("#hs-suggestions button.hs-pick[data-code^='1006']").first
    pick.wait_for(timeout=20_000)  # the first suggestion loads the HS table in the server
    code = pick.get_attribute("data-code")
    pick.click()
    assert page.input_value("#id_hs_code") == code
    assert re.fullmatch(r"1006\d\d", code)


def test_twenty_suppliers_fit_a_phone_page_with_show_more(page, live_server):
    # Twenty full cards made a phone page 9,100 px tall (issue 10 item 6).
    selectors.forget_catalog()
    rice = factories.HSCodeFactory(code="100630")
    buyer_org = factories.OrganisationFactory(kind="buyer", name="Bangkok Fine Foods")
    buyer = factories.UserFactory(username="buyer")
    factories.MembershipFactory(user=buyer, organisation=buyer_org)
    for i in range(20):
        org = factories.OrganisationFactory(name=f"Rice mill {i:02d}")
        factories.ProductFactory(
            organisation=org,
            name="Jasmine rice",
            description="Milled jasmine rice, broken under 5 percent, in 25 kg bags",
            hs_code=rice,
        )
    req = factories.SourcingRequestFactory(
        buyer=buyer_org,
        title="Jasmine rice",
        description="milled jasmine rice, 25 kg bags",
        hs_code=rice,
        required_certifications=["organic"],
        destination=factories.CountryFactory(code="JP"),
    )
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, buyer)
    page.goto(f"/matching/requests/{req.pk}/")
    assert page.locator("#suppliers .supplier").count() == 10
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4500, height
    page.get_by_text("Show more suppliers").click()
    page.locator("#suppliers .supplier").nth(19).wait_for()
    assert page.locator("#suppliers .supplier").count() == 20
    assert page.get_by_text("Show more suppliers").count() == 0
