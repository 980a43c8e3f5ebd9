"""A new Cambodian SME, in Khmer on a phone: signs up, adds a product whose HS code comes from
its Khmer name, and answers a buyer's sourcing request. Strings may still be English where the
Khmer catalogue is incomplete: the checks are on structure, URLs and the page's language."""

from __future__ import annotations

import re

from corridor.connections.models import Connection
from corridor.directory.models import Product
from tests import factories
from tests.browser.conftest import set_language, wait_for


def test_khmer_sme_signs_up_adds_a_product_by_its_khmer_name_and_answers_a_request(
    page, live_server, buyer_org
):
    kh = factories.CountryFactory(code="KH", name="Cambodia")
    rice = factories.HSCodeFactory(code="100630", description="Rice; semi-milled or wholly milled")
    factories.HSCodeFactory(code="100640", description="Rice; broken")
    req = factories.SourcingRequestFactory(
        buyer=buyer_org, title="Jasmine rice, 25 t a month", hs_code=rice
    )
    page.set_viewport_size({"width": 360, "height": 740})
    set_language(page, live_server, "km")

    # Sign up, with the organisation.
    page.goto("/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "km"
    page.fill("#id_username", "sreymom")
    page.fill("#id_email", "sreymom@example.com")
    page.fill("#id_password1", "Tonle-Sap-2025")
    page.fill("#id_password2", "Tonle-Sap-2025")
    page.fill("#id_org_name", "Srey Mom Rice Mill")
    page.select_option("#id_org_kind", "sme")
    page.select_option("#id_org_country", kh.code)
    page.locator("main form button").click()
    page.wait_for_url("**/start/")
    assert page.locator("html").get_attribute("lang") == "km"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # A product: the HS code suggested from its Khmer name ("rice").
    page.locator("#card-profile-completeness a[href$='/products/new/']").click()
    page.wait_for_url(re.compile(r".*/directory/o/[\w-]+/products/new/$"))
    page.fill("#id_name", "អង្ករ")
    pick = page.locator("button.hs-pick[data-code='100630']")
    # The first suggestion builds the suggester over the whole nomenclature: give it time.
    wait_for(lambda: pick.count() == 1, timeout=120)
    pick.click()
    assert page.input_value("#id_hs_code") == "100630"
    page.locator("main form.stack button:not(.hs-pick)").last.click()
    wait_for(lambda: Product.objects.filter(name="អង្ករ").exists())
    product = Product.objects.get(name="អង្ករ")
    assert product.hs_code_id == "100630"
    assert product.organisation.name == "Srey Mom Rice Mill"

    # The buyer's request waits on the start page: answer it.
    page.goto("/start/")
    answer = page.locator(f"#card-requests-to-answer a[href='/connections/answer/{req.pk}/']")
    wait_for(lambda: answer.count() == 1, timeout=60)  # the card loads after the page
    answer.click()
    page.wait_for_url(f"**/connections/answer/{req.pk}/")
    assert page.locator("html").get_attribute("lang") == "km"
    page.fill("#id_message", "យើងអាចផ្គត់ផ្គង់អង្ករ ២៥ តោនក្នុងមួយខែ")
    page.locator("main form.stack button").click()
    page.wait_for_url(f"**/directory/requests/{req.pk}/")
    assert page.locator("html").get_attribute("lang") == "km"
    assert page.locator("#answer .msg").count() == 1  # "… answered this request."
    assert page.locator("#suppliers").count() == 0  # competitors' ranking: the buyer's only
    connection = Connection.objects.get(sourcing_request=req)
    assert connection.from_org == product.organisation
    assert connection.to_org == buyer_org
    assert connection.message.startswith("យើងអាច")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
