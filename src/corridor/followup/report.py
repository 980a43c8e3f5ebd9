"""The printable impact report (PDF, WeasyPrint) for the programme or one filtered slice."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from corridor.core import charts
from corridor.core.pdf import pdf_from_html
from corridor.followup.exports import drop_reason_label
from corridor.followup.selectors import GROUP_LABELS, Filters, Impact


def impact_html(data: Impact, *, filters: Filters, title: str, viewer: bool) -> str:
    return render_to_string(
        "followup/pdf/impact.html",
        {
            "data": data,
            "filters": filters,
            "title": title,
            "viewer": viewer,
            "generated": timezone.now(),
            "groups": [(k, label, data.by[k]) for k, label in GROUP_LABELS.items()],
            "drop_reasons": [(drop_reason_label(r), n) for r, n in data.drop_reasons],
            "funnel_svg": charts.funnel_chart(
                [(label, n) for _s, label, n, _c in data.funnel], title=title
            ),
            "months_svg": charts.line_chart(
                [(r.label, float(r.orders)) for r in data.by_month], title=title
            ),
        },
    )


def impact_pdf(data: Impact, *, filters: Filters, title: str, viewer: bool) -> bytes:
    return pdf_from_html(impact_html(data, filters=filters, title=title, viewer=viewer))
