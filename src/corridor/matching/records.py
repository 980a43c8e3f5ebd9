"""Plain records the matching engine takes and gives: offers, queries, certifications, matches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from corridor.matching.hs import normalise_code
from corridor.matching.reasons import Reason
from corridor.matching.units import Quantity
from corridor.matching.vocab import normalise_certification


class RecordError(ValueError):
    """A row that cannot become an Offer or a Query (the message says why)."""


@dataclass(frozen=True, slots=True)
class Certification:
    """A certification an offer holds, with its expiry date when known."""

    code: str
    expires: dt.date | None = None

    @classmethod
    def parse(cls, value: Any) -> Certification | None:
        """From "organic", {"code": "organic", "expires": "2027-01-01"} or a Certification."""
        if isinstance(value, Certification):
            return value
        expires = None
        if isinstance(value, dict):
            raw = value.get("code")
            if value.get("expires"):
                expires = _parse_date(value["expires"])
        else:
            raw = value
        code = normalise_certification(raw) or (str(raw).strip().casefold() if raw else None)
        return cls(code, expires) if code else None

    def valid_on(self, day: dt.date) -> bool:
        return self.expires is None or self.expires >= day


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise RecordError(f"bad date {value!r}") from exc


def _countries(values: Iterable[str] | str | None) -> tuple[str, ...]:
    if not values:
        return ()
    if isinstance(values, str):
        values = [values]
    return tuple(dict.fromkeys(str(v).strip().upper() for v in values if v))


def _quantity(data: Any, name: str) -> Quantity | None:
    if data is None:
        return None
    quantity = Quantity.parse(data)
    if quantity is None:
        raise RecordError(f"bad {name} {data!r}: need amount ≥ 0 and a known unit")
    return quantity


def _require_id(row: dict) -> str:
    if not isinstance(row, dict):
        raise RecordError("a row must be a JSON object")
    value = row.get("id")
    if value in (None, "") or isinstance(value, bool):
        raise RecordError("missing id")
    if not isinstance(value, str | int):
        raise RecordError("id must be a string or an integer")
    return value


@dataclass(frozen=True, slots=True)
class Offer:
    """What a seller offers: a product with its structured facts."""

    id: Any
    title: str = ""
    description: str = ""
    hs_code: str = ""
    country: str = ""
    certifications: tuple[Certification, ...] = ()
    capacity: Quantity | None = None
    markets: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The text that is indexed (lexically and as a vector)."""
        return ". ".join(p.strip() for p in (self.title, self.description) if p and p.strip())

    @classmethod
    def from_dict(cls, row: dict) -> Offer:
        """From a catalog row (see `corridor match rank`); raises RecordError on bad rows."""
        offer_id = _require_id(row)
        title = str(row.get("title") or row.get("name") or "")
        description = str(row.get("description") or row.get("text") or "")
        if not (title or description):
            raise RecordError("an offer needs a title or a description")
        certs = [Certification.parse(c) for c in row.get("certifications") or []]
        return cls(
            id=offer_id,
            title=title,
            description=description,
            hs_code=normalise_code(row.get("hs_code")),
            country=str(row.get("country") or "").strip().upper(),
            certifications=tuple(c for c in certs if c),
            capacity=_quantity(row.get("capacity"), "capacity"),
            markets=_countries(row.get("markets")),
        )


@dataclass(frozen=True, slots=True)
class Query:
    """What a buyer asks for: text, and the structured constraints of a sourcing request."""

    id: Any
    text: str = ""
    hs_code: str = ""
    certifications: tuple[str, ...] = ()
    quantity: Quantity | None = None
    destination: str = ""
    countries: tuple[str, ...] = ()
    # A stored HS guess of the text (HsSuggester.guess's four rows of GUESS_TOP values): the
    # ranking's HS agreement uses it instead of guessing again (a saved sourcing request, an
    # event participant). None: guessed by the matcher's guesser (if it has one); (): none.
    guess: tuple | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_dict(cls, row: dict) -> Query:
        """From a query row (see `corridor match rank`); raises RecordError on bad rows."""
        query_id = _require_id(row)
        text = str(row.get("text") or row.get("title") or "")
        hs_code = normalise_code(row.get("hs_code"))
        if not (text or hs_code):
            raise RecordError("a query needs a text or an HS code")
        certs = []
        for value in row.get("certifications") or []:
            cert = Certification.parse(value)
            if cert:
                certs.append(cert.code)
        return cls(
            id=query_id,
            text=text,
            hs_code=hs_code,
            certifications=tuple(dict.fromkeys(certs)),
            quantity=_quantity(row.get("quantity"), "quantity"),
            destination=str(row.get("destination") or "").strip().upper(),
            countries=_countries(row.get("countries")),
        )


@dataclass(slots=True)
class Match:
    """One ranked offer: its score, whether it meets the hard constraints, and why."""

    offer_id: Any
    score: float
    passes: bool
    reasons: list[Reason] = field(default_factory=list)
    signals: dict[str, float] = field(default_factory=dict)

    @property
    def missing(self) -> list[Reason]:
        """The hard constraints it fails (empty when it passes)."""
        return [r for r in self.reasons if r.is_failure]

    def reason_texts(self) -> list[str]:
        return [r.render() for r in self.reasons]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.offer_id, "score": round(self.score, 4), "reasons": self.reason_texts()}
