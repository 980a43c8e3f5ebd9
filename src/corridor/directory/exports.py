"""Exports of directory search results to CSV and Excel, with the page's filters and rights."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts import permissions
from corridor.core import exports
from corridor.directory import selectors

# An export is a working list, not a database dump: large pulls go through staff.
MAX_ROWS = 5000
MAX_ROWS_STAFF = 50000


def _columns(with_contacts: bool) -> list[str]:
    cols = [
        _("Name"),
        _("Local name"),
        _("Type"),
        _("Country"),
        _("Province"),
        _("Cluster"),
        _("Products"),
        _("HS codes"),
        _("Certifications"),
        _("Website"),
        _("Verified"),
        _("Last updated"),
        _("Profile"),
    ]
    if with_contacts:
        cols += [_("Email"), _("Phone"), _("Address"), _("Contact persons")]
    return cols


def rows(user, filters: selectors.SearchFilters) -> tuple[list[str], Iterator[list]]:
    """Header and rows of an export. Contact columns only for staff, who may see them all."""
    with_contacts = permissions.is_staff(user)
    limit = MAX_ROWS_STAFF if with_contacts else MAX_ROWS
    qs = selectors.export_queryset(user, filters, limit)

    def generate() -> Iterator[list]:
        for org in qs.iterator(chunk_size=500):
            products = org.active_products
            row = [
                org.name,
                org.local_name,
                org.get_kind_display(),
                org.country.name,
                org.province.name if org.province_id else "",
                org.cluster.name if org.cluster_id else "",
                "; ".join(p.name for p in products),
                "; ".join(sorted({p.hs_code_id for p in products if p.hs_code_id})),
                "; ".join(sorted({c.get_kind_display() for c in org.valid_certifications})),
                org.website,
                _("yes") if org.is_verified else "",
                timezone.localtime(org.updated_at).date().isoformat(),
                f"/directory/o/{org.slug}/",
            ]
            if with_contacts:
                row += [
                    org.email,
                    org.phone,
                    org.address,
                    "; ".join(
                        " ".join(x for x in (c.name, c.position, c.email, c.phone) if x)
                        for c in org.contacts.all()
                    ),
                ]
            yield row  # made safe by corridor.core.exports

    return _columns(with_contacts), generate()


def _filename(ext: str) -> str:
    return f"corridor-directory-{timezone.localdate().isoformat()}.{ext}"


def csv_response(user, filters: selectors.SearchFilters) -> StreamingHttpResponse:
    header, body = rows(user, filters)
    return exports.csv_response(_filename("csv"), header, body)


def xlsx_response(user, filters: selectors.SearchFilters) -> HttpResponse:
    header, body = rows(user, filters)
    return exports.xlsx_response(_filename("xlsx"), header, body, sheet=_("Directory"))
