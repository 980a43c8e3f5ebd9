"""HS 2022 nomenclature: loading, code normalisation and hierarchy helpers."""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources

_NON_DIGIT = re.compile(r"[^0-9]")


@dataclass(frozen=True, slots=True)
class HsEntry:
    """One line of the nomenclature: a chapter (2 digits), heading (4) or subheading (6)."""

    code: str
    description: str
    parent: str  # "" for chapters
    section: str


def normalise_code(code: str | int | None) -> str:
    """Digits only, with the leading zero Excel drops restored: '0804.50' -> '080450', 80450 -> '080450'.

    Returns "" for an empty or unusable code. Odd lengths (a lost leading zero) are padded;
    codes longer than 6 digits (national tariff lines) are cut to the international 6.
    """
    if code is None:
        return ""
    digits = _NON_DIGIT.sub("", str(code))
    if not digits:
        return ""
    if len(digits) % 2:
        digits = "0" + digits
    return digits[:6]


def format_code(code: str) -> str:
    """Display form: '080450' -> '0804.50', '0804' -> '0804', '08' -> '08'."""
    code = normalise_code(code)
    return f"{code[:4]}.{code[4:]}" if len(code) == 6 else code


@functools.cache
def nomenclature() -> dict[str, HsEntry]:
    """All HS 2022 entries by code (the synthetic TOTAL row is dropped)."""
    path = resources.files("corridor") / "data" / "hs" / "harmonized-system.csv"
    out: dict[str, HsEntry] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["hscode"]
            if code == "TOTAL" or not code.isdigit():
                continue
            parent = "" if row["parent"] == "TOTAL" else row["parent"]
            out[code] = HsEntry(code, row["description"], parent, row["section"])
    return out


def subheadings() -> list[HsEntry]:
    """The 6-digit subheadings, in code order: the label space of HS suggestion."""
    return [e for c, e in sorted(nomenclature().items()) if len(c) == 6]


def describe(code: str) -> str:
    """The nomenclature's description of a code, or "" when it is not an HS 2022 code."""
    entry = nomenclature().get(normalise_code(code))
    return entry.description if entry else ""


def is_valid(code: str) -> bool:
    """True for an existing HS 2022 chapter, heading or subheading."""
    return normalise_code(code) in nomenclature()


def lineage(code: str) -> list[HsEntry]:
    """The entry and its ancestors, chapter first: [01, 0101, 010121]."""
    table = nomenclature()
    chain: list[HsEntry] = []
    code = normalise_code(code)
    while code and code in table:
        chain.append(table[code])
        code = table[code].parent
    return chain[::-1]


def full_description(code: str) -> str:
    """Chapter, heading and subheading descriptions joined: what the code means on its own.

    Many subheadings read "Other" or repeat only a qualifier; their ancestors carry the noun.
    """
    parts: list[str] = []
    for entry in lineage(code):
        if entry.description not in parts:
            parts.append(entry.description)
    return " — ".join(parts)


def shared_level(a: str, b: str) -> int:
    """How many leading digits two codes share at HS levels: 6, 4, 2 or 0.

    A code given only to 4 digits (a heading) matches every subheading under it at level 4,
    which is the most it can say.
    """
    a, b = normalise_code(a), normalise_code(b)
    for n in (6, 4, 2):
        if len(a) >= n and len(b) >= n and a[:n] == b[:n]:
            return n
    return 0


def match_level(wanted: str, offered: str) -> tuple[int, int]:
    """(shared digits, digits asked for): (4, 4) means "as precise as the request could say"."""
    wanted = normalise_code(wanted)
    return shared_level(wanted, offered), len(wanted)
