"""Reference data: countries, provinces (with the 2025 Vietnamese merger), corridors, HS codes.

`load_reference` fills the geography and HS tables from pycountry and the files under
`corridor/data` (see data/README.md); it is idempotent, so deployments simply run it again.
`ProvinceResolver` turns what people write ("Kaoh Kong", "ខេត្តកោះកុង", "kien giang", "VN-47")
into the current province; imports build one per file and call it for every row.
"""

from __future__ import annotations

import csv
import gettext
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TextIO

from django.db import models, transaction

from corridor.core.text import fold, search_document
from corridor.directory.models import (
    BorderCrossing,
    Country,
    EconomicCorridor,
    HSCode,
    Organisation,
    Province,
    ProvinceAlias,
)
from corridor.directory.search import reindex_organisations

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
GEO_DIR = DATA_DIR / "geo"

# The countries whose provinces Corridor knows.
REGION = ("KH", "LA", "MM", "TH", "VN")
COUNTRY_LOCAL_NAMES = {
    # The formal "ព្រះរាជាណាចក្រកម្ពុជា" does not fit a country picker.
    "KH": "កម្ពុជា",
    "LA": "ລາວ",
    "MM": "မြန်မာ",
    "TH": "ประเทศไทย",
    "VN": "Việt Nam",
}
COUNTRY_TIMEZONES = {
    "KH": "Asia/Phnom_Penh",
    "LA": "Asia/Vientiane",
    "MM": "Asia/Yangon",
    "TH": "Asia/Bangkok",
    "VN": "Asia/Ho_Chi_Minh",
}
# pycountry's catalogs carry Thai and Lao subdivision names; Khmer and Burmese come from
# data/geo/provinces-local-names.csv, which also overrides a few catalog entries.
GETTEXT_LANGUAGES = {"TH": "th", "LA": "lo"}
# Huế became a centrally governed city in January 2025, before the merger.
KIND_OVERRIDES = {"VN-26": "Municipality"}


# --- Loading ------------------------------------------------------------------------------


def load_reference(*, stdout: TextIO | None = None) -> dict[str, int]:
    """Create or update every reference row; returns how many rows of each kind the reference
    holds. Running it again changes nothing (rows are matched on their natural keys)."""
    created: dict[str, int] = {}
    with transaction.atomic():
        created["countries"], changed_countries = _load_countries()
        provinces, created["provinces"], changed = _load_provinces()
        aliases, created["province_aliases"], with_new_aliases = _load_aliases(provinces)
        _refresh_province_search_text()
        created["corridors"], n_corridors, relinked = _load_corridors(provinces)
        created["border_crossings"], n_crossings = _load_crossings(provinces)
        n_hs, created["hs_codes"] = _load_hs_codes()
        # Organisations are found by the names of their place and faceted by its corridors
        # (directory.search): renamed places, new aliases and corridor changes must reach them.
        _reindex_places(changed_countries, changed | with_new_aliases | relinked)
    counts = {
        "countries": Country.objects.count(),
        "provinces": len(provinces),
        "province_aliases": aliases,
        "corridors": n_corridors,
        "border_crossings": n_crossings,
        "hs_codes": n_hs,
    }
    if stdout is not None:
        for key, n in counts.items():
            stdout.write(f"{key}: {n} ({created.get(key, 0)} new)\n")
    return counts


def _csv(name: str) -> list[dict[str, str]]:
    with open(GEO_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _sync(
    model: type[models.Model], rows: dict[str, dict], fields: list[str]
) -> tuple[int, set[str]]:
    """Insert missing rows and update changed ones, keyed by primary key; returns the number
    of rows created and the keys of the rows updated."""
    existing = model.objects.in_bulk(list(rows))
    new, changed = [], []
    for pk, values in rows.items():
        obj = existing.get(pk)
        if obj is None:
            new.append(model(pk=pk, **values))
        elif any(getattr(obj, f) != values[f] for f in fields):
            for f in fields:
                setattr(obj, f, values[f])
            changed.append(obj)
    model.objects.bulk_create(new, batch_size=500)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=500)
    return len(new), {obj.pk for obj in changed}


def _zone_tab() -> dict[str, list[str]]:
    zones: dict[str, list[str]] = defaultdict(list)
    try:
        text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is installed
        return zones
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            zones[parts[0]].append(parts[2])
    return zones


def _load_countries() -> tuple[int, set[str]]:
    import pycountry

    zones = _zone_tab()
    rows = {}
    for c in pycountry.countries:
        code = c.alpha_2
        # Countries spanning several zones get none: a guess would mislead event schedules.
        single = zones[code][0] if len(zones.get(code, [])) == 1 else ""
        rows[code] = {
            "name": getattr(c, "common_name", None) or c.name,
            "local_name": COUNTRY_LOCAL_NAMES.get(code, ""),
            "timezone": COUNTRY_TIMEZONES.get(code, single),
        }
    created, changed = _sync(Country, rows, ["name", "local_name", "timezone"])
    return created, changed


def _merger_rows() -> list[dict[str, str]]:
    return _csv("vn-2025-merger.csv")


def _load_provinces() -> tuple[dict[str, dict], int, set[str]]:
    """Provinces of the region keyed by code, with `iso_name` (pycountry's spelling) kept
    for the aliases; also how many were created and the codes of those updated."""
    import pycountry

    local = {r["code"]: r["local_name"] for r in _csv("provinces-local-names.csv")}
    english = {r["code"]: r["name"] for r in _csv("provinces-english-names.csv")}
    rows: dict[str, dict] = {}
    iso_names: dict[str, str] = {}
    for country in REGION:
        catalog = None
        if country in GETTEXT_LANGUAGES:
            catalog = gettext.translation(
                "iso3166-2", pycountry.LOCALES_DIR, languages=[GETTEXT_LANGUAGES[country]]
            )
        subdivisions = pycountry.subdivisions.get(country_code=country) or []
        for s in subdivisions:
            if s.parent_code is not None:
                continue
            translated = catalog.gettext(s.name) if catalog else ""
            iso_names[s.code] = s.name
            rows[s.code] = {
                "country_id": country,
                "name": english.get(s.code, s.name),
                "local_name": local.get(s.code)
                or (translated if translated != s.name else "")
                or (s.name if country == "VN" else ""),
                "kind": KIND_OVERRIDES.get(s.code, s.type),
                "is_current": True,
                "successor_id": None,
            }
    # Viet Nam, 1 July 2025: the first province listed for each new unit keeps its ISO code
    # and grows; the others become predecessors of it.
    keeper: dict[str, str] = {}
    for r in _merger_rows():
        code = r["absorbed_iso_code"]
        row = rows[code]
        if r["new_name"] not in keeper:
            keeper[r["new_name"]] = code
            row.update(name=r["new_name"], local_name=r["new_local_name"])
        else:
            row.update(
                name=r["absorbed_name"],
                local_name=r["absorbed_name"],
                is_current=False,
                successor_id=keeper[r["new_name"]],
            )
    fields = ["country_id", "name", "local_name", "kind", "is_current", "successor_id"]
    created, changed = _sync(Province, rows, fields)
    for code, row in rows.items():
        row["iso_name"] = iso_names[code]
    return rows, created, changed


def _current(code: str, provinces: dict[str, dict]) -> str:
    seen = set()
    while provinces[code]["successor_id"] and code not in seen:
        seen.add(code)
        code = provinces[code]["successor_id"]
    return code


def _load_aliases(provinces: dict[str, dict]) -> tuple[int, int, set[str]]:
    """Other names of each province, attached to the current unit: pycountry's spelling,
    the local-script name, everyday spellings, and the names of the units it absorbed."""
    wanted: dict[tuple[str, str], tuple[str, str]] = {}

    def add(code: str, name: str, reason: str) -> None:
        name = name.strip()
        target = _current(code, provinces)
        if target != code:
            reason = "merger"
        folded = fold(name)[:100]
        if not name or folded == fold(provinces[target]["name"]):
            return
        wanted.setdefault((target, folded), (name[:100], reason))

    for code, row in provinces.items():
        add(code, row["local_name"], "local")
        add(code, row["iso_name"], "iso")
        add(code, row["name"], "spelling")
    for r in _merger_rows():
        add(r["absorbed_iso_code"], r["absorbed_name"], "iso")
    for r in _csv("provinces-aliases.csv"):
        add(r["code"], r["alias"], r["reason"])

    existing = set(
        ProvinceAlias.objects.filter(province_id__in=list(provinces)).values_list(
            "province_id", "folded"
        )
    )
    new = [
        ProvinceAlias(province_id=code, folded=folded, name=name, reason=reason)
        for (code, folded), (name, reason) in wanted.items()
        if (code, folded) not in existing
    ]
    ProvinceAlias.objects.bulk_create(new, batch_size=500)
    return len(wanted), len(new), {a.province_id for a in new}


def _reindex_places(countries: set[str], provinces: set[str]) -> None:
    if not countries and not provinces:
        return
    ids = Organisation.objects.filter(
        models.Q(country_id__in=countries) | models.Q(province_id__in=provinces)
    ).values_list("id", flat=True)
    reindex_organisations(list(ids))


def _refresh_province_search_text() -> None:
    names: dict[str, list[str]] = defaultdict(list)
    for code, name in ProvinceAlias.objects.values_list("province_id", "name"):
        names[code].append(name)
    changed = []
    for p in Province.objects.filter(country_id__in=REGION):
        text = search_document(p.name, p.local_name, *names[p.code])
        if p.search_text != text:
            p.search_text = text
            changed.append(p)
    Province.objects.bulk_update(changed, ["search_text"], batch_size=500)


def _load_corridors(provinces: dict[str, dict]) -> tuple[int, int, set[str]]:
    with open(GEO_DIR / "corridors.json", encoding="utf-8") as f:
        corridors = json.load(f)
    created, relinked = 0, set()
    for c in corridors:
        codes = {_current(code, provinces) for code in c.get("provinces", [])}
        codes |= {
            code
            for code, row in provinces.items()
            if row["country_id"] in c.get("countries", []) and row["is_current"]
        }
        corridor, was_created = EconomicCorridor.objects.update_or_create(
            slug=c["slug"], defaults={"name": c["name"], "description": c["description"]}
        )
        created += was_created
        before = set(corridor.provinces.values_list("code", flat=True))
        if before != codes:
            corridor.provinces.set(sorted(codes))
            relinked |= before ^ codes
    return created, len(corridors), relinked


def _load_crossings(provinces: dict[str, dict]) -> tuple[int, int]:
    with open(DATA_DIR / "border-crossings.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    created = 0
    for r in rows:
        _, was_created = BorderCrossing.objects.update_or_create(
            name=r["name"],
            defaults={
                "province_a_id": _current(r["iso_a"], provinces),
                "province_b_id": _current(r["iso_b"], provinces),
                "mode": r["mode"],
            },
        )
        created += was_created
    return created, len(rows)


def _load_hs_codes() -> tuple[int, int]:
    """HS 2022 chapters, headings and subheadings; the file's TOTAL root is dropped."""
    with open(DATA_DIR / "hs" / "harmonized-system.csv", encoding="utf-8", newline="") as f:
        rows = {
            r["hscode"]: {
                "description": r["description"],
                "level": int(r["level"]),
                "parent_id": None if r["parent"] == "TOTAL" else r["parent"],
                "section": "" if r["section"] == "TOTAL" else r["section"],
            }
            for r in csv.DictReader(f)
            if r["hscode"] != "TOTAL"
        }
    fields = ["description", "level", "parent_id", "section"]
    existing = {
        code: dict(zip(fields, values, strict=True))
        for code, *values in HSCode.objects.values_list("code", *fields)
    }
    created = 0
    # Parents before children, so that the foreign keys hold at every step.
    for level in (2, 4, 6):
        new = [
            HSCode(code=code, **values)
            for code, values in rows.items()
            if values["level"] == level and code not in existing
        ]
        HSCode.objects.bulk_create(new, batch_size=1000)
        created += len(new)
    changed = [
        HSCode(code=code, **values)
        for code, values in rows.items()
        if code in existing and existing[code] != values
    ]
    if changed:
        HSCode.objects.bulk_update(changed, fields, batch_size=1000)
    return len(rows), created


# --- Resolving what people write ------------------------------------------------------------

_DROP_CATEGORIES = ("Z", "P", "S", "C")
# Generic words around a province name ("Siem Reap Province", "Thành phố Hà Nội",
# "จังหวัดเชียงใหม่", "ရန်ကုန်တိုင်းဒေသကြီး"), compared after folding and removing spaces.
_PREFIXES = tuple(
    sorted(
        (
            "province",
            "provincia",
            "thanhpho",
            "tinh",
            "tp",
            "changwat",
            "khet",
            "khaet",
            "krong",
            "cityof",
            "จังหวัด",
            "ແຂວງ",
            "ນະຄອນຫຼວງ",
            "ខេត្ត",
            "រាជធានី",
            "ក្រុង",
        ),
        key=len,
        reverse=True,
    )
)
_SUFFIXES = tuple(
    sorted(
        (
            "province",
            "prov",
            "city",
            "municipality",
            "region",
            "division",
            "state",
            "prefecture",
            "capital",
            "unionterritory",
            "metropolis",
            "တိုင်းဒေသကြီး",
            "ပြည်နယ်",
            "တိုင်း",
            "ပြည်ထောင်စုနယ်မြေ",
        ),
        key=len,
        reverse=True,
    )
)
_CODE_RE = re.compile(r"^\s*([A-Za-z]{2})\s*[-_ ]?\s*([A-Za-z0-9]{1,3})\s*$")


def _key(text: str) -> str:
    """Folded text without spaces, punctuation or dashes: 'Bà Rịa - Vũng Tàu' and
    'Ba Ria-Vung Tau' give the same key, and so do 'Lop Buri' and 'Lopburi'."""
    folded = fold(text)
    return "".join(ch for ch in folded if not unicodedata.category(ch).startswith(_DROP_CATEGORIES))


def _strip_affixes(key: str) -> str:
    for prefix in _PREFIXES:
        p = _key(prefix) or prefix
        if key.startswith(p) and len(key) - len(p) >= 2:
            key = key[len(p) :]
            break
    for suffix in _SUFFIXES:
        s = _key(suffix)
        if key.endswith(s) and len(key) - len(s) >= 2:
            key = key[: -len(s)]
            break
    return key


class ProvinceResolver:
    """Every name of every province in memory (two queries), to resolve many texts cheaply."""

    def __init__(
        self,
        provinces: Iterable[Province] | None = None,
        aliases: Iterable[tuple[str, str]] | None = None,
    ) -> None:
        if provinces is None:
            provinces = Province.objects.all()
        if aliases is None:
            aliases = ProvinceAlias.objects.values_list("province_id", "name")
        self.provinces: dict[str, Province] = {p.code: p for p in provinces}
        self._names: dict[str, set[str]] = defaultdict(set)
        for p in self.provinces.values():
            for name in (p.name, p.local_name):
                self._add(name, p.code)
        for code, name in aliases:
            if code in self.provinces:
                self._add(name, code)

    def _add(self, name: str, code: str) -> None:
        key = _key(name or "")
        if key:
            self._names[key].add(code)

    def current(self, province: Province) -> Province:
        """The unit that holds a province's territory today (itself unless merged)."""
        seen = set()
        while province.successor_id and province.successor_id in self.provinces:
            if province.code in seen:
                break
            seen.add(province.code)
            province = self.provinces[province.successor_id]
        return province

    def resolve(self, text: str, country: str | None = None) -> Province | None:
        """The current province meant by an ISO code or any of its names, or None when the
        text names no province or several (then the caller should ask)."""
        text = (text or "").strip()
        if not text:
            return None
        country = country.upper() if country else None
        m = _CODE_RE.match(text)
        if m:
            code = f"{m.group(1)}-{m.group(2)}".upper()
            if code in self.provinces and (country is None or code.startswith(country + "-")):
                return self.current(self.provinces[code])
        key = _key(text)
        for candidate_key in dict.fromkeys((key, _strip_affixes(key))):
            found = self._lookup(candidate_key, country)
            if found is not _MISSING:
                return found
        return None

    def _lookup(self, key: str, country: str | None) -> Province | None | object:
        codes = self._names.get(key)
        if not codes:
            return _MISSING
        found = {self.current(self.provinces[c]).code for c in codes}
        if country:
            found = {c for c in found if self.provinces[c].country_id == country}
            if not found:
                return _MISSING
        # Several provinces share the name ("Viangchan"): refuse to guess.
        return self.provinces[found.pop()] if len(found) == 1 else None


_MISSING = object()


def resolve_province(text: str, country: str | None = None) -> Province | None:
    """The current province meant by `text` (see ProvinceResolver; build one for many rows)."""
    return ProvinceResolver().resolve(text, country)


def normalise_hs_code(text: str) -> str | None:
    """Digits of an HS code as stored ('0804.50' -> '080450'), or None when it cannot be one.

    A leading zero lost by a spreadsheet is put back ('80450' -> '080450'), and national
    tariff lines of 8 or 10 digits are cut to their 6-digit HS subheading.
    """
    text = (text or "").strip()
    if not text or not re.fullmatch(r"[\d\s.\-]+", text):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) % 2:
        digits = "0" + digits
    if len(digits) in (8, 10):
        digits = digits[:6]
    return digits if len(digits) in (2, 4, 6) else None


def resolve_hs_code(text: str) -> HSCode | None:
    """The HS chapter, heading or subheading written as '080450', '0804.50', '0804 50' or
    '08.04.50', or None when there is no such code."""
    code = normalise_hs_code(text)
    if code is None:
        return None
    return HSCode.objects.filter(code=code).first()
