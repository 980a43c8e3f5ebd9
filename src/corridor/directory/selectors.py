"""Reads of the directory: faceted search, profile pages and places, in constant queries."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from corridor.accounts import permissions
from corridor.directory import search
from corridor.directory.models import (
    Certification,
    Country,
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
_ORG_FIELDS = {
    "kind": "kind",
    "country": "country_id",
    "province": "province_id",
    "cluster": "cluster_id",
}


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


@dataclass
class SearchResults:
    page: Page
    total: int
    facets: dict[str, list[FacetValue]]
    filters: SearchFilters

    @property
    def organisations(self) -> list[Organisation]:
        return list(self.page.object_list)


def _as_filters(query: str | None, filters: SearchFilters | Mapping | None) -> SearchFilters:
    if isinstance(filters, SearchFilters):
        return SearchFilters(q=query if query is not None else filters.q, values=filters.values)
    return SearchFilters.from_mapping(filters or {}, q=query or "")


def organisation_queryset(user, filters: SearchFilters) -> QuerySet[Organisation]:
    """Visible organisations matching the text and facet filters, best first."""
    today = timezone.localdate().isoformat()
    qs = permissions.visible_organisations(user)
    for name, column in _ORG_FIELDS.items():
        if filters.get(name):
            qs = qs.filter(**{f"{column}__in": filters.get(name)})
    facet_filters = {"corridor": filters.get("corridor"), "cert": filters.get("cert")}
    hs = filters.get("hs")
    facet_filters["hs2"] = [v for v in hs if len(v) == 2]
    facet_filters["hs4"] = [v[:4] for v in hs if len(v) >= 4]
    for facet, values in facet_filters.items():
        if values:
            sql, params = search.facet_subquery(facet, values, today)
            qs = qs.filter(id__in=RawSQL(sql, params))
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
    return label or value


def _facets(
    qs: QuerySet[Organisation], filters: SearchFilters, user, generation: int
) -> tuple[dict[str, list[FacetValue]], int]:
    """Facet values with counts, and the number of results, cached together."""
    today = timezone.localdate().isoformat()
    key = f"directory:facets:{generation}:{today}:{_facet_scope(user)}:{filters.cache_key()}"
    cached = cache.get(key)
    if cached is None:
        sql, params = qs.order_by().values("id").query.sql_with_params()
        # The total comes from the organisations, not the facet rows: a profile saved without
        # reindexing (a bulk import in progress) still counts.
        cached = (search.facet_counts(sql, params, today), qs.count())
        cache.set(key, cached, FACET_CACHE_SECONDS)
    counts, total = cached
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
            FacetValue(value, _labelled(facet, value, label), count, value in chosen)
            for value, label, count in kept
        ]
    return out, total


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

    Queries: the user's memberships (signed-in users), the index generation, the facet counts
    and the total (both cached for a minute per index state), the page, its products and
    certificates.
    """
    f = _as_filters(query, filters)
    qs = organisation_queryset(user, f).select_related("country", "province", "cluster")
    generation = search.index_generation()
    today = timezone.localdate()
    qs = qs.prefetch_related(
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
    paginator = Paginator(qs, per_page)
    facet_values: dict[str, list[FacetValue]] = {}
    if facets:
        facet_values, paginator.count = _facets(qs, f, user, generation)
    page_obj = paginator.get_page(page)
    page_obj.object_list = list(page_obj.object_list)  # run the queries here, not in a template
    return SearchResults(
        page=page_obj, total=page_obj.paginator.count, facets=facet_values, filters=f
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
    products_qs = org.products.select_related("hs_code").prefetch_related("certifications")
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
    return [
        {
            "code": r["country_id"],
            "name": r["country__name"],
            "local_name": r["country__local_name"],
            "count": r["n"],
        }
        for r in rows
    ]


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


def hs_code_options(q: str, limit: int = 15) -> list[HSCode]:
    """HS codes for the product form's autocomplete: by code prefix, else by description."""
    q = (q or "").strip()
    digits = q.replace(".", "").replace(" ", "")
    if not q:
        return []
    if digits.isdigit():
        return list(HSCode.objects.filter(code__startswith=digits).order_by("code")[:limit])
    qs = HSCode.objects.all()
    for word in q.split()[:5]:
        qs = qs.filter(description__icontains=word)
    return list(qs.order_by("-level", "code")[:limit])


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
