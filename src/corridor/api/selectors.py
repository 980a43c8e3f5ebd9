"""Reads behind the API's list endpoints: visible rows, filters, constant query counts."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from corridor.accounts import permissions
from corridor.core.text import tokens
from corridor.directory import search
from corridor.directory.models import (
    Certification,
    Organisation,
    Product,
    SourcingRequest,
)

# Thai, Lao, Burmese and Khmer: scripts written without spaces between words.
_NOSPACE = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0xAA60, 0xAA7F))


def _nospace(tok: str) -> bool:
    return any(lo <= ord(c) <= hi for c in tok for lo, hi in _NOSPACE)


def text_filter(qs: QuerySet, q: str, field: str = "search_text") -> QuerySet:
    """Rows whose folded token text contains every token of `q`.

    Thai, Lao, Khmer and Burmese words longer than a trigram are left to their trigrams: the
    dictionary may split the query differently from the indexed text.
    """
    for tok in dict.fromkeys(tokens(q)):
        if _nospace(tok) and len(tok) > 3:
            continue
        qs = qs.filter(**{f"{field}__contains": tok})
    return qs


def organisation_search(user, filters) -> QuerySet[Organisation]:
    """Organisations `user` may see, filtered; contacts are prefetched for the contact rule."""
    qs = permissions.visible_organisations(user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.country:
        qs = qs.filter(country_id=filters.country.upper())
    if filters.province:
        qs = qs.filter(province_id=filters.province)
    if filters.cluster:
        qs = qs.filter(cluster_id=filters.cluster)
    if filters.hs:
        products = Product.objects.filter(is_active=True, hs_code__code__startswith=filters.hs)
        qs = qs.filter(id__in=products.values("organisation_id"))
    if filters.certification:
        today = timezone.localdate()
        certs = Certification.objects.filter(kind=filters.certification).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today)
        )
        qs = qs.filter(id__in=certs.values("organisation_id"))
    if filters.q:
        # The directory's full-text index (FTS5 / tsvector), as the search page uses: whole
        # words (the last may be a prefix), so "rice" does not find "Fair Price Traders".
        qs = search.filter_text(qs, search.parse_query(filters.q))
    return qs.prefetch_related("contacts").order_by("name", "id")


def cluster_list(user) -> QuerySet[Organisation]:
    return (
        permissions.visible_organisations(user)
        .filter(kind="cluster")
        .annotate(
            member_count=Count(
                "members",
                filter=Q(members__is_published=True, members__merged_into__isnull=True),
            )
        )
        .prefetch_related("contacts")
        .order_by("name", "id")
    )


def product_search(user, filters) -> QuerySet[Product]:
    """Active products of visible organisations; their own people also see inactive ones."""
    orgs = permissions.visible_organisations(user)
    qs = Product.objects.filter(organisation__in=orgs).select_related("organisation")
    if not permissions.is_staff(user):
        own = permissions.member_org_ids(user)
        qs = qs.filter(Q(is_active=True) | Q(organisation_id__in=own))
    if filters.organisation:
        qs = qs.filter(organisation_id=filters.organisation)
    if filters.hs:
        qs = qs.filter(hs_code__code__startswith=filters.hs)
    if filters.country:
        qs = qs.filter(organisation__country_id=filters.country.upper())
    if filters.q:
        for word in filters.q.split():
            qs = qs.filter(
                Q(name__icontains=word)
                | Q(local_name__icontains=word)
                | Q(description__icontains=word)
            )
    return qs.order_by("name", "id")


def certification_list(user, organisation: int | None) -> QuerySet[Certification]:
    qs = Certification.objects.filter(organisation__in=permissions.visible_organisations(user))
    if organisation:
        qs = qs.filter(organisation_id=organisation)
    return qs.order_by("organisation_id", "kind", "id")


def sourcing_request_search(user, filters) -> QuerySet[SourcingRequest]:
    """What `permissions.can_view_request` allows, as one queryset."""
    qs = SourcingRequest.objects.select_related("buyer")
    if not permissions.is_staff(user):
        own = permissions.member_org_ids(user)
        qs = qs.filter(
            Q(buyer_id__in=own)
            | Q(
                status=SourcingRequest.Status.OPEN,
                buyer__is_published=True,
                buyer__merged_into__isnull=True,
            )
        )
    if filters.buyer:
        qs = qs.filter(buyer_id=filters.buyer)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.hs:
        qs = qs.filter(hs_code__code__startswith=filters.hs)
    return qs.order_by("-created_at", "-id")
