"""Read-only queries for site-wide pages."""

from __future__ import annotations

from django.db.models import Count, Q

from corridor.directory.models import Organisation, SourcingRequest


def home_figures() -> dict[str, int]:
    """Counts of published profiles by kind, and open sourcing requests (one query each)."""
    counts = Organisation.objects.filter(is_published=True, merged_into__isnull=True).aggregate(
        clusters=Count("id", filter=Q(kind="cluster")),
        smes=Count("id", filter=Q(kind="sme")),
        buyers=Count("id", filter=Q(kind="buyer")),
        countries=Count("country", distinct=True),
    )
    counts["open_requests"] = SourcingRequest.objects.filter(status="open").count()
    return counts
