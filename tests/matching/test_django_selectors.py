"""Matching in Django: ranked suppliers, requests for a supplier, partner clusters, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from corridor.matching import selectors
from corridor.matching.selectors import SupplierFilters
from tests import factories

pytestmark = pytest.mark.usefixtures("fresh_catalog")


def _hs(code: str, description: str = ""):
    return factories.HSCodeFactory(code=code, description=description or f"HS {code}")


def _supplier(name: str, country: str = "KH", **kwargs):
    return factories.OrganisationFactory(
        name=name, country=factories.CountryFactory(code=country), **kwargs
    )


@pytest.fixture
def rice_world(db, buyer_org):
    rice = _hs("100630", "Rice; semi-milled or wholly milled")
    silk = _hs("500200", "Raw silk")
    rice_sme = _supplier("Mekong Rice Mill", email="rice@example.com", phone="+855 11 111")
    factories.ProductFactory(
        organisation=rice_sme, name="Jasmine rice", description="Milled jasmine rice", hs_code=rice
    )
    factories.ProductFactory(
        organisation=rice_sme, name="Broken rice", description="Broken rice", hs_code=rice
    )
    factories.CertificationFactory(organisation=rice_sme, kind="organic")
    vn_rice = _supplier("Delta Rice", country="VN")
    factories.ProductFactory(
        organisation=vn_rice, name="Jasmine rice", description="Fragrant rice", hs_code=rice
    )
    silk_sme = _supplier("Silk Weavers")
    factories.ProductFactory(organisation=silk_sme, name="Raw silk", hs_code=silk)
    req = factories.SourcingRequestFactory(
        buyer=buyer_org, title="Jasmine rice", description="milled jasmine rice", hs_code=rice
    )
    return {"req": req, "rice_sme": rice_sme, "vn_rice": vn_rice, "silk_sme": silk_sme}


def test_request_suppliers_rank_the_best_product_per_organisation(rice_world, buyer_user):
    found = selectors.request_suppliers(user=buyer_user, req=rice_world["req"])
    names = [s.org.name for s in found]
    assert names[:2] == ["Mekong Rice Mill", "Delta Rice"]
    first = found[0]
    assert first.product_name == "Jasmine rice"
    assert first.others == 1
    assert first.passes is True
    assert "HS 1006.30 matches" in first.reason_texts
    assert "Silk Weavers" not in names[:2]


def test_request_suppliers_hide_unpublished_organisations_but_not_from_staff(
    rice_world, buyer_user, staff_user
):
    rice_world["vn_rice"].is_published = False
    rice_world["vn_rice"].save()
    for_buyer = [
        s.org.name for s in selectors.request_suppliers(user=buyer_user, req=rice_world["req"])
    ]
    for_staff = [
        s.org.name for s in selectors.request_suppliers(user=staff_user, req=rice_world["req"])
    ]
    assert "Delta Rice" not in for_buyer
    assert "Delta Rice" in for_staff


def test_request_suppliers_filters(rice_world, buyer_user):
    req = rice_world["req"]

    def names(**filters):
        found = selectors.request_suppliers(
            user=buyer_user, req=req, filters=SupplierFilters(**filters)
        )
        return [s.org.name for s in found]

    assert names(country="VN") == ["Delta Rice"]
    assert names(certification="organic") == ["Mekong Rice Mill"]
    assert names(min_score=2.0) == []
    req.required_certifications = ["organic"]
    req.save()
    assert names(only_passing=True) == ["Mekong Rice Mill"]
    assert "Delta Rice" in names()  # a near match without the filter


def test_request_suppliers_fail_expired_certifications(rice_world, buyer_user):
    req = rice_world["req"]
    req.required_certifications = ["organic"]
    req.save()
    rice_world["rice_sme"].certifications.update(valid_until=dt.date(2020, 1, 1))
    found = {s.org.name: s for s in selectors.request_suppliers(user=buyer_user, req=req)}
    assert found["Mekong Rice Mill"].passes is False
    assert "organic certification expired on 2020-01-01" in found["Mekong Rice Mill"].reason_texts


def test_catalog_is_reused_until_a_product_changes(rice_world):
    first = selectors.supplier_catalog()
    assert selectors.supplier_catalog() is first
    factories.ProductFactory(organisation=rice_world["silk_sme"], name="Silk scarf")
    assert selectors.supplier_catalog() is not first


def test_org_requests_rank_open_requests_for_the_organisation(rice_world, buyer_org):
    closed = factories.SourcingRequestFactory(
        buyer=buyer_org, title="Jasmine rice again", status="closed"
    )
    found = selectors.org_requests(user=None, org=rice_world["rice_sme"])
    assert [m.request.pk for m in found] == [rice_world["req"].pk]
    assert closed.pk not in [m.request.pk for m in found]
    assert found[0].product_name == "Jasmine rice"


def test_org_requests_of_a_cluster_include_its_members(rice_world, cluster):
    rice_world["rice_sme"].cluster = cluster
    rice_world["rice_sme"].save()
    found = selectors.org_requests(user=None, org=cluster)
    assert [m.request.pk for m in found] == [rice_world["req"].pk]


def test_open_requests_leave_out_unpublished_buyers(rice_world, buyer_org):
    buyer_org.is_published = False
    buyer_org.save()
    assert selectors.org_requests(user=None, org=rice_world["rice_sme"]) == []


# --- Complementary clusters -------------------------------------------------------------------


def test_complementary_clusters_same_heading_elsewhere_and_value_chain(db, coordinator, cluster):
    raw, fabric, rice = _hs("500200"), _hs("500710"), _hs("100630")
    factories.ProductFactory(organisation=cluster, name="Raw silk", hs_code=raw)
    same_kh = _supplier("Takeo silk cluster", country="KH", kind="cluster")
    factories.ProductFactory(organisation=same_kh, name="Raw silk", hs_code=raw)
    same_vn = _supplier("Bao Loc silk cluster", country="VN", kind="cluster")
    factories.ProductFactory(organisation=same_vn, name="Raw silk yarn", hs_code=raw)
    weavers = _supplier("Weaving cluster", country="KH", kind="cluster")
    member = _supplier("Weaver SME", country="KH", cluster=weavers)
    factories.ProductFactory(organisation=member, name="Silk fabric", hs_code=fabric)
    unrelated = _supplier("Rice cluster", country="VN", kind="cluster")
    factories.ProductFactory(organisation=unrelated, name="Rice", hs_code=rice)
    hidden = _supplier("Private weavers", country="LA", kind="cluster", is_published=False)
    factories.ProductFactory(organisation=hidden, name="Silk fabric", hs_code=fabric)

    partners = selectors.complementary_clusters(user=coordinator, cluster=cluster)

    assert [(p.org.name, p.kind) for p in partners] == [
        ("Bao Loc silk cluster", "same"),
        ("Weaving cluster", "downstream"),
        ("Takeo silk cluster", "nearby"),  # the same products in the same country come last
    ]
    assert partners[1].reasons == ["makes HS 5007 from your HS 5002"]


# --- Views: the request page ------------------------------------------------------------------


def test_request_supplier_page_lists_suppliers_with_reasons(client, rice_world, buyer_user):
    client.force_login(buyer_user)
    response = client.get(reverse("matching:request_suppliers", args=[rice_world["req"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mekong Rice Mill" in html
    assert "HS 1006.30 matches" in html
    assert "Ask to connect" in html


def test_request_supplier_page_filters_by_the_suppliers_countries_only(
    client, rice_world, buyer_user
):
    """The country filter offers where suppliers are (KH, VN), not every country: not Laos,
    whose only supplier is unpublished, nor Thailand, which has none."""
    factories.CountryFactory(code="TH")
    hidden = _supplier("Vientiane Rice", country="LA", is_published=False)
    factories.ProductFactory(
        organisation=hidden, name="Sticky rice", hs_code=rice_world["req"].hs_code
    )
    client.force_login(buyer_user)
    url = reverse("matching:request_suppliers", args=[rice_world["req"].pk])
    html = client.get(url).content.decode()
    assert 'value="KH"' in html and 'value="VN"' in html
    assert 'value="LA"' not in html and 'value="TH"' not in html
    names = [s.org.name for s in client.get(url, {"country": "VN"}).context["suppliers"]]
    assert names == ["Delta Rice"]
    # A country that is not offered is not a filter: the form is invalid, the list unfiltered.
    response = client.get(url, {"country": "TH"})
    assert not response.context["form"].is_valid()
    assert "Mekong Rice Mill" in response.content.decode()


def test_request_supplier_fragment_for_htmx(client, rice_world, buyer_user):
    client.force_login(buyer_user)
    response = client.get(
        reverse("matching:request_suppliers", args=[rice_world["req"].pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.startswith('<section id="suppliers"')
    assert "<html" not in html


def test_request_supplier_page_denials(client, rice_world, buyer_org, stranger):
    url = reverse("matching:request_suppliers", args=[rice_world["req"].pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(stranger)
    # The request is open to every signed-in user, its ranking (competitors' scores) is not.
    assert client.get(url).status_code == 403
    buyer_org.is_published = False
    buyer_org.save()
    assert client.get(url).status_code == 404
    buyer_org.is_published = True
    buyer_org.save()
    rice_world["req"].status = "closed"
    rice_world["req"].save()
    assert client.get(url).status_code == 404


def test_request_supplier_page_shows_contacts_only_to_connections(
    client, rice_world, buyer_user, buyer_org
):
    client.force_login(buyer_user)
    url = reverse("matching:request_suppliers", args=[rice_world["req"].pk])
    assert "rice@example.com" not in client.get(url).content.decode()
    connection = factories.ConnectionFactory(
        from_org=buyer_org, to_org=rice_world["rice_sme"], status="requested"
    )
    html = client.get(url).content.decode()
    assert "rice@example.com" not in html
    assert "Request pending" in html
    connection.status = "accepted"
    connection.save()
    html = client.get(url).content.decode()
    assert "rice@example.com" in html and "+855 11 111" in html


def test_request_supplier_page_query_count_is_constant(
    client, rice_world, buyer_user, buyer_org, django_assert_num_queries
):
    client.force_login(buyer_user)
    url = reverse("matching:request_suppliers", args=[rice_world["req"].pk])
    client.get(url)  # warm: the catalog is built once per version

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    rice = rice_world["req"].hs_code
    for n in range(6):
        org = _supplier(f"Rice farm {n}")
        factories.ProductFactory(organisation=org, name="Jasmine rice", hs_code=rice)
        factories.ConnectionFactory(from_org=buyer_org, to_org=org, status="accepted")
    client.get(url)  # rebuild for the new version
    assert count() == few
    # session, user, request, version, memberships (+clusters), countries, organisations,
    # connection states, accepted connections
    with django_assert_num_queries(few):
        client.get(url)


def test_directory_request_page_loads_the_supplier_section(client, rice_world, buyer_user):
    client.force_login(buyer_user)
    html = client.get(reverse("directory:request", args=[rice_world["req"].pk])).content.decode()
    assert reverse("matching:request_suppliers", args=[rice_world["req"].pk]) in html


# --- Views: requests for an organisation, partners --------------------------------------------


def test_org_requests_page_for_the_organisations_people(client, rice_world):
    owner = factories.UserFactory(username="riceowner")
    factories.MembershipFactory(user=owner, organisation=rice_world["rice_sme"])
    client.force_login(owner)
    response = client.get(reverse("matching:org_requests", args=[rice_world["rice_sme"].slug]))
    assert response.status_code == 200
    assert "Jasmine rice" in response.content.decode()


def test_org_requests_page_denials(client, rice_world, stranger, buyer_org):
    url = reverse("matching:org_requests", args=[rice_world["rice_sme"].slug])
    assert client.get(url).status_code == 302
    client.force_login(stranger)
    assert client.get(url).status_code == 403
    rice_world["rice_sme"].is_published = False
    rice_world["rice_sme"].save()
    assert client.get(url).status_code == 404
    assert client.get(reverse("matching:org_requests", args=[buyer_org.slug])).status_code == 404


def test_partners_page_only_for_clusters(client, cluster, sme, stranger):
    client.force_login(stranger)
    assert client.get(reverse("matching:cluster_partners", args=[cluster.slug])).status_code == 200
    assert client.get(reverse("matching:cluster_partners", args=[sme.slug])).status_code == 404


# --- Verdicts and page length (issue 10 item 6) -----------------------------------------------


def test_request_supplier_page_verdicts(client, rice_world, buyer_user):
    req = rice_world["req"]
    req.required_certifications = ["organic"]
    req.save()
    client.force_login(buyer_user)
    response = client.get(reverse("matching:request_suppliers", args=[req.pk]))
    html = response.content.decode()
    mill = html.split(f'id="supplier-{rice_world["rice_sme"].pk}"')[1].split("</h3>")[0]
    delta = html.split(f'id="supplier-{rice_world["vn_rice"].pk}"')[1].split("</h3>")[0]
    silk = html.split(f'id="supplier-{rice_world["silk_sme"].pk}"')[1].split("</h3>")[0]
    assert "meets all requirements" in mill
    assert "near match" in delta  # rice without the organic certificate
    assert "different product" in silk and "near match" not in silk


def test_request_supplier_page_shows_ten_then_more(client, db, buyer_org, buyer_user):
    rice = _hs("100630", "Rice")
    for i in range(23):
        org = _supplier(f"Rice mill {i:02d}")
        factories.ProductFactory(organisation=org, name="Jasmine rice", hs_code=rice)
    req = factories.SourcingRequestFactory(buyer=buyer_org, title="Jasmine rice", hs_code=rice)
    client.force_login(buyer_user)
    url = reverse("matching:request_suppliers", args=[req.pk])
    first = client.get(url).content.decode()
    assert first.count('class="card supplier"') == 10
    assert f'href="{url}?show=20"' in first
    second = client.get(url, {"show": "20"}).content.decode()
    assert second.count('class="card supplier"') == 20
    assert f'href="{url}?show=30"' in second
    last = client.get(url, {"show": "30"}).content.decode()
    assert last.count('class="card supplier"') == 23
    assert "Show more suppliers" not in last
