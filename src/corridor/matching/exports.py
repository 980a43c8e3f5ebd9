"""Excel export of matches for a matchmaking forum: every open request × its best suppliers.

The cells are written by the one safe writer (`corridor.core.exports`): a request title typed
as a formula stays text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.core.exports import xlsx_response
from corridor.matching.hs import format_code

WIDTHS = [9, 28, 32, 10, 6, 30, 9, 8, 32, 9, 10, 80]


def header() -> list[str]:
    return [
        _("Request"),
        _("Buyer"),
        _("Product wanted"),
        _("HS code"),
        _("Rank"),
        _("Supplier"),
        _("Type"),
        _("Country"),
        _("Product offered"),
        _("Score (%)"),
        _("Meets all requirements"),
        _("Reasons"),
    ]


def match_rows(rows: Iterable) -> Iterator[list]:
    """One line per request × supplier, from `selectors.open_request_matches()` output."""
    from corridor.matching.selectors import product_name

    for req, top in rows:
        if not top:
            yield [req.pk, req.buyer.name, req.title, format_code(req.hs_code_id or ""), None] + [
                _("no supplier found")
            ]
            continue
        for rank, (ref, match, _others) in enumerate(top, start=1):
            yield [
                req.pk,
                req.buyer.name,
                req.title,
                format_code(req.hs_code_id or ""),
                rank,
                ref.name,
                ref.kind,
                ref.country_id,
                product_name(match.offer_id),
                round(100 * match.score),
                _("yes") if match.passes else _("no"),
                "; ".join(match.reason_texts()),
            ]


def matches_response(rows: Iterable) -> HttpResponse:
    """The workbook as a download."""
    name = f"corridor-matches-{timezone.localdate():%Y-%m-%d}.xlsx"
    return xlsx_response(name, header(), match_rows(rows), sheet=_("Matches"), widths=WIDTHS)
