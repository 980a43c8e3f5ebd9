"""Impact tables as CSV or Excel, through the one safe export writer (corridor.core.exports)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from corridor.core import exports
from corridor.followup.selectors import Impact


def _writer(fmt: str):
    return exports.csv_response if fmt == "csv" else exports.xlsx_response


def impact_table(data: Impact, *, table: str, fmt: str) -> HttpResponse:
    if table == "month":
        rows = data.by_month
    elif table in data.by:
        rows = data.by[table]
    elif table == "funnel":
        headers = [_("Stage"), _("Leads that reached it"), _("Conversion from previous stage")]
        body = [
            [label, n, "" if c is None else f"{100 * c:.1f}%"] for _s, label, n, c in data.funnel
        ]
        return _writer(fmt)(f"impact-funnel.{fmt}", headers, body)
    else:
        raise Http404
    headers = [
        _("Group"),
        _("Leads"),
        _("Deals"),
        _("Orders"),
        _("Value (USD)"),
        _("Not converted"),
    ]
    body = [
        [
            r.label,
            r.leads,
            r.deals,
            r.orders,
            _("hidden") if r.value_usd is None else r.value_usd,
            r.unconverted,
        ]
        for r in rows
    ]
    return _writer(fmt)(f"impact-{table}.{fmt}", headers, body)
