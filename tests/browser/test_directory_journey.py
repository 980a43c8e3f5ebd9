"""The directory journey of an SME member: log in, edit a product, search in Vietnamese and Thai."""

from __future__ import annotations

from corridor.directory.models import Product
from corridor.directory.search import reindex_organisations
from tests import factories
from tests.browser.conftest import login


def _seed():
    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    th = factories.CountryFactory(code="TH", name="Thailand")
    ceramics = factories.OrganisationFactory(
        kind="sme",
        name="Gốm Bát Tràng Minh Hải",
        country=vn,
        description="Gốm sứ thủ công từ làng Bát Tràng, Hà Nội",
    )
    rice = factories.OrganisationFactory(
        kind="sme",
        name="Surin Organic Rice Group",
        local_name="กลุ่มข้าวหอมมะลิอินทรีย์สุรินทร์",
        country=th,
        description="ข้าวหอมมะลิอินทรีย์ปลูกในจังหวัดสุรินทร์",
    )
    product = factories.ProductFactory(organisation=ceramics, name="Blue glazed vase")
    reindex_organisations([ceramics.id, rice.id])
    return ceramics, rice, product


def test_sme_member_edits_product_and_searches_in_vietnamese_and_thai(page, live_server):
    ceramics, rice, product = _seed()
    owner = factories.UserFactory(username="minhhai")
    factories.MembershipFactory(user=owner, organisation=ceramics, role="owner")

    login(page, live_server, owner)
    page.goto(f"/directory/products/{product.pk}/edit/")
    page.fill("#id_name", "Blue glazed tea set")
    page.fill("#id_capacity_amount", "500")
    page.select_option("#id_capacity_unit", "pieces")
    page.locator("main form button", has_text="Save").click()
    page.wait_for_url(f"**/directory/o/{ceramics.slug}/**")
    assert page.locator("#products").get_by_text("Blue glazed tea set").is_visible()
    product.refresh_from_db()
    assert (product.name, product.capacity_unit) == ("Blue glazed tea set", "pieces")

    # Vietnamese typed without diacritics finds the name written with them.
    page.goto("/directory/?q=bat+trang")
    results = page.locator("#results")
    assert results.get_by_text("Gốm Bát Tràng Minh Hải").is_visible()
    assert results.get_by_text("Surin Organic Rice Group").count() == 0

    # Thai has no spaces between words: a shorter phrase inside a longer run still matches.
    page.goto("/directory/")
    page.fill("#q", "ข้าวอินทรีย์")
    page.locator("form.search button").first.click()
    page.wait_for_url("**q=*")
    assert page.locator("#results").get_by_text("Surin Organic Rice Group").is_visible()
    assert page.locator("#results").get_by_text("Gốm Bát Tràng Minh Hải").count() == 0
    assert Product.objects.get(pk=product.pk).organisation_id == ceramics.id
