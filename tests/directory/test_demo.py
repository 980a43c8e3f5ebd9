"""The demo directory and `corridor load_demo`: content, idempotency, logins, search."""

from __future__ import annotations

import re
import unicodedata
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from corridor.accounts import permissions
from corridor.accounts.models import Membership, User
from corridor.directory import selectors
from corridor.directory.demo import PASSWORD, demo_data, load_demo
from corridor.directory.models import Certification, HSCode, Organisation, Product, SourcingRequest

pytestmark = pytest.mark.django_db

SCRIPTS = {
    "KH": re.compile("[\u1780-\u17ff]"),
    "LA": re.compile("[\u0e80-\u0eff]"),
    "MM": re.compile("[\u1000-\u109f]"),
}


def _has_vietnamese_marks(text: str) -> bool:
    return "đ" in text.lower() or unicodedata.normalize("NFD", text) != text


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for the module, inside a transaction rolled back at the end."""
    from django.conf import settings

    fast = {
        "CORRIDOR": {**settings.CORRIDOR, "EMBEDDER": "hash"},
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    }
    with django_db_blocker.unblock(), override_settings(**fast), transaction.atomic():
        out = StringIO()
        counts = load_demo(stdout=out)
        yield counts
        transaction.set_rollback(True)


def test_demo_has_sixteen_clusters_of_three_to_six_members(demo):
    clusters = Organisation.objects.filter(kind="cluster", slug__startswith="demo-")
    assert clusters.count() == 16
    assert demo["clusters"] == 16
    for cluster in clusters:
        assert 3 <= cluster.members.count() <= 6, cluster.slug
        assert cluster.province.is_current, cluster.slug
        assert cluster.members.exclude(province__is_current=True).count() == 0


def test_demo_local_names_are_in_the_local_script(demo):
    orgs = Organisation.objects.filter(kind__in=["cluster", "sme"], slug__startswith="demo-")
    for org in orgs.select_related("country"):
        for text in (org.local_name, org.local_description):
            if org.country_id == "VN":
                assert _has_vietnamese_marks(text), org.slug
            else:
                assert SCRIPTS[org.country_id].search(text), org.slug
    assert set(orgs.values_list("country_id", flat=True)) == {"KH", "LA", "MM", "VN"}


def test_demo_products_have_existing_six_digit_hs_codes(demo):
    products = Product.objects.filter(organisation__slug__startswith="demo-")
    assert products.count() == demo["products"] > 60
    assert products.filter(hs_code__isnull=True).count() == 0
    codes = set(products.values_list("hs_code_id", flat=True))
    assert HSCode.objects.filter(code__in=codes, level=6).count() == len(codes)
    for org in Organisation.objects.filter(kind="sme", slug__startswith="demo-"):
        assert 1 <= org.products.count() <= 3, org.slug


def test_demo_product_descriptions_are_25_to_50_words(demo):
    for p in Product.objects.filter(organisation__slug__startswith="demo-"):
        if p.description.isascii():
            assert 25 <= len(p.description.split()) <= 50, p.name


def test_demo_has_an_expired_certificate_that_no_longer_counts(demo):
    today = timezone.localdate()
    expired = Certification.objects.filter(valid_until__lt=today)
    assert expired.count() >= 1
    oral = Organisation.objects.get(slug="demo-oral-mango-growers")
    assert [c.is_valid for c in oral.certifications.all()] == [False]
    results = selectors.search_organisations(AnonymousUser(), "", {"cert": ["gap"]})
    names = {o.slug for o in results.organisations}
    assert "demo-kirirom-packing-house" in names
    assert "demo-oral-mango-growers" not in names


def test_demo_buyers_each_have_a_request_with_a_future_deadline(demo):
    buyers = Organisation.objects.filter(kind="buyer", slug__startswith="demo-")
    assert 10 <= buyers.count() <= 14
    for buyer in buyers:
        assert buyer.sourcing_requests.count() >= 1, buyer.slug
    requests = SourcingRequest.objects.filter(buyer__in=buyers)
    today = timezone.localdate()
    assert requests.filter(deadline__lte=today).count() == 0
    assert requests.filter(status="closed").count() == 1
    assert requests.filter(hs_code__isnull=True).count() == 0
    assert 4 <= Organisation.objects.filter(kind="support", slug__startswith="demo-").count() <= 6


def test_demo_users_sign_in_with_the_demo_password(demo, client):
    for username in ("admin", "coordinator", "sme", "buyer"):
        assert client.login(username=username, password=PASSWORD), username
        client.logout()
    assert not client.login(username="sme", password="wrong-password")


def test_demo_users_have_their_roles(demo):
    admin = User.objects.get(username="admin")
    coordinator = User.objects.get(username="coordinator")
    sme = User.objects.get(username="sme")
    buyer = User.objects.get(username="buyer")
    bat_trang = Organisation.objects.get(slug="demo-bat-trang-ceramic-cluster")
    hoa_sen = Organisation.objects.get(slug="demo-hoa-sen-bat-trang-ceramics")
    siam = Organisation.objects.get(slug="demo-siam-organic-foods")
    other = Organisation.objects.get(slug="demo-van-phuc-silk-weaving")

    assert admin.is_programme_staff and admin.is_superuser
    assert bat_trang.coordinator == coordinator
    assert coordinator.memberships.get(organisation=bat_trang).role == Membership.Role.COORDINATOR
    assert permissions.can_edit_org(coordinator, hoa_sen)
    assert permissions.can_edit_org(sme, hoa_sen)
    assert permissions.can_delete_org(sme, hoa_sen)
    assert permissions.can_edit_org(buyer, siam)
    # Denials: nobody but staff reaches beyond their own organisations.
    assert not coordinator.is_programme_staff
    assert not permissions.can_edit_org(coordinator, other)
    assert not permissions.can_edit_org(sme, bat_trang.members.exclude(pk=hoa_sen.pk).first())
    assert not permissions.can_delete_org(buyer, siam)
    assert not permissions.can_edit_org(buyer, hoa_sen)
    assert hoa_sen.is_claimed


def test_load_demo_twice_creates_nothing_new(demo):
    User.objects.filter(username="sme").update(password="changed")
    again = load_demo()
    assert again == {**demo, "created": 0}
    assert demo["created"] > 200
    assert User.objects.get(username="sme").password == "changed"


def test_demo_search_finds_bat_trang_and_local_scripts(demo):
    def slugs(query):
        results = selectors.search_organisations(AnonymousUser(), query)
        return {o.slug for o in results.organisations}

    assert "demo-bat-trang-ceramic-cluster" in slugs("bat trang")
    assert "demo-hoa-sen-bat-trang-ceramics" in slugs("Bát Tràng")
    assert "demo-siam-organic-foods" in slugs("ข้าวอินทรีย์")
    assert "demo-battambang-organic-rice-cluster" in slugs("អង្ករសរីរាង្គ")
    assert "demo-mandalay-sagaing-mango-cluster" in slugs("သရက်သီး")
    assert "demo-houaphanh-silk-cluster" in slugs("ຜ້າໄໝ")
    # Unpublished profiles stay out of public search.
    assert "demo-takeo-organic-rice-growers" not in slugs("organic rice")


def test_demo_vectors_are_stored_for_matching(demo):
    assert (
        Product.objects.filter(organisation__slug__startswith="demo-", embedding=None).count() == 0
    )
    assert (
        SourcingRequest.objects.filter(buyer__slug__startswith="demo-", embedding=None).count() == 0
    )


def test_load_demo_command_prints_the_login_box(demo):
    out = StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert f"Sign in with password: {PASSWORD}" in text
    for username in ("admin", "coordinator", "sme", "buyer"):
        assert f"|   {username} " in text
    assert "0 records created" in text


def test_demo_data_slugs_are_unique_and_marked():
    data = demo_data()
    slugs = [c["slug"] for c in data["clusters"]]
    slugs += [m["slug"] for c in data["clusters"] for m in c["members"]]
    slugs += [o["slug"] for o in data["buyers"] + data["support"]]
    assert len(slugs) == len(set(slugs))
    assert all(s.startswith("demo-") for s in slugs)
    emails = [o["email"] for c in data["clusters"] for o in [c, *c["members"]] if o.get("email")]
    emails += [o["email"] for o in data["buyers"] + data["support"]]
    assert all(e.endswith(".example.com") or e.endswith("@example.com") for e in emails)


def test_demo_loader_places_organisations_in_the_successor_of_a_merged_province(demo):
    from corridor.directory.demo import _Loader

    loader = _Loader(timezone.localdate())
    assert loader.province("VN-24").code == "VN-25"  # Quảng Bình merged into Quảng Trị (2025)
    assert loader.province("VN-HN").code == "VN-HN"


@pytest.mark.parametrize("username", ["admin", "coordinator", "sme", "buyer", None])
def test_every_demo_page_renders_for_each_role(demo, client, username):
    """Every profile and matching page of the demo, as each demo user and as a visitor: real
    data through the real templates (local scripts, expired certificates, closed requests)."""
    if username:
        client.force_login(User.objects.get(username=username))
    urls = ["/", "/directory/", "/directory/?kind=cluster", "/directory/?q=gốm"]
    for org in Organisation.objects.filter(slug__startswith="demo-"):
        urls.append(f"/directory/o/{org.slug}/")
        if org.kind == "cluster":
            urls.append(f"/matching/org/{org.slug}/partners/")
        if org.kind in ("sme", "cluster"):
            urls.append(f"/matching/org/{org.slug}/requests/")
    urls += [f"/matching/requests/{r.pk}/" for r in SourcingRequest.objects.all()]
    statuses = {}
    for url in urls:
        status = client.get(url).status_code
        statuses[status] = statuses.get(status, 0) + 1
        # Visitors and other roles may be refused or redirected to log in; nothing may fail.
        assert status in (200, 302, 403, 404), (url, status)
    assert statuses[200] > len(urls) // 3, statuses
