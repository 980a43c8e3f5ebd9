"""Why an offer ranks where it does: structured reasons that render to translated sentences."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from corridor.matching.vocab import certification_label, gettext_noop

# code -> English template; params fill %(name)s. makemessages extracts the gettext_noop calls.
TEMPLATES: dict[str, str] = {
    "hs_match": gettext_noop("HS %(code)s matches"),
    "hs_heading": gettext_noop("same HS heading %(code)s"),
    "hs_chapter": gettext_noop("same HS chapter %(code)s"),
    "hs_other": gettext_noop("a different product (HS %(code)s)"),
    "text_match": gettext_noop("description matches: %(terms)s"),
    "similar": gettext_noop("similar product description"),
    "cert_held": gettext_noop("holds %(cert)s certification"),
    "cert_missing": gettext_noop("lacks %(cert)s certification"),
    "cert_expired": gettext_noop("%(cert)s certification expired on %(date)s"),
    "capacity_ok": gettext_noop("capacity %(capacity)s ≥ %(requested)s requested"),
    "capacity_short": gettext_noop("capacity %(capacity)s < %(requested)s requested"),
    "capacity_unknown": gettext_noop(
        "capacity %(capacity)s cannot be compared with %(requested)s requested"
    ),
    "exports_to": gettext_noop("already exports to %(country)s"),
    "not_exports_to": gettext_noop("does not export to %(country)s yet"),
    "country_preferred": gettext_noop("based in %(country)s, a preferred country"),
    "country_other": gettext_noop("based in %(country)s, not a preferred country"),
}
# Reasons that describe a failed hard constraint (the offer is a near-miss).
HARD_FAILURES = frozenset({"hs_other", "cert_missing", "cert_expired", "capacity_short"})

# The one-phrase verdict shown beside a match's score: what a reader may conclude from it.
VERDICTS: dict[str, str] = {
    "meets": gettext_noop("meets all requirements"),
    "partial": gettext_noop("weak match"),
    "check": gettext_noop("requirements to check"),
    "near": gettext_noop("near match"),
    "other": gettext_noop("different product"),
}
# Below this score a match meeting every hard constraint is still only a weak one: its text
# and HS code say little (a 24% score beside "meets all requirements" misled readers).
STRONG_SCORE = 0.4
# Reasons that leave a requirement open: the offer cannot be said to meet it.
_UNDECIDED = frozenset({"capacity_unknown"})


def verdict(score: float, reasons: list[Reason]) -> str:
    """A key of VERDICTS for a match. "near match" is kept for the same product missing a
    requirement; an offer in another HS chapter is a different product, whatever else holds."""
    codes = {r.code for r in reasons}
    if "hs_other" in codes:
        return "other"
    if codes & HARD_FAILURES:
        return "near"
    if score < STRONG_SCORE:
        return "partial"
    if codes & _UNDECIDED:
        return "check"
    return "meets"


def verdict_label(key: str) -> str:
    """The verdict in the active language."""
    return _gettext(VERDICTS[key])


# Params holding a country code or a certification code, localised at render time.
_COUNTRY_PARAMS = frozenset({"country"})
_CERT_PARAMS = frozenset({"cert"})


@dataclass(frozen=True)
class Reason:
    """A reason as data (code + params), for templates and APIs; str() gives the sentence."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_failure(self) -> bool:
        return self.code in HARD_FAILURES

    def render(self) -> str:
        return render(self)

    def __str__(self) -> str:
        return render(self)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params), "text": render(self)}


def _django_active() -> bool:
    try:
        from django.conf import settings

        return bool(settings.configured)
    except ImportError:
        return False


def _gettext(message: str) -> str:
    if _django_active():
        from django.utils.translation import gettext

        return gettext(message)
    return message


def _language() -> str:
    if _django_active():
        from django.utils.translation import get_language

        return (get_language() or "en").split("-")[0]
    return "en"


@functools.cache
def _country_translation(language: str):
    import gettext as gettext_module

    import pycountry

    return gettext_module.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def country_name(code: str, language: str | None = None) -> str:
    """A country's common name ('LA' -> 'Laos'), in the active language when there is one."""
    import pycountry

    country = pycountry.countries.get(alpha_2=(code or "").upper())
    if country is None:
        return code
    name = getattr(country, "common_name", None) or country.name
    language = language or _language()
    if language != "en":
        # pycountry ships the iso-codes translations, keyed by the official English name.
        translated = _country_translation(language).gettext(country.name)
        if translated != country.name:
            return translated
    return name


def render(reason: Reason) -> str:
    """The reason as a sentence in the active language (English without Django)."""
    template = TEMPLATES.get(reason.code)
    if template is None:
        return reason.code
    params = dict(reason.params)
    for key in params.keys() & _COUNTRY_PARAMS:
        params[key] = country_name(params[key])
    for key in params.keys() & _CERT_PARAMS:
        params[key] = _gettext(certification_label(params[key]))
    return _gettext(template) % params
