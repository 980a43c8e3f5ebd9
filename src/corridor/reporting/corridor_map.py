"""A schematic map of the corridors, laid out by hand (the crossings have no coordinates).

Positions are on a 700 × 560 canvas, roughly where the places are (west left, north up), as the
corridor maps of regional programmes draw them; the routes are straight lines between hubs.
A crossing missing here is drawn in a row along the bottom, so a new one is never lost.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

WIDTH, HEIGHT = 700, 560

# Hubs the routes pass through (name, x, y).
HUBS = {
    "Mawlamyine": (108, 226),
    "Dawei": (132, 317),
    "Bangkok": (267, 329),
    "Phitsanulok": (259, 215),
    "Khon Kaen": (394, 230),
    "Vientiane": (376, 184),
    "Phnom Penh": (485, 404),
    "Ho Chi Minh City": (587, 432),
    "Da Nang": (671, 243),
    "Ha Noi": (590, 80),
    "Ca Mau": (540, 520),
}

# Border crossings by their reference name (src/corridor/data/border-crossings.csv).
CROSSINGS = {
    "Aranyaprathet–Poipet": (407, 327),
    "Hat Lek–Cham Yeam": (430, 403),
    "Moc Bai–Bavet": (561, 425),
    "Xa Xia–Prek Chak": (467, 451),
    "Mukdahan–Savannakhet (Second Thai–Lao Friendship Bridge)": (481, 207),
    "Nong Khai–Vientiane (First Thai–Lao Friendship Bridge)": (388, 160),
    "Nakhon Phanom–Thakhek (Third Thai–Lao Friendship Bridge)": (484, 179),
    "Chiang Khong–Houayxay (Fourth Thai–Lao Friendship Bridge)": (262, 86),
    "Chong Mek–Vangtao": (522, 263),
    "Lao Bao–Dansavanh": (583, 205),
    "Cau Treo–Nam Phao": (500, 149),
    "Trapeang Kriel–Nong Nok Khiene": (544, 315),
    "Mae Sot–Myawaddy": (149, 220),
    "Ranong–Kawthaung": (153, 482),
    "Ban Phu Nam Ron–Htee Kee": (169, 315),
    "Mae Sai–Tachileik": (214, 80),
}

# The routes: (corridor slug, label, points by hub or crossing name).
ROUTES = [
    (
        "ewec",
        "EWEC",
        [
            "Mawlamyine",
            "Mae Sot–Myawaddy",
            "Phitsanulok",
            "Khon Kaen",
            "Mukdahan–Savannakhet (Second Thai–Lao Friendship Bridge)",
            "Lao Bao–Dansavanh",
            "Da Nang",
        ],
    ),
    (
        "sec",
        "SEC",
        [
            "Dawei",
            "Ban Phu Nam Ron–Htee Kee",
            "Bangkok",
            "Aranyaprathet–Poipet",
            "Phnom Penh",
            "Moc Bai–Bavet",
            "Ho Chi Minh City",
        ],
    ),
    (
        "sec",
        _("SEC (coastal)"),
        ["Bangkok", "Hat Lek–Cham Yeam", "Xa Xia–Prek Chak", "Ca Mau"],
    ),
]

COUNTRIES = [
    (_("Myanmar"), 60, 140),
    (_("Thailand"), 250, 270),
    (_("Lao PDR"), 420, 110),
    (_("Cambodia"), 470, 360),
    (_("Viet Nam"), 620, 330),
]


def colour(open_reports: int) -> str:
    if open_reports == 0:
        return "#2e7d32"  # green: nothing waiting
    if open_reports < 3:
        return "#f9a825"  # amber
    return "#c62828"  # red


def layout(crossings: list[tuple[int, str]], open_by_crossing: dict[int, int]) -> dict[str, Any]:
    """The map's shapes: routes, hubs and one dot per crossing coloured by its open reports."""
    position = {**HUBS, **CROSSINGS}
    routes = []
    for slug, label, names in ROUTES:
        points = [position[n] for n in names if n in position]
        routes.append(
            {
                "slug": slug,
                "label": label,
                "points": " ".join(f"{x},{y}" for x, y in points),
                "lx": points[0][0],
                "ly": points[0][1] - 10,
            }
        )
    dots = []
    spare_x = 30
    for pk, name in crossings:
        x, y = CROSSINGS.get(name, (None, None))
        if x is None:
            x, y, spare_x = spare_x, HEIGHT - 12, spare_x + 30
        n = open_by_crossing.get(pk, 0)
        dots.append(
            {
                "id": pk,
                "name": name,
                "short": name.split(" (")[0],
                "x": x,
                "y": y,
                "open": n,
                "fill": colour(n),
                "r": 7 + min(n, 20) // 2,
            }
        )
    hubs = [{"name": n, "x": x, "y": y} for n, (x, y) in HUBS.items()]
    countries = [{"name": n, "x": x, "y": y} for n, x, y in COUNTRIES]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "routes": routes,
        "dots": dots,
        "hubs": hubs,
        "countries": countries,
    }
