"""Search index of organisations: the folded, cross-script tokens of everything findable."""

from __future__ import annotations

from collections.abc import Iterable

from corridor.core.text import search_document
from corridor.directory.models import Organisation


def organisation_document(org: Organisation) -> str:
    """Tokens of an organisation's names, descriptions, places and products."""
    parts: list[str | None] = [org.name, org.local_name, org.description, org.local_description]
    parts += [org.product_focus, org.country.name, org.country.local_name]
    if org.province_id:
        parts += [org.province.name, org.province.local_name]
        parts += [a.name for a in org.province.aliases.all()]
    for p in org.products.all():
        parts += [p.name, p.local_name, p.description]
    return search_document(*parts)


def reindex_organisations(ids: Iterable[int]) -> int:
    """Recompute the search text of the given organisations; returns how many were updated."""
    orgs = list(
        Organisation.objects.filter(id__in=list(ids))
        .select_related("country", "province")
        .prefetch_related("province__aliases", "products")
    )
    for org in orgs:
        org.search_text = organisation_document(org)
    Organisation.objects.bulk_update(orgs, ["search_text"], batch_size=500)
    return len(orgs)
