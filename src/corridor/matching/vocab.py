"""Certification vocabulary: codes, English labels (marked for translation) and spellings."""

from __future__ import annotations

import re


def gettext_noop(message: str) -> str:
    """Mark a string for extraction by makemessages; it is translated when rendered."""
    return message


CERTIFICATIONS: dict[str, str] = {
    "organic": gettext_noop("organic"),
    "gap": gettext_noop("GAP (good agricultural practice)"),
    "globalgap": gettext_noop("GLOBALG.A.P."),
    "gmp": gettext_noop("GMP (good manufacturing practice)"),
    "haccp": gettext_noop("HACCP"),
    "halal": gettext_noop("halal"),
    "kosher": gettext_noop("kosher"),
    "fair_trade": gettext_noop("Fair Trade"),
    "rainforest": gettext_noop("Rainforest Alliance"),
    "gi": gettext_noop("geographical indication"),
    "iso22000": gettext_noop("ISO 22000"),
    "fssc22000": gettext_noop("FSSC 22000"),
    "iso9001": gettext_noop("ISO 9001"),
    "iso14001": gettext_noop("ISO 14001"),
    "brc": gettext_noop("BRCGS"),
    "ifs": gettext_noop("IFS Food"),
    "fsc": gettext_noop("FSC"),
    "pefc": gettext_noop("PEFC"),
    "ocs": gettext_noop("Organic Content Standard"),
    "gots": gettext_noop("GOTS"),
    "oeko_tex": gettext_noop("OEKO-TEX"),
    "bsci": gettext_noop("amfori BSCI"),
    "sa8000": gettext_noop("SA8000"),
    "ce": gettext_noop("CE marking"),
    "fda": gettext_noop("FDA registration"),
    "ocop": gettext_noop("OCOP (One Commune One Product)"),
    "otop": gettext_noop("OTOP (One Tambon One Product)"),
}
# Spellings -> code; keys are compared after removing everything but letters and digits.
_ALIASES: dict[str, str] = {
    "bio": "organic",
    "biologic": "organic",
    "usdaorganic": "organic",
    "euorganic": "organic",
    "jas": "organic",
    "huuco": "organic",
    "vietgap": "gap",
    "thaigap": "gap",
    "aseangap": "gap",
    "cambodiagap": "gap",
    "laogap": "gap",
    "goodagriculturalpractice": "gap",
    "globalgap": "globalgap",
    "goodmanufacturingpractice": "gmp",
    "fairtrade": "fair_trade",
    "fairtradecertified": "fair_trade",
    "fairfortrade": "fair_trade",
    "geographicalindication": "gi",
    "pgi": "gi",
    "pdo": "gi",
    "iso22000": "iso22000",
    "iso220002018": "iso22000",
    "fssc": "fssc22000",
    "iso9001": "iso9001",
    "iso90012015": "iso9001",
    "iso14001": "iso14001",
    "brcgs": "brc",
    "ifsfood": "ifs",
    "oekotex": "oeko_tex",
    "oekotexstandard100": "oeko_tex",
    "amforibsci": "bsci",
    "rainforestalliance": "rainforest",
    "utz": "rainforest",
}
_KEY = re.compile(r"[^a-z0-9]")


def normalise_certification(value: str | None) -> str | None:
    """The vocabulary code for a spelling ('Fair Trade' -> 'fair_trade'), None if unknown."""
    if not value:
        return None
    raw = str(value).strip().casefold()
    if raw in CERTIFICATIONS:
        return raw
    key = _KEY.sub("", raw)
    if key in _ALIASES:
        return _ALIASES[key]
    for code in CERTIFICATIONS:
        if _KEY.sub("", code) == key:
            return code
    return None


def certification_label(code: str) -> str:
    """The English label of a code (the code itself when it is outside the vocabulary)."""
    return CERTIFICATIONS.get(code, code)
