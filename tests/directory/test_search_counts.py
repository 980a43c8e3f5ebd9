"""Facet counts at scale: the maintained count table, visibility, sampling, paged ordering."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection

from corridor.directory import search, selectors
from corridor.directory.models import Organisation
from corridor.directory.search import reindex_organisations
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _orgs(n, **kwargs):
    orgs = [factories.OrganisationFactory(**kwargs) for _ in range(n)]
    reindex_organisations([o.pk for o in orgs])
    return orgs


def _counts(results, facet):
    return {v.value: v.count for v in results.facets[facet]}


def _browse(user=None, **filters):
    return selectors.search_organisations(user or AnonymousUser(), "", filters)


def _count_rows():
    return search.directory_facet_counts(search.Audience(), "2000-01-01")


def test_browse_counts_follow_unpublish_without_reindex(staff_user):
    vn = factories.CountryFactory(code="VN")
    a, b = _orgs(2, country=vn)
    assert _counts(_browse(), "country") == {"VN": 2}
    b.is_published = False
    b.save()  # no reindex: the trigger updates the index's visibility and the counts
    assert _counts(_browse(), "country") == {"VN": 1}
    assert _browse().total == 1
    assert _counts(_browse(staff_user), "country") == {"VN": 2}
    assert _browse(staff_user).total == 2


def test_browse_counts_follow_publish_without_reindex():
    (org,) = _orgs(1, is_published=False)
    assert _browse().facets["kind"] == []
    Organisation.objects.filter(pk=org.pk).update(is_published=True)
    assert _counts(_browse(), "kind") == {"sme": 1}


def test_browse_counts_drop_deleted_and_merged_organisations(staff_user):
    a, b, c = _orgs(3)
    a.delete()
    assert _counts(_browse(), "kind") == {"sme": 2}
    Organisation.objects.filter(pk=b.pk).update(merged_into=c)
    # A merged profile is hidden from everybody, staff included.
    assert _counts(_browse(staff_user), "kind") == {"sme": 1}
    assert _counts(_browse(), "kind") == {"sme": 1}


def test_browse_counts_include_members_own_unpublished_organisation(sme_owner):
    own = sme_owner.memberships.get().organisation
    own.is_published = False
    own.save()
    reindex_organisations([own.pk])
    _orgs(2)
    _orgs(1, is_published=False)  # someone else's private profile
    reindex_organisations(Organisation.objects.values_list("id", flat=True))  # and the cluster
    assert _counts(_browse(), "kind") == {"sme": 2, "cluster": 1}
    assert _browse().total == 3
    assert _counts(_browse(sme_owner), "kind") == {"sme": 3, "cluster": 1}
    assert _browse(sme_owner).total == 4


def test_filtered_counts_deny_others_unpublished_organisations(sme_owner, staff_user):
    vn = factories.CountryFactory(code="VN")
    own = sme_owner.memberships.get().organisation
    own.country, own.is_published = vn, False
    own.save()
    reindex_organisations([own.pk])
    _orgs(2, country=vn)
    _orgs(1, country=vn, is_published=False)
    assert _browse(country="VN").total == 2
    assert _counts(_browse(country="VN"), "country") == {"VN": 2}
    assert _browse(sme_owner, country="VN").total == 3
    assert _browse(staff_user, country="VN").total == 4
    assert [o.name for o in _browse(country="VN").organisations] == sorted(
        o.name for o in Organisation.objects.filter(country=vn, is_published=True)
    )


def test_large_result_sets_count_facets_on_a_sample(monkeypatch):
    vn = factories.CountryFactory(code="VN")
    _orgs(12, country=vn)
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 4)
    results = _browse(country="VN")
    assert results.total == 12
    assert results.approximate is True
    assert search.sample_step(12) == 3
    assert all(v.approximate for v in results.facets["country"])
    # Every third id counted, times three: an estimate, a multiple of the step.
    assert _counts(results, "country")["VN"] % 3 == 0


def test_small_result_sets_count_facets_exactly():
    vn = factories.CountryFactory(code="VN")
    _orgs(3, country=vn)
    results = _browse(country="VN")
    assert results.approximate is False
    assert _counts(results, "country") == {"VN": 3}


def test_text_search_pages_are_disjoint_and_complete():
    for i in range(25):
        factories.OrganisationFactory(name=f"Rice mill {i:02d}")
    factories.OrganisationFactory(name="Coffee")
    reindex_organisations(Organisation.objects.values_list("id", flat=True))
    first = selectors.search_organisations(AnonymousUser(), "rice", {}, page=1)
    second = selectors.search_organisations(AnonymousUser(), "rice", {}, page=2)
    assert first.total == 25
    names = [o.name for o in first.organisations + second.organisations]
    assert sorted(names) == [f"Rice mill {i:02d}" for i in range(25)]


def test_facet_pages_in_name_order_by_either_plan(monkeypatch):
    vn = factories.CountryFactory(code="VN")
    for i in range(25):
        factories.OrganisationFactory(name=f"Org {i:02d}", country=vn)
    factories.OrganisationFactory(name="Elsewhere")
    reindex_organisations(Organisation.objects.values_list("id", flat=True))
    sorted_page = [o.name for o in _browse(country="VN").organisations]
    cache.clear()
    monkeypatch.setattr(selectors, "SCAN_BY_NAME_FROM", 1)
    scanned = selectors.search_organisations(AnonymousUser(), "", {"country": "VN"}, page=2)
    assert sorted_page == [f"Org {i:02d}" for i in range(20)]
    assert [o.name for o in scanned.organisations] == [f"Org {i:02d}" for i in range(20, 25)]


def test_count_table_matches_a_full_recount():
    vn = factories.CountryFactory(code="VN")
    orgs = _orgs(4, country=vn)
    factories.CertificationFactory(organisation=orgs[0], kind="organic")
    reindex_organisations([orgs[0].pk])
    reindex_organisations([orgs[1].pk])  # reindexing twice must not count twice
    orgs[2].delete()
    rows = {(f, v): n for f, values in _count_rows().items() for v, _label, n in values}
    assert rows == {("kind", "sme"): 3, ("country", "VN"): 3, ("cert", "organic"): 1}


def test_search_page_marks_estimated_counts(client, monkeypatch):
    vn = factories.CountryFactory(code="VN")
    _orgs(6, country=vn)
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 2)
    response = client.get("/directory/?country=VN")
    assert response.status_code == 200
    assert "≈" in response.content.decode()
    cache.clear()
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 1000)
    assert "≈" not in client.get("/directory/?country=VN").content.decode()


def test_bulk_reindex_recounts_facets_once(monkeypatch):
    vn = factories.CountryFactory(code="VN")
    orgs = [factories.OrganisationFactory(country=vn) for _ in range(3)]
    monkeypatch.setattr(search, "BULK_REINDEX", 2)
    assert reindex_organisations([o.pk for o in orgs]) == 3
    rows = {(f, v): n for f, values in _count_rows().items() for v, _label, n in values}
    assert rows == {("kind", "sme"): 3, ("country", "VN"): 3}
    # The triggers are on again after a bulk reindex.
    reindex_organisations([factories.OrganisationFactory(country=vn).pk])
    assert _counts(_browse(), "country") == {"VN": 4}


def test_text_search_without_facets_shows_each_audience_what_it_may_see(sme_owner, staff_user):
    # The visibility of a facet-free text search is tested per match (visible_matches).
    own = sme_owner.memberships.get().organisation
    own.name, own.is_published = "Own Lacquer Workshop", False
    own.save()
    public, private, merged = _orgs(3, description="lacquer boxes")
    Organisation.objects.filter(pk=private.pk).update(is_published=False)
    Organisation.objects.filter(pk=merged.pk).update(merged_into=public)
    reindex_organisations([own.pk])

    def found(user=None):
        results = selectors.search_organisations(user, "lacquer", {})
        found = {o.pk for o in results.organisations}
        # The total and the facets come from the index, not from the permission-checked page.
        assert results.total == len(found) == sum(v.count for v in results.facets["kind"])
        return found

    assert found(AnonymousUser()) == {public.pk}
    assert found(sme_owner) == {public.pk, own.pk}
    assert found(staff_user) == {public.pk, private.pk, own.pk}
    # Unpublishing needs no reindex: the facet rows follow by trigger, and so does the search.
    Organisation.objects.filter(pk=public.pk).update(is_published=False)
    cache.clear()
    assert found(AnonymousUser()) == set()


def test_a_query_never_matches_the_visibility_tokens(staff_user):
    # On SQLite the full-text row holds its visibility as a token ("v2" published), which the
    # audience's MATCH requires: a user's own "v2" or "v1" searches the text only.
    _orgs(3, description="lacquer boxes")
    (model,) = _orgs(1, description="Pump model V2")
    for user in (AnonymousUser(), staff_user):
        assert [o.pk for o in selectors.search_organisations(user, "v2", {}).organisations] == [
            model.pk
        ]
        assert selectors.search_organisations(user, "v1", {}).total == 0


def _tea_world():
    """A multi-tier search: "tea" in English names, and tea in Vietnamese found as a concept."""
    orgs = [factories.OrganisationFactory(name=f"Tea estate {i:02d}") for i in range(12)]
    orgs += [factories.OrganisationFactory(name=f"Chè Thái Nguyên {i:02d}") for i in range(12)]
    factories.OrganisationFactory(name="Rice mill")
    reindex_organisations(Organisation.objects.values_list("id", flat=True))
    return orgs


def test_probing_is_only_for_broad_searches_on_postgresql(monkeypatch):
    _tea_world()
    search.analyze()
    matches = search.visible_matches(search.Audience())
    tq = search.parse_query("tea")
    assert len(tq.tiers()) > 1
    assert search._probe_step(matches, tq) == 0  # 24 matches: every row is read
    monkeypatch.setattr(search, "PROBE_FROM", 1)
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 2)
    monkeypatch.setattr(search, "PROBE_COST", 0)
    step = search._probe_step(matches, tq)
    if connection.vendor == "postgresql":
        assert step > 1
        # Probing every k-th id must cost less than reading the matches it stands for.
        monkeypatch.setattr(search, "PROBE_COST", 1000)
        assert search._probe_step(matches, tq) == 0
    else:
        assert step == 0  # SQLite reads its matches from the FTS index alone


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's probed counts")
def test_broad_postgresql_search_is_counted_on_probed_ids(client, monkeypatch):
    orgs = _tea_world()
    exact = selectors.search_organisations(AnonymousUser(), "tea", {})
    assert exact.total == 24 and not exact.total_approximate
    cache.clear()
    monkeypatch.setattr(search, "_probe_step", lambda matches, tq: 3)
    probed = selectors.search_organisations(AnonymousUser(), "tea", {})
    sampled = [o.pk for o in orgs if o.pk % 3 == 0]
    english = [o.pk for o in orgs[:12]]
    # The page ranks the English tier exactly; the total and the counts come from every 3rd id.
    assert [o.pk for o in probed.organisations] == [o.pk for o in exact.organisations]
    assert probed.total == max(12, 3 * len(sampled))
    assert probed.total_approximate and probed.approximate
    assert _counts(probed, "kind") == {"sme": 3 * len(sampled)}
    # The second page holds the Vietnamese tier whose rows were never counted one by one.
    second = selectors.search_organisations(AnonymousUser(), "tea", {}, page=2, per_page=12)
    assert {o.pk for o in second.organisations} == {o.pk for o in orgs[12:]} - set(english)
    cache.clear()
    body = client.get("/directory/?q=tea").content.decode()
    assert f"≈</abbr>{probed.total} organisations" in body
