"""Search of the directory: every script of the region, facets, pagination, query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from corridor.directory import search, selectors
from corridor.directory.search import parse_query, reindex_organisations, term
from tests import factories

pytestmark = pytest.mark.django_db
# The plan estimate PostgreSQL reads before a search with several tiers (`search._probe_step`).
PLANNED = int(connection.vendor == "postgresql")


def _org(name="Enterprise", **kwargs):
    org = factories.OrganisationFactory(name=name, **kwargs)
    reindex_organisations([org.pk])
    return org


def _names(query="", user=None, **filters):
    from django.contrib.auth.models import AnonymousUser

    results = selectors.search_organisations(user or AnonymousUser(), query, filters)
    return [o.name for o in results.organisations]


def test_term_keeps_ascii_and_encodes_other_scripts():
    assert term("rice") == "rice"
    assert term("ข้าว").startswith("x")
    assert len(term("ข้าว")) == 13


def test_search_vietnamese_without_diacritics_finds_diacritics():
    _org("Gốm Bát Tràng")
    _org("Other")
    assert _names("Bat Trang") == ["Gốm Bát Tràng"]
    assert _names("bát tràng") == ["Gốm Bát Tràng"]


def test_search_vietnamese_d_with_stroke():
    _org("Hợp tác xã Đồng Tháp")
    assert _names("dong thap") == ["Hợp tác xã Đồng Tháp"]
    assert _names("Đồng Tháp") == ["Hợp tác xã Đồng Tháp"]


def test_search_prefix_of_last_latin_word():
    _org("Lotus Ceramics")
    _org("Lotus Rice")
    assert _names("ceram") == ["Lotus Ceramics"]
    assert _names("lotus ceram") == ["Lotus Ceramics"]


def test_search_all_words_must_match():
    _org("Mekong Rice Mill")
    _org("Mekong Coffee")
    assert _names("mekong rice") == ["Mekong Rice Mill"]


def test_search_thai_compound_query_finds_longer_text():
    _org("Organic jasmine", local_name="ข้าวหอมมะลิอินทรีย์")
    _org("Fish sauce", local_name="น้ำปลา")
    assert _names("ข้าวอินทรีย์") == ["Organic jasmine"]
    assert _names("หอมมะลิ") == ["Organic jasmine"]


def test_search_khmer():
    _org("Kampot pepper", local_name="ម្រេចកំពត")
    _org("Silk", local_name="សូត្រ")
    assert _names("ម្រេច") == ["Kampot pepper"]


def test_search_lao():
    _org("Coffee co", local_name="ກາເຟບໍລະເວນ")
    _org("Silk co", local_name="ຜ້າໄໝ")
    assert _names("ກາເຟ") == ["Coffee co"]


def test_search_burmese_unicode_and_zawgyi_queries():
    _org("Rice trader", local_name="မြန်မာ ဆန်")
    _org("Tea", local_name="လက်ဖက်")
    assert _names("မြန်မာ") == ["Rice trader"]
    # "မြန်မာ" typed in Zawgyi.
    assert _names("ျမန္မာ") == ["Rice trader"]


def test_search_burmese_zawgyi_document_found_by_unicode_query():
    _org("Zawgyi profile", local_name="ျမန္မာ ဆန္")
    assert _names("မြန်မာ") == ["Zawgyi profile"]


def test_search_finds_products_and_ranks_name_first():
    a = _org("Alpha trading")
    factories.ProductFactory(organisation=a, name="Cashew nuts")
    reindex_organisations([a.pk])
    _org("Cashew House")
    assert _names("cashew") == ["Cashew House", "Alpha trading"]


def test_expanded_query_ranks_names_in_any_language_in_a_tier_of_their_own():
    # "xoài" (Vietnamese) finds mangoes through the glossary: organisations named for mangoes
    # in any language come before those whose description only mentions them.
    # The tier before the last is the user's words or the whole query in the names: only
    # those are ranked for the first pages (ranking is most of the cost of a broad search).
    for i in range(12):
        _org(f"Org {i}")
    _org("Fruit traders", description="mango")
    _org("Mango grove")
    assert _names("xoài") == ["Mango grove", "Fruit traders"]
    tiers = parse_query("xoài").tiers()
    assert tiers[-2].or_names is not None and tiers[-2].or_names.names
    assert tiers[-2].or_names.clauses == tiers[-1].clauses


def test_search_lists_every_name_match_before_description_matches():
    # BM25 alone ranks a short description repeating the word above the word once in a very
    # long name (its length discounts it); the name tier puts every name match first.
    for i in range(12):
        _org(f"Org {i}")
    _org("Weavers", description="silk silk silk silk silk silk")
    long_name = "Silk " + " ".join("abcdefghijklmnopqrstuvwxyz0123456789")  # 37 words
    _org(long_name)
    assert _names("silk") == [long_name, "Weavers"]
    tiers = parse_query("silk").tiers()
    assert tiers[0].names and not tiers[1].names
    assert tiers[0].clauses == tiers[1].clauses


def test_search_ignores_inactive_products():
    a = _org("Alpha")
    factories.ProductFactory(organisation=a, name="Durian", is_active=False)
    reindex_organisations([a.pk])
    assert _names("durian") == []


def test_search_hides_unpublished_from_public_but_not_staff(staff_user):
    _org("Hidden Rice", is_published=False)
    assert _names("rice") == []
    assert _names("rice", user=staff_user) == ["Hidden Rice"]


def test_parse_query_empty():
    assert not parse_query("")
    assert not parse_query("  , ")


def _world():
    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    kh = factories.CountryFactory(code="KH", name="Cambodia")
    hn = factories.ProvinceFactory(code="VN-HN", country=vn, name="Ha Noi")
    tea = factories.HSCodeFactory(code="090230", description="Black tea")
    factories.HSCodeFactory(code="09", description="Coffee, tea, maté and spices")
    factories.HSCodeFactory(code="0902", description="Tea")
    rice = factories.HSCodeFactory(code="100630", description="Rice")
    cluster = factories.OrganisationFactory(kind="cluster", name="Tea cluster", country=vn)
    a = factories.OrganisationFactory(name="A tea", country=vn, province=hn, cluster=cluster)
    b = factories.OrganisationFactory(name="B tea", country=vn)
    c = factories.OrganisationFactory(name="C rice", country=kh, kind="buyer")
    factories.ProductFactory(organisation=a, name="Green tea", hs_code=tea)
    factories.ProductFactory(organisation=b, name="Black tea", hs_code=tea)
    factories.ProductFactory(organisation=c, name="Rice", hs_code=rice)
    factories.CertificationFactory(organisation=a, kind="organic")
    yesterday = timezone.localdate() - timedelta(days=1)
    factories.CertificationFactory(organisation=b, kind="organic", valid_until=yesterday)
    reindex_organisations([cluster.pk, a.pk, b.pk, c.pk])
    return {"cluster": cluster, "a": a, "b": b, "c": c}


def _counts(results, facet):
    return {v.value: v.count for v in results.facets[facet]}


def test_facet_counts_on_whole_result_set():
    from django.contrib.auth.models import AnonymousUser

    _world()
    results = selectors.search_organisations(AnonymousUser(), "", {})
    assert results.total == 4
    assert _counts(results, "country") == {"VN": 3, "KH": 1}
    assert _counts(results, "kind") == {"sme": 2, "cluster": 1, "buyer": 1}
    assert _counts(results, "hs2") == {"09": 2, "10": 1}
    assert _counts(results, "province") == {"VN-HN": 1}
    # The expired certificate of B is not counted.
    assert _counts(results, "cert") == {"organic": 1}


def test_facet_counts_follow_the_text_query():
    from django.contrib.auth.models import AnonymousUser

    _world()
    results = selectors.search_organisations(AnonymousUser(), "tea", {})
    assert sorted(o.name for o in results.organisations) == ["A tea", "B tea", "Tea cluster"]
    assert _counts(results, "country") == {"VN": 3}
    assert _counts(results, "hs2") == {"09": 2}


def test_facet_filters():
    w = _world()
    assert _names(country="KH") == ["C rice"]
    assert _names(hs="09") == ["A tea", "B tea"]
    assert _names(hs="0902") == ["A tea", "B tea"]
    assert _names(cert="organic") == ["A tea"]
    assert _names(cluster=str(w["cluster"].pk)) == ["A tea"]
    assert _names(province="VN-HN") == ["A tea"]
    assert _names(kind=["buyer", "cluster"]) == ["C rice", "Tea cluster"]
    assert sorted(_names("tea", country="VN", hs="09")) == ["A tea", "B tea"]


def test_facet_pages_walk_one_value_in_name_order():
    from django.contrib.auth.models import AnonymousUser

    from corridor.directory.models import Organisation

    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    kh = factories.CountryFactory(code="KH", name="Cambodia")
    tea = factories.HSCodeFactory(code="090230", description="Black tea")
    orgs = []
    # Created in reverse name order: a page read in id order would hold the wrong names.
    for i in reversed(range(30)):
        org = factories.OrganisationFactory(name=f"Tea {i:02d}", country=vn if i % 3 else kh)
        if i % 2:
            factories.ProductFactory(organisation=org, hs_code=tea)
        orgs.append(org)
    reindex_organisations([o.pk for o in orgs])
    assert search.walks_facet({"country": ["VN"], "hs2": ["09"]})
    assert not search.walks_facet({"country": ["VN", "KH"]})
    wanted = sorted(f"Tea {i:02d}" for i in range(30) if i % 3 and i % 2)
    pages = [
        selectors.search_organisations(
            AnonymousUser(), "", {"country": "VN", "hs": "09"}, page=n, per_page=5
        )
        for n in (1, 2)
    ]
    assert pages[0].total == len(wanted) == 10
    assert [o.name for p in pages for o in p.organisations] == wanted
    # A renamed organisation moves once reindexed (its facet rows carry the name).
    first = Organisation.objects.get(name=wanted[0])
    first.name = "Tea zz"
    first.save()
    reindex_organisations([first.pk])
    again = selectors.search_organisations(
        AnonymousUser(), "", {"country": "VN", "hs": "09"}, page=2, per_page=5
    )
    assert [o.name for o in again.organisations][-1] == "Tea zz"


def test_facet_headings_listed_within_chosen_chapter():
    from django.contrib.auth.models import AnonymousUser

    _world()
    plain = selectors.search_organisations(AnonymousUser(), "", {})
    assert plain.facets["hs4"] == []
    chosen = selectors.search_organisations(AnonymousUser(), "", {"hs": "09"})
    assert [(v.value, v.count) for v in chosen.facets["hs4"]] == [("0902", 2)]
    assert chosen.facets["hs2"][0].selected is True


def test_search_pagination():
    from django.contrib.auth.models import AnonymousUser

    for i in range(25):
        factories.OrganisationFactory(name=f"Org {i:02d}")
    first = selectors.search_organisations(AnonymousUser(), "", {}, page=1)
    second = selectors.search_organisations(AnonymousUser(), "", {}, page=2)
    assert first.total == 25
    assert len(first.organisations) == 20
    assert [o.name for o in second.organisations] == [f"Org {i:02d}" for i in range(20, 25)]


def test_reindex_removes_deleted_organisation():
    a = _org("Removed rice")
    pk = a.pk
    a.delete()
    reindex_organisations([pk])
    assert _names("rice") == []


def test_search_query_count_is_constant(django_assert_num_queries, sme_owner):
    from django.core.cache import cache

    _world()
    cache.clear()
    # memberships, coordinated clusters, generation, text search (total, page ids and facet
    # counts in one), the page's rows, products, certifications; PostgreSQL first asks its
    # planner how many a search with concept tiers ("tea": chè, ชา...) matches (`_probe_step`)
    with django_assert_num_queries(7 + PLANNED):
        selectors.search_organisations(sme_owner, "tea", {"country": "VN"})
    for i in range(10):
        factories.OrganisationFactory(name=f"Tea {i}")
    reindex_organisations(selectors.Organisation.objects.values_list("id", flat=True))
    cache.clear()
    del sme_owner._corridor_org_ids
    with django_assert_num_queries(7 + PLANNED):
        selectors.search_organisations(sme_owner, "tea", {"country": "VN"})


def test_search_second_request_uses_cached_facets_and_total(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    _world()
    selectors.search_organisations(AnonymousUser(), "tea", {})
    # generation, text search (total and page ids), the page's rows, products, certifications
    with django_assert_num_queries(5 + PLANNED):
        results = selectors.search_organisations(AnonymousUser(), "tea", {})
    assert results.total == 3
    assert _counts(results, "country") == {"VN": 3}


def test_text_search_pages_are_disjoint_and_out_of_range_pages_show_the_last():
    from django.contrib.auth.models import AnonymousUser

    orgs = [factories.OrganisationFactory(name=f"Pepper farm {i:02}") for i in range(25)]
    factories.OrganisationFactory(name="Rice mill")
    reindex_organisations(o.id for o in orgs)
    anon = AnonymousUser()
    first = selectors.search_organisations(anon, "pepper", {}, page=1, per_page=10)
    second = selectors.search_organisations(anon, "pepper", {}, page=2, per_page=10)
    last = selectors.search_organisations(anon, "pepper", {}, page=99, per_page=10)
    junk = selectors.search_organisations(anon, "pepper", {}, page="x", per_page=10)
    ids = [o.id for r in (first, second, last) for o in r.organisations]
    assert first.total == 25
    assert len(ids) == len(set(ids)) == 25
    assert last.page.number == 3 and len(last.organisations) == 5
    assert [o.id for o in junk.organisations] == [o.id for o in first.organisations]


def test_members_are_found_by_their_cluster_name_also_after_a_rename(staff_user):
    from django.contrib.auth.models import AnonymousUser

    from corridor.directory import services

    cluster = factories.OrganisationFactory(kind="cluster", name="Phu Vinh Rattan Cluster")
    member = factories.OrganisationFactory(name="Workshop Nine", cluster=cluster)
    reindex_organisations([cluster.id, member.id])
    found = selectors.search_organisations(AnonymousUser(), "phu vinh", {})
    assert {o.id for o in found.organisations} == {cluster.id, member.id}
    services.organisation_update(org=cluster, by=staff_user, data={"name": "Chuong My Cluster"})
    found = selectors.search_organisations(AnonymousUser(), "chuong my", {})
    assert {o.id for o in found.organisations} == {cluster.id, member.id}
    assert selectors.search_organisations(AnonymousUser(), "phu vinh", {}).total == 0


def test_reindex_directory_command_rebuilds_the_index():
    from io import StringIO

    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command

    org = factories.OrganisationFactory(name="Lacquer House")  # saved without indexing
    assert selectors.search_organisations(AnonymousUser(), "lacquer", {}).total == 0
    out = StringIO()
    call_command("reindex_directory", stdout=out)
    assert "Indexed" in out.getvalue()
    found = selectors.search_organisations(AnonymousUser(), "lacquer", {})
    assert [o.id for o in found.organisations] == [org.id]
