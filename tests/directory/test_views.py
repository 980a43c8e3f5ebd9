"""Directory pages: search, profiles, places, forms, and who may do what on them."""

import gzip
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from corridor.directory.models import Organisation, Product
from corridor.directory.search import reindex_organisations
from tests import factories

pytestmark = pytest.mark.django_db


def _reindex():
    reindex_organisations(Organisation.objects.values_list("id", flat=True))


def test_search_page_lists_results_with_facets(client, sme, other_sme):
    _reindex()
    response = client.get("/directory/")
    assert response.status_code == 200
    html = response.content.decode()
    assert sme.name in html
    assert "Type of organisation" in html
    assert 'href="?kind=sme"' in html


def test_search_page_htmx_returns_results_fragment(client, sme):
    _reindex()
    response = client.get("/directory/", {"q": sme.name}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert sme.name.encode() in response.content


def test_search_page_first_page_is_light(client):
    country = factories.CountryFactory(code="TH", name="Thailand")
    for i in range(30):
        org = factories.OrganisationFactory(
            name=f"บริษัท ข้าวหอมมะลิ จำกัด {i}", country=country, description="ข้าว" * 50
        )
        for j in range(5):
            factories.ProductFactory(organisation=org, name=f"ข้าวหอมมะลิอินทรีย์ {j}")
        factories.CertificationFactory(organisation=org, kind="gap")
    _reindex()
    response = client.get("/directory/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    body = response.content
    raw = gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body
    assert raw.count(b'class="card"') == 20
    assert len(body) < 200_000
    assert len(raw) < 200_000


def test_search_page_loads_only_fonts_of_its_scripts(client):
    factories.OrganisationFactory(name="Thai rice", local_name="ข้าว")
    _reindex()
    html = client.get("/directory/").content.decode()
    assert "thai.woff2" in html
    assert "khmer.woff2" not in html


def test_search_page_query_count_constant(client, django_assert_num_queries, sme_owner):
    from django.core.cache import cache

    for i in range(3):
        org = factories.OrganisationFactory(name=f"Org {i}")
        factories.ProductFactory(organisation=org)
    _reindex()
    client.force_login(sme_owner)
    client.get("/directory/")  # warm the session and the user
    cache.clear()
    # session, user, memberships, clusters, generation, text search (total, page ids, facets),
    # the page's rows, products, certificates, the header's unread notifications; on
    # PostgreSQL the plan estimate read before a search of several tiers (`_probe_step`)
    planned = int(connection.vendor == "postgresql")
    with django_assert_num_queries(10 + planned):
        client.get("/directory/?q=org")
    for i in range(10):
        org = factories.OrganisationFactory(name=f"Org x{i}")
        factories.ProductFactory(organisation=org)
        factories.CertificationFactory(organisation=org)
    _reindex()
    cache.clear()
    with django_assert_num_queries(10 + planned):
        client.get("/directory/?q=org")


def test_search_pagination_links(client):
    for i in range(25):
        factories.OrganisationFactory(name=f"Org {i:02d}")
    _reindex()
    first = client.get("/directory/").content.decode()
    assert "page=2" in first
    second = client.get("/directory/?page=2").content.decode()
    assert "Org 24" in second
    assert "Org 00" not in second


def test_profile_of_sme_shows_products_certifications_and_expired(client, sme):
    factories.ProductFactory(organisation=sme, name="Celadon vase", markets=["JP"])
    factories.CertificationFactory(organisation=sme, kind="organic")
    yesterday = timezone.localdate() - timedelta(days=1)
    factories.CertificationFactory(organisation=sme, kind="haccp", valid_until=yesterday)
    html = client.get(f"/directory/o/{sme.slug}/").content.decode()
    assert "Celadon vase" in html
    assert "<s>HACCP</s> expired" in html
    assert "Last updated" in html
    assert "Japan" in html  # markets by name, in the active language


def test_profile_shows_verified_badge(client, sme, staff_user):
    sme.verified_at = timezone.now()
    sme.save()
    assert "✓ Verified" in client.get(f"/directory/o/{sme.slug}/").content.decode()


def test_profile_of_cluster_lists_members_and_products(client, cluster, sme):
    factories.ProductFactory(organisation=sme, name="Glazed bowl")
    html = client.get(f"/directory/o/{cluster.slug}/").content.decode()
    assert sme.name in html
    assert "Glazed bowl" in html


def test_profile_of_buyer_lists_open_requests_to_signed_in_users(client, buyer_org, stranger):
    factories.SourcingRequestFactory(buyer=buyer_org, title="Cashew 10 t")
    factories.SourcingRequestFactory(buyer=buyer_org, title="Old pepper", status="closed")
    assert "Cashew 10 t" not in client.get(f"/directory/o/{buyer_org.slug}/").content.decode()
    client.force_login(stranger)
    html = client.get(f"/directory/o/{buyer_org.slug}/").content.decode()
    assert "Cashew 10 t" in html
    assert "Old pepper" not in html


def test_profile_query_count_constant(client, django_assert_num_queries, cluster):
    for i in range(2):
        m = factories.OrganisationFactory(name=f"Member {i}", cluster=cluster)
        factories.ProductFactory(organisation=m)
    client.get(f"/directory/o/{cluster.slug}/")
    # 6 of the directory's own, and 1 for the training section (the cluster's milestones).
    with django_assert_num_queries(7):
        client.get(f"/directory/o/{cluster.slug}/")
    for i in range(5):
        m = factories.OrganisationFactory(name=f"Member x{i}", cluster=cluster)
        factories.ProductFactory(organisation=m)
        factories.CertificationFactory(organisation=m)
    with django_assert_num_queries(7):
        client.get(f"/directory/o/{cluster.slug}/")


def test_places_country_and_provinces_with_counts(client):
    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    hn = factories.ProvinceFactory(code="VN-HN", country=vn, name="Ha Noi")
    factories.ProvinceFactory(code="VN-CT", country=vn, name="Can Tho")
    factories.OrganisationFactory(country=vn, province=hn)
    factories.OrganisationFactory(country=vn, province=hn)
    factories.OrganisationFactory(country=vn, is_published=False)
    html = client.get("/directory/places/").content.decode()
    assert "Viet Nam</a>" in html
    assert "(2)" in html
    html = client.get("/directory/places/VN/").content.decode()
    assert "Ha Noi</a>" in html
    assert "(2)" in html
    assert "Can Tho <span" in html or "Can Tho" in html


def test_hs_options_autocomplete(client):
    factories.HSCodeFactory(code="0902", description="Tea, whether or not flavoured")
    factories.HSCodeFactory(code="090230", description="Black tea")
    html = client.get("/directory/hs-options/?hs_code=0902").content.decode()
    assert html.count("<option") == 2
    html = client.get("/directory/hs-options/?hs_code=black tea").content.decode()
    assert "090230" not in html and "0902.30 Black tea" in html


def test_product_form_has_hs_hooks(client, sme, sme_owner):
    client.force_login(sme_owner)
    html = client.get(f"/directory/o/{sme.slug}/products/new/").content.decode()
    assert '<div id="hs-suggestions"></div>' in html
    assert 'list="hs-options"' in html


def test_owner_creates_product_through_form_and_search_finds_it(client, sme, sme_owner):
    factories.HSCodeFactory(code="691200", description="Ceramic tableware")
    client.force_login(sme_owner)
    response = client.post(
        f"/directory/o/{sme.slug}/products/new/",
        {
            "name": "Blue glazed teapot",
            "hs_code": "6912.00 Ceramic tableware",
            "currency": "USD",
            "capacity_period": "month",
            "markets": "jp, kr",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get(name="Blue glazed teapot")
    assert product.hs_code_id == "691200"
    assert product.markets == ["JP", "KR"]
    html = client.get("/directory/?q=teapot").content.decode()
    assert sme.name in html


def test_product_form_rejects_unknown_hs_code(client, sme, sme_owner):
    client.force_login(sme_owner)
    response = client.post(
        f"/directory/o/{sme.slug}/products/new/",
        {"name": "X", "hs_code": "999999", "currency": "USD", "capacity_period": "month"},
    )
    assert response.status_code == 200
    assert "Unknown HS code: 999999." in response.content.decode()


def test_signed_in_user_registers_organisation_they_own(client, stranger):
    factories.CountryFactory(code="KH")
    client.force_login(stranger)
    response = client.post(
        "/directory/new/",
        {"kind": "sme", "name": "Kampot Pepper Farm", "country": "KH", "is_published": "on"},
    )
    assert response.status_code == 302
    org = Organisation.objects.get(name="Kampot Pepper Farm")
    assert org.is_published is True
    assert org.memberships.get().user == stranger
    assert "Kampot Pepper Farm" in client.get("/directory/?q=pepper").content.decode()


def test_coordinator_adds_member_sme_unowned(client, cluster, coordinator):
    client.force_login(coordinator)
    response = client.post(
        "/directory/new/",
        {"kind": "sme", "name": "New member", "country": cluster.country_id, "cluster": cluster.pk},
    )
    assert response.status_code == 302
    org = Organisation.objects.get(name="New member")
    assert org.cluster == cluster
    assert org.memberships.count() == 0
    assert org.is_published is False
    assert client.get(f"/directory/o/{org.slug}/edit/").status_code == 200


def test_edit_updates_search(client, sme, sme_owner):
    client.force_login(sme_owner)
    response = client.post(
        f"/directory/o/{sme.slug}/edit/",
        {"name": "Renamed Lacquerware", "country": sme.country_id},
    )
    assert response.status_code == 302
    assert "Renamed Lacquerware" in client.get("/directory/?q=lacquer").content.decode()


def test_search_htmx_fragment_refreshes_the_form_filters(client, sme):
    _reindex()
    response = client.get("/directory/", {"kind": "sme"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert '<div id="filter-inputs" hx-swap-oob="true">' in html
    assert '<input type="hidden" name="kind" value="sme">' in html


def test_profile_says_when_staff_see_no_contact_details(client, staff_user):
    bare = factories.OrganisationFactory(email="", phone="", address="")
    full = factories.OrganisationFactory(email="sales@example.com", phone="", address="")
    client.force_login(staff_user)
    assert "No contact details listed yet." in client.get(f"/directory/o/{bare.slug}/").text
    page = client.get(f"/directory/o/{full.slug}/").text
    assert "No contact details listed yet." not in page
    assert "sales@example.com" in page


def test_places_show_corridors_crossings_and_former_provinces(client, django_assert_num_queries):
    from corridor.directory.models import BorderCrossing, EconomicCorridor

    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    kh = factories.CountryFactory(code="KH", name="Cambodia")
    tay_ninh = factories.ProvinceFactory(code="VN-37", country=vn, name="Tây Ninh")
    factories.ProvinceFactory(
        code="VN-41", country=vn, name="Long An", is_current=False, successor=tay_ninh
    )
    svay = factories.ProvinceFactory(code="KH-20", country=kh, name="Svay Rieng")
    sec = EconomicCorridor.objects.create(slug="sec", name="Southern Economic Corridor")
    sec.provinces.set([tay_ninh, svay])
    EconomicCorridor.objects.create(slug="empty", name="A corridor without members")
    BorderCrossing.objects.create(
        name="Moc Bai–Bavet", province_a=tay_ninh, province_b=svay, mode="road"
    )
    factories.OrganisationFactory(country=vn, province=tay_ninh)
    factories.OrganisationFactory(country=kh, province=svay)
    factories.OrganisationFactory(country=kh, province=svay, is_published=False)
    # countries, corridors with counts, corridors, crossings
    with django_assert_num_queries(4):
        html = client.get("/directory/places/").text
    assert 'corridor=sec">Southern Economic Corridor</a> <span class="muted">(2)</span>' in html
    assert "2 provinces" in html
    assert 'A corridor without members</a> <span class="muted">(0)</span>' in html
    assert "<strong>Moc Bai–Bavet</strong>" in html and "Svay Rieng</a> (Cambodia)" in html
    html = client.get("/directory/places/VN/").text
    assert "Former provinces" in html
    assert "Long An →" in html and 'province=VN-37">Tây Ninh</a>' in html
    assert "Former provinces" not in client.get("/directory/places/KH/").text


def test_claim_link_only_for_outsiders_of_an_unclaimed_published_profile(client, stranger):
    from corridor.accounts.models import Membership

    org = factories.OrganisationFactory(is_claimed=False, is_published=True)
    member = factories.UserFactory()
    Membership.objects.create(user=member, organisation=org, role="member")
    url = f"/directory/o/{org.slug}/"
    assert "Claim it" not in client.get(url).text  # visitors must sign in first
    client.force_login(member)
    assert "Claim it" not in client.get(url).text  # already one of its people
    client.force_login(stranger)
    assert "Claim it" in client.get(url).text
    org.is_claimed = True
    org.save()
    assert "Claim it" not in client.get(url).text
