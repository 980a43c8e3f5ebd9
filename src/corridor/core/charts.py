"""Charts drawn on the server as SVG: horizontal bars, a funnel and a line over time.

No JavaScript and nothing from a CDN. Each chart scales to its container (viewBox, width 100%),
labels sit above bars so they stay readable on a phone, and every chart carries a <title> and
the figures as text so screen readers and printouts keep them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 600
BAR = 22
GAP = 30
COLOUR = "#2b6cb0"
MUTED = "#a0aec0"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"


def _svg(height: int, title: str, body: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text piece is escaped above
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="sans-serif" font-size="14"><title>{escape(title)}</title>{body}</svg>'
    )


def bar_chart(
    rows: Sequence[tuple[str, float | None]], *, title: str, unit: str = ""
) -> SafeString:
    """One horizontal bar per (label, value); None is drawn as "hidden" (a suppressed cell)."""
    if not rows:
        return _svg(30, title, '<text x="0" y="20" fill="#4a5568">–</text>')
    top = max((v or 0) for _l, v in rows) or 1
    parts = []
    for i, (label, value) in enumerate(rows):
        y = i * (BAR + GAP)
        text = "hidden" if value is None else f"{_fmt(value)}{unit}"
        w = 0 if value is None else max(2, round((WIDTH - 4) * value / top))
        parts.append(
            f'<text x="0" y="{y + 14}" fill="#1a202c">{escape(label)} — {escape(text)}</text>'
            f'<rect x="0" y="{y + 18}" width="{w}" height="{BAR - 8}" rx="3" '
            f'fill="{COLOUR if value is not None else MUTED}"/>'
        )
    return _svg(len(rows) * (BAR + GAP), title, "".join(parts))


def funnel_chart(rows: Sequence[tuple[str, int]], *, title: str) -> SafeString:
    """Centred bars shrinking stage by stage, each with its count and its share of the first."""
    if not rows:
        return bar_chart([], title=title)
    first = rows[0][1] or 1
    top = max(v for _l, v in rows) or 1
    parts = []
    for i, (label, value) in enumerate(rows):
        y = i * (BAR + GAP)
        w = max(2, round((WIDTH - 4) * value / top))
        share = f" ({100 * value / first:.0f}%)" if i else ""
        parts.append(
            f'<text x="{WIDTH / 2}" y="{y + 14}" text-anchor="middle" fill="#1a202c">'
            f"{escape(label)}: {escape(_fmt(value))}{escape(share)}</text>"
            f'<rect x="{(WIDTH - w) / 2}" y="{y + 18}" width="{w}" height="{BAR - 8}" '
            f'rx="3" fill="{COLOUR}"/>'
        )
    return _svg(len(rows) * (BAR + GAP), title, "".join(parts))


def line_chart(points: Sequence[tuple[str, float]], *, title: str, unit: str = "") -> SafeString:
    """A time series: one point per period label (in order), with the first and last labelled."""
    height, pad = 200, 28
    if not points:
        return bar_chart([], title=title)
    top = max(v for _l, v in points) or 1
    n = len(points)
    step = (WIDTH - 2 * pad) / max(1, n - 1)
    coords = [
        (pad + i * step, height - pad - (height - 2 * pad) * v / top)
        for i, (_l, v) in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOUR}">'
        f"<title>{escape(label)}: {escape(_fmt(v))}{escape(unit)}</title></circle>"
        for (x, y), (label, v) in zip(coords, points, strict=True)
    )
    labels = (
        f'<text x="{pad}" y="{height - 6}" fill="#4a5568">{escape(points[0][0])}</text>'
        f'<text x="{WIDTH - pad}" y="{height - 6}" text-anchor="end" fill="#4a5568">'
        f"{escape(points[-1][0])}</text>"
        f'<text x="0" y="16" fill="#4a5568">{escape(_fmt(top))}{escape(unit)}</text>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{WIDTH - pad}" y2="{height - pad}" '
        f'stroke="{MUTED}"/>'
    )
    line = f'<polyline points="{path}" fill="none" stroke="{COLOUR}" stroke-width="3"/>'
    return _svg(height, title, labels + line + dots)
