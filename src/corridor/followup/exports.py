"""Impact tables as CSV or Excel, through the one safe export writer (corridor.core.exports).
Every table of the dashboard has its export; a value hidden from a programme viewer is written
"hidden", never as a number."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from corridor.core import exports
from corridor.followup.models import DropReason
from corridor.followup.selectors import Impact

TABLES = (
    "funnel",
    "collaborations",
    "drop_reasons",
    "event",
    "country",
    "province",
    "cluster",
    "hs_chapter",
    "month",
)


def _writer(fmt: str):
    return exports.csv_response if fmt == "csv" else exports.xlsx_response


def _funnel(rows) -> list[list]:
    return [[label, n, "" if c is None else f"{100 * c:.1f}%"] for _s, label, n, c in rows]


def drop_reason_label(reason: str) -> str:
    return str(DropReason(reason).label) if reason in DropReason.values else reason


def impact_table(data: Impact, *, table: str, fmt: str) -> HttpResponse:
    name = f"impact-{table}.{fmt}"
    if table in ("funnel", "collaborations"):
        headers = [_("Stage"), _("Leads that reached it"), _("Conversion from previous stage")]
        rows = data.funnel if table == "funnel" else data.collab_funnel
        return _writer(fmt)(name, headers, _funnel(rows))
    if table == "drop_reasons":
        headers = [_("Reason"), _("Leads dropped")]
        return _writer(fmt)(
            name, headers, [[drop_reason_label(r), n] for r, n in data.drop_reasons]
        )
    if table == "month":
        rows = data.by_month
    elif table in data.by:
        rows = data.by[table]
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
    return _writer(fmt)(name, headers, body)
