"""Excel export of matches for a matchmaking forum: every open request × its best suppliers."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from corridor.matching.hs import format_code


def matches_workbook(rows) -> bytes:
    """An .xlsx of `selectors.open_request_matches()` output, one line per request × supplier."""
    from corridor.matching.selectors import product_name

    wb = Workbook()
    ws = wb.active
    ws.title = _("Matches")[:31]
    header = [
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
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for req, top in rows:
        if not top:
            ws.append(
                [req.pk, req.buyer.name, req.title, format_code(req.hs_code_id or ""), None]
                + [_("no supplier found")]
            )
            continue
        for rank, (ref, match, _others) in enumerate(top, start=1):
            ws.append(
                [
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
            )
    for column, width in zip(
        "ABCDEFGHIJKL", (9, 28, 32, 10, 6, 30, 9, 8, 32, 9, 10, 80), strict=True
    ):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=2, min_col=12, max_col=12):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
