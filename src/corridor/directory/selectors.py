"""Reads of the directory: faceted search, profile pages and places, in constant queries."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from corridor.accounts import permissions
from corridor.core.formatting import country_name
from corridor.core.text import stem
from corridor.directory import search
from corridor.directory.models import (
    BorderCrossing,
    Certification,
    Country,
    EconomicCorridor,
    HSCode,
    Organisation,
    Product,
    Province,
    SourcingRequest,
)
from corridor.directory.vocab import CertificationKind, OrgKind

PAGE_SIZE = 20
# Facet values listed per facet (the selected ones are always listed too).
FACET_LIMIT = 12
FACET_CACHE_SECONDS = 60
# Query parameters of the search page, in the order the facets are shown.
FILTERS = ("kind", "country", "province", "corridor", "hs", "cert", "cluster")


@dataclass
class SearchFilters:
    """What a search asks for: free text and facet values (several values of a facet: any)."""

    q: str = ""
    values: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], q: str | None = None) -> SearchFilters:
        """From request.GET (a QueryDict) or a plain dict of str or lists of str."""
        values: dict[str, list[str]] = {}
        for name in FILTERS:
            if hasattr(data, "getlist"):
                raw = data.getlist(name)
            else:
                raw = data.get(name) or []
                raw = [raw] if isinstance(raw, str | int) else list(raw)
            clean = [str(v).strip()[:40] for v in raw if str(v).strip()]
            if name == "country":
                clean = [v.upper() for v in clean]
            if name == "hs":
                clean = [v.replace(".", "") for v in clean if v.replace(".", "").isdigit()]
            if name == "cluster":
                clean = [v for v in clean if v.isdigit()]
            if clean:
                values[name] = list(dict.fromkeys(clean))[:10]
        text = q if q is not None else str(data.get("q", "") or "")
        return cls(q=text.strip()[:200], values=values)

    def get(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def cache_key(self) -> str:
        raw = repr((self.q, sorted(self.values.items())))
        return hashlib.blake2b(raw.encode(), digest_size=10).hexdigest()


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    approximate: bool = False  # counted on a sample of a large result set


@dataclass
class SearchResults:
    page: Page
    total: int
    facets: dict[str, list[FacetValue]]
    filters: SearchFilters
    approximate: bool = False  # facet counts estimated from a sample
    total_approximate: bool = False  # the total too (a very broad text search on PostgreSQL)
    # HS headings searched instead when no word matched: what the query means (see `by_meaning`).
    meaning: tuple[str, ...] = ()

    @property
    def organisations(self) -> list[Organisation]:
        return list(self.page.object_list)


def _as_filters(query: str | None, filters: SearchFilters | Mapping | None) -> SearchFilters:
    if isinstance(filters, SearchFilters):
        return SearchFilters(q=query if query is not None else filters.q, values=filters.values)
    return SearchFilters.from_mapping(filters or {}, q=query or "")


def _audience(user) -> search.Audience:
    if permissions.is_staff(user):
        return search.Audience(staff=True)
    return search.Audience(own=tuple(sorted(permissions.member_org_ids(user))))


def _facet_values(filters: SearchFilters) -> dict[str, list[str]]:
    """The filters as facet rows to match (`hs` is a chapter or a heading)."""
    hs = filters.get("hs")
    return {
        "kind": filters.get("kind"),
        "country": filters.get("country"),
        "province": filters.get("province"),
        "cluster": filters.get("cluster"),
        "corridor": filters.get("corridor"),
        "cert": filters.get("cert"),
        "hs2": [v for v in hs if len(v) == 2],
        "hs4": [v[:4] for v in hs if len(v) >= 4],
    }


def _matching_ids(user, filters: SearchFilters) -> tuple[str, list] | None:
    """SQL of the ids of what `user` finds with `filters` (None: the whole directory)."""
    today = timezone.localdate().isoformat()
    tq = search.parse_query(filters.q)
    ids = search.matching_ids(_audience(user), _facet_values(filters), tq, today)
    if tq and search.text_subquery(tq) is None:
        # A database without a text index: the ids of the queryset filtered on search_text.
        qs = search.filter_text(permissions.visible_organisations(user), tq)
        if ids is not None:
            qs = qs.filter(id__in=RawSQL(*ids))
        return qs.order_by().values("id").query.sql_with_params()
    return ids


def organisation_queryset(user, filters: SearchFilters) -> QuerySet[Organisation]:
    """Visible organisations matching the text and facet filters, best first."""
    qs = permissions.visible_organisations(user)
    ids = _matching_ids(user, filters)
    if ids is not None:
        qs = qs.filter(id__in=RawSQL(*ids))
    tq = search.parse_query(filters.q)
    if tq:
        return search.filter_text(qs, tq).order_by("relevance", "name", "id")
    return qs.order_by("name", "id")


def _facet_scope(user) -> str:
    """Who sees which rows: staff see all, others the published rows plus their own."""
    if permissions.is_staff(user):
        return "staff"
    return ",".join(str(i) for i in sorted(permissions.member_org_ids(user)))


def _labelled(facet: str, value: str, label: str) -> str:
    if facet == "kind":
        return str(OrgKind(value).label) if value in OrgKind.values else value
    if facet == "cert":
        return str(CertificationKind(value).label) if value in CertificationKind.values else value
    if facet in ("hs2", "hs4"):
        return f"{value} {label[:60]}".strip()
    if facet == "country":
        return country_name(value, label)  # the stored label is English
    return label or value


def _facets_key(user, filters: SearchFilters, generation: int, today: str) -> str:
    return f"directory:facets:{generation}:{today}:{_facet_scope(user)}:{filters.cache_key()}"


def _facets(
    filters: SearchFilters, user, generation: int
) -> tuple[dict[str, list[FacetValue]], int, bool]:
    """Facet values with counts, the number of results, and whether the counts are estimates
    (from a sample of a large result set); cached together."""
    today = timezone.localdate().isoformat()
    key = _facets_key(user, filters, generation, today)
    cached = cache.get(key)
    if cached is None:
        ids = _matching_ids(user, filters)
        if ids is None:
            # The whole directory: maintained counts, and the total from the organisations
            # (a profile saved without reindexing, during a bulk import, still counts).
            counts = search.directory_facet_counts(_audience(user), today)
            cached = (counts, permissions.visible_organisation_count(user), False)
        else:
            total, counts = search.count_and_facets(*ids, today)
            cached = (counts, total, search.sample_step(total) > 1)
        cache.set(key, cached, FACET_CACHE_SECONDS)
    return _facet_values_out(*cached, filters)


def _facet_values_out(
    counts: dict[str, list[tuple]], total: int, approximate: bool, filters: SearchFilters
) -> tuple[dict[str, list[FacetValue]], int, bool]:
    selected = {
        "kind": filters.get("kind"),
        "country": filters.get("country"),
        "province": filters.get("province"),
        "corridor": filters.get("corridor"),
        "hs2": [v for v in filters.get("hs") if len(v) == 2],
        "hs4": [v[:4] for v in filters.get("hs") if len(v) >= 4],
        "cert": filters.get("cert"),
        "cluster": filters.get("cluster"),
    }
    out: dict[str, list[FacetValue]] = {}
    for facet in search.FACETS:
        rows = counts.get(facet, [])
        if facet == "hs4":
            # Headings only within the chapters chosen, or the list would run to a thousand.
            chapters = selected["hs2"] + [v[:2] for v in selected["hs4"]]
            rows = [r for r in rows if r[0][:2] in chapters]
        chosen = set(selected[facet])
        rows = sorted(rows, key=lambda r: (-r[2], r[1], r[0]))
        kept = rows[:FACET_LIMIT] + [r for r in rows[FACET_LIMIT:] if r[0] in chosen]
        out[facet] = [
            FacetValue(value, _labelled(facet, value, label), count, value in chosen, approximate)
            for value, label, count in kept
        ]
    return out, total, approximate


class _KnownPage:
    """The one page of a text search already read (`text_search`), for a Paginator."""

    def __init__(self, rows: list[Organisation], total: int, offset: int):
        self.rows, self.total, self.offset = rows, total, offset

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, key: slice) -> list[Organisation]:
        assert (key.start or 0) == self.offset, "only the page that was read"
        return self.rows


def _page_number(page: int | str, per_page: int, total: int | None = None) -> int:
    try:
        number = max(1, int(page))
    except (TypeError, ValueError):
        number = 1
    if total is not None:
        number = min(number, max(1, -(-total // per_page)))
    return number


def _text_search_page(qs, user, f: SearchFilters, tq, generation: int, page, per_page: int):
    """Page, facets, whether the counts are sampled and whether the total is of a text
    search: one query for all (`search.text_search`), or one for the page when the facets
    are cached."""
    today = timezone.localdate().isoformat()
    key = _facets_key(user, f, generation, today)
    cached = cache.get(key)
    facet_values = _facet_values(f)
    if any(facet_values.values()):
        within = search.matching_ids(
            _audience(user), facet_values, search.TextQuery(()), today, base=True
        )
        matches = search.matches_within(*within)
    else:
        matches = search.visible_matches(_audience(user))
    number = _page_number(page, per_page, cached[1] if cached else None)
    result = search.text_search(
        matches, tq, today, (number - 1) * per_page, per_page, facets=cached is None
    )
    if result.total and not result.page_ids and number > 1:
        # Asked beyond the last page: show the last one, as Paginator.get_page does.
        number = _page_number(number, per_page, result.total)
        result = search.text_search(matches, tq, today, (number - 1) * per_page, per_page, False)
    if cached is None:
        sampled = result.approximate or search.sample_step(result.total) > 1
        cached = (result.counts, result.total, sampled)
        cache.set(key, cached, FACET_CACHE_SECONDS)
    rows = {o.id: o for o in qs.filter(id__in=result.page_ids)}
    ordered = [rows[i] for i in result.page_ids if i in rows]
    paginator = Paginator(_KnownPage(ordered, result.total, (number - 1) * per_page), per_page)
    page_obj = paginator.page(number) if result.total else paginator.get_page(1)
    page_obj.object_list = list(page_obj.object_list)
    facet_values, _total, approximate = _facet_values_out(*cached, f)
    return page_obj, facet_values, approximate, result.approximate


class _PagedResults:
    """Matching organisations for a Paginator: each slice is one query that orders the
    matching ids on an index (text rank, or name) and reads only that page's rows."""

    def __init__(self, page, ids: tuple[str, list], total: int | None):
        self.page, self.ids, self.total = page, ids, total

    def count(self) -> int:
        if self.total is None:
            self.total = search.count_ids(*self.ids)
        return self.total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[Organisation]:
        start = key.start or 0
        stop = key.stop if key.stop is not None else start + PAGE_SIZE
        return list(self.page(start, stop - start))


# From this many matches on, a page in name order is read along the name index, testing each
# row against the matching ids (`+id` keeps SQLite off the id index), rather than sorting every
# match: they are then dense enough in any stretch of names.
SCAN_BY_NAME_FROM = 30_000


def search_organisations(
    user,
    query: str | None = None,
    filters: SearchFilters | Mapping | None = None,
    *,
    page: int | str = 1,
    per_page: int = PAGE_SIZE,
    facets: bool = True,
) -> SearchResults:
    """The directory search: one page of visible organisations matching `query` and `filters`
    (facet name -> values: kind, country, province, corridor, hs, cert, cluster), with facet
    counts over the whole filtered result set.

    Queries: the user's memberships (signed-in users), the index generation, the total and the
    facet counts (cached for a minute per index state), the page (text searches: its ids, then
    its rows), its products and certificates.
    """
    f = _as_filters(query, filters)
    generation = search.index_generation()
    today = timezone.localdate()
    qs = (
        permissions.visible_organisations(user)
        .select_related("country", "province", "cluster")
        .prefetch_related(
            Prefetch(
                "products",
                queryset=Product.objects.filter(is_active=True).only(
                    "id", "organisation_id", "name", "local_name", "hs_code_id"
                ),
                to_attr="active_products",
            ),
            Prefetch(
                "certifications",
                queryset=Certification.objects.filter(
                    Q(valid_until__isnull=True) | Q(valid_until__gte=today)
                ).only("id", "organisation_id", "kind", "valid_until"),
                to_attr="valid_certifications",
            ),
        )
    )
    facet_values: dict[str, list[FacetValue]] = {}
    approximate = False
    total = None
    tq = search.parse_query(f.q)
    if tq and search.text_subquery(tq) is not None:
        page_obj, facet_values, approximate, total_approximate = _text_search_page(
            qs, user, f, tq, generation, page, per_page
        )
        nothing = page_obj.paginator.count == 0 and not f.get("hs")
        headings = by_meaning(f.q) if nothing else ()
        if headings:
            within = SearchFilters(q="", values={**f.values, "hs": list(headings)})
            found = search_organisations(
                user, "", within, page=page, per_page=per_page, facets=facets
            )
            if found.total:
                return dataclasses.replace(found, filters=f, meaning=headings)
        return SearchResults(
            page=page_obj,
            total=page_obj.paginator.count,
            facets=facet_values if facets else {},
            filters=f,
            approximate=approximate,
            total_approximate=total_approximate,
        )
    if facets:
        facet_values, total, approximate = _facets(f, user, generation)
    ids = _matching_ids(user, f)
    if ids is None:
        object_list = qs.order_by("name", "id")
    else:
        if total is None:
            total = search.count_ids(*ids)
        if total >= SCAN_BY_NAME_FROM:
            table = Organisation._meta.db_table
            object_list = qs.extra(  # noqa: S610 - the SQL is ours, values are parameters
                where=[f"+{table}.id IN ({ids[0]})"], params=ids[1]
            ).order_by("name", "id")
        else:
            # Without text, the ids are facet rows (with text, a database without text index).
            walk = not tq and search.walks_facet(_facet_values(f))
            object_list = _PagedResults(
                lambda offset, limit: search.named_page(qs, *ids, offset, limit, walk=walk),
                ids,
                total,
            )
    paginator = Paginator(object_list, per_page)
    if total is not None:
        paginator.count = total
    page_obj = paginator.get_page(page)
    page_obj.object_list = list(page_obj.object_list)  # run the queries here, not in a template
    return SearchResults(
        page=page_obj,
        total=page_obj.paginator.count,
        facets=facet_values,
        filters=f,
        approximate=approximate,
    )


def export_queryset(user, filters: SearchFilters | Mapping, limit: int) -> QuerySet[Organisation]:
    """The rows of a search export: same filters and order as the page, at most `limit`."""
    f = _as_filters(None, filters) if not isinstance(filters, SearchFilters) else filters
    today = timezone.localdate()
    return (
        organisation_queryset(user, f)
        .select_related("country", "province", "cluster")
        .prefetch_related(
            Prefetch(
                "products",
                queryset=Product.objects.filter(is_active=True).select_related("hs_code"),
                to_attr="active_products",
            ),
            Prefetch(
                "certifications",
                queryset=Certification.objects.filter(
                    Q(valid_until__isnull=True) | Q(valid_until__gte=today)
                ),
                to_attr="valid_certifications",
            ),
            "contacts",
        )[:limit]
    )


# --- Profiles ----------------------------------------------------------------------------------


@dataclass
class Profile:
    org: Organisation
    products: list[Product]
    certifications: list[Certification]
    members: list[Organisation]
    requests: list[SourcingRequest]
    contacts: list
    markets: list[str]
    can_see_contacts: bool
    can_edit: bool
    can_delete: bool
    can_claim: bool = False


def organisation_for_user(user, slug: str) -> Organisation | None:
    """The organisation at `slug` if `user` may see it (None otherwise)."""
    org = (
        Organisation.objects.select_related("country", "province", "cluster", "verified_by")
        .filter(slug=slug)
        .first()
    )
    if org is None or not permissions.can_view_org(user, org):
        return None
    return org


def organisation_profile(user, org: Organisation) -> Profile:
    """Everything a profile page shows, with what `user` may see of it."""
    can_edit = permissions.can_edit_org(user, org)
    today = timezone.localdate()
    products_qs = org.products.select_related("hs_code").prefetch_related(
        "certifications", "photos"
    )
    if not can_edit:
        products_qs = products_qs.filter(is_active=True)
    products = list(products_qs.order_by("name", "id"))
    certifications = list(
        org.certifications.select_related("product").order_by("kind", "-valid_until")
    )
    members: list[Organisation] = []
    if org.kind == OrgKind.CLUSTER:
        members = list(
            permissions.visible_organisations(user)
            .filter(cluster=org)
            .select_related("country", "province", "cluster")
            .prefetch_related(
                Prefetch(
                    "products",
                    queryset=Product.objects.filter(is_active=True).order_by("name"),
                    to_attr="active_products",
                ),
                Prefetch(
                    "certifications",
                    queryset=Certification.objects.filter(
                        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
                    ),
                    to_attr="valid_certifications",
                ),
            )
            .order_by("name", "id")
        )
    requests: list[SourcingRequest] = []
    if org.kind == OrgKind.BUYER:
        reqs = org.sourcing_requests.select_related("hs_code", "destination")
        if not can_edit:
            reqs = reqs.filter(status=SourcingRequest.Status.OPEN)
        if can_edit or (user and user.is_authenticated):
            requests = list(reqs.order_by("-created_at", "-id"))
    see_contacts = permissions.can_see_contacts(user, org)
    contacts = list(org.contacts.all()) if see_contacts else []
    markets = sorted({m for p in products if p.is_active for m in (p.markets or [])})
    return Profile(
        org=org,
        products=products,
        certifications=certifications,
        members=members,
        requests=requests,
        contacts=contacts,
        markets=markets,
        can_see_contacts=see_contacts,
        can_edit=can_edit,
        can_delete=permissions.can_delete_org(user, org),
        can_claim=org.is_published and permissions.can_claim_org(user, org),
    )


# --- Places ------------------------------------------------------------------------------------


def countries_with_counts(user) -> list[dict]:
    """Countries with the number of organisations the user may see in each."""
    rows = (
        permissions.visible_organisations(user)
        .order_by()
        .values("country_id", "country__name", "country__local_name")
        .annotate(n=Count("id"))
        .order_by("country__name")
    )
    out = [
        {
            "code": r["country_id"],
            "name": country_name(r["country_id"], r["country__name"]),
            "local_name": r["country__local_name"],
            "count": r["n"],
        }
        for r in rows
    ]
    return sorted(out, key=lambda c: c["name"])


def provinces_with_counts(user, country: Country) -> tuple[list[dict], int]:
    """Current provinces of `country` with their organisation counts (zero included), and the
    number of organisations of the country without a province."""
    counts = dict(
        permissions.visible_organisations(user)
        .filter(country=country)
        .order_by()
        .values("province_id")
        .annotate(n=Count("id"))
        .values_list("province_id", "n")
    )
    provinces = [
        {"code": p.code, "name": p.name, "local_name": p.local_name, "count": counts.get(p.code, 0)}
        for p in Province.objects.filter(country=country).filter(
            Q(is_current=True) | Q(code__in=[c for c in counts if c])
        )
    ]
    return provinces, counts.get(None, 0)


def corridors_with_counts(user) -> list[dict]:
    """Economic corridors with their number of provinces and of organisations the user sees."""
    counts = dict(
        permissions.visible_organisations(user)
        .filter(province__corridors__isnull=False)
        .order_by()
        .values("province__corridors__slug")
        .annotate(n=Count("id", distinct=True))
        .values_list("province__corridors__slug", "n")
    )
    return [
        {
            "slug": c.slug,
            "name": c.name,
            "description": c.description,
            "provinces": c.n_provinces,
            "count": counts.get(c.slug, 0),
        }
        for c in EconomicCorridor.objects.annotate(n_provinces=Count("provinces")).order_by("name")
    ]


def border_crossings() -> list[BorderCrossing]:
    """Border crossings with the provinces and countries on both sides (one query)."""
    return list(
        BorderCrossing.objects.select_related(
            "province_a__country", "province_b__country"
        ).order_by("name")
    )


def former_provinces(country: Country) -> list[Province]:
    """Units of `country` abolished by a merger, with the unit they now belong to."""
    return list(
        Province.objects.filter(country=country, is_current=False)
        .select_related("successor")
        .order_by("name")
    )


# A query means the HS suggestion's best subheading when it is this confident ("porcelain"
# 0.55, "stoneware" 0.80 with the learned fusion; names and stray words stay under 0.09), and
# also the runners-up within a twentieth of it: the learned fusion is sharp, and "porcelain"
# puts ornaments (6913) at 0.55 and tableware (6911) at 0.04.
MEANING_MIN_SCORE = 0.1
MEANING_RUNNER_UP = 0.05


def by_meaning(q: str) -> tuple[str, ...]:
    """HS headings (4 digits) that a query no word of the index matched means, from matching's
    HS suggestion (sentence embeddings, trade names, the nomenclature): the fallback of a text
    search that found nothing. Empty when no suggestion is confident."""
    q = " ".join((q or "").split())[:200]
    if len(q) < 3 or q.replace(".", "").isdigit():
        return ()
    from corridor.matching.selectors import hs_suggester

    suggestions = hs_suggester().suggest(q, top=3)
    if not suggestions or suggestions[0].score < MEANING_MIN_SCORE:
        return ()
    least = suggestions[0].score * MEANING_RUNNER_UP
    return tuple(dict.fromkeys(s.code[:4] for s in suggestions if s.score >= least))


def hs_code_options(q: str, limit: int = 15) -> list[HSCode]:
    """HS codes for the product and request forms' look-up: digits by code prefix; words
    (in any of the six languages: "tea", "chè", "ชา") through matching's HS suggestion, the
    one that suggests a code from a product's name, best first."""
    q = " ".join((q or "").split())[:200]
    digits = q.replace(".", "").replace(" ", "")
    if not q:
        return []
    if digits.isdigit():
        return list(HSCode.objects.filter(code__startswith=digits).order_by("code")[:limit])
    if len(q) < 2:
        return []
    from corridor.matching.glossary import english_gloss
    from corridor.matching.selectors import hs_suggester

    # The codes whose description names the query's glossary concept ("chè" -> tea) first:
    # the suggestion is mostly semantic, and a word list should show the word's own codes.
    gloss = {stem(w) for w in re.findall(r"[a-z]+", english_gloss(q).lower())}
    suggestions = sorted(
        hs_suggester().suggest(q, top=30),
        key=lambda s: not gloss & {stem(w) for w in re.findall(r"[a-z]+", s.description.lower())},
    )[: min(limit, 8)]
    known = HSCode.objects.in_bulk([s.code for s in suggestions])
    return [
        known.get(s.code) or HSCode(code=s.code, description=s.description, level=6)
        for s in suggestions
    ]


def province_options(country_code: str) -> list[Province]:
    return list(Province.objects.filter(country_id=country_code.upper(), is_current=True))


def cluster_options() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrgKind.CLUSTER, merged_into__isnull=True).order_by(
        "name"
    )


def filter_params(filters: SearchFilters) -> list[tuple[str, str]]:
    """The (name, value) query parameters that reproduce a search (for links and exports)."""
    out = [("q", filters.q)] if filters.q else []
    for name in FILTERS:
        out += [(name, v) for v in filters.get(name)]
    return out


def facet_param(facet: str) -> str:
    """The query parameter that filters on a facet (both HS levels share `hs`)."""
    return "hs" if facet in ("hs2", "hs4") else facet
