"""Database rows → the matching engine's plain records (Offer, Query) and stored vector bytes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.conf import settings

from corridor.matching.embedding import Embedder, HashEmbedder, default_embedder
from corridor.matching.engine import GUESS_TOP
from corridor.matching.records import Certification, Offer, Query
from corridor.matching.units import Quantity

# Directory unit codes the engine spells differently.
_UNITS = {"pieces": "piece", "sets": "set", "container20": "container_20ft"}
# A request's frequency as the period of its quantity (one-off and seasonal have none).
_FREQUENCY_PERIOD = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}

# The columns of Product the catalog needs (one query, no model instances).
PRODUCT_COLUMNS = (
    "id",
    "name",
    "local_name",
    "description",
    "hs_code_id",
    "capacity_amount",
    "capacity_unit",
    "capacity_period",
    "markets",
    "embedding",
    "hs_guess",
    "organisation_id",
    "organisation__name",
    "organisation__slug",
    "organisation__kind",
    "organisation__country_id",
    "organisation__is_published",
    "organisation__cluster_id",
)

_hash_embedder: HashEmbedder | None = None


def get_embedder() -> Embedder:
    """The embedder chosen by settings.CORRIDOR["EMBEDDER"]: "e5" (default) or "hash"."""
    global _hash_embedder
    if settings.CORRIDOR.get("EMBEDDER", "e5") == "hash":
        if _hash_embedder is None:
            _hash_embedder = HashEmbedder()
        return _hash_embedder
    return default_embedder()


def vector_to_bytes(vector: np.ndarray) -> bytes:
    """float16 bytes: half the size of float32, and cosines stay within 1e-3."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def vector_from_bytes(data: bytes | memoryview | None, dim: int) -> np.ndarray | None:
    """The stored vector, or None when absent or made by a model of another size."""
    if not data:
        return None
    raw = bytes(data)
    if len(raw) != 2 * dim:
        return None
    vector = np.frombuffer(raw, dtype=np.float16).astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


# A product's HS guess as stored: headings, subheadings (int32) and their probabilities
# (float32), GUESS_TOP each, in the order of HsSuggester.guess.
_GUESS_PARTS = (np.int32, np.float32, np.int32, np.float32)


def guess_to_bytes(heads, probs, codes, code_probs) -> bytes:
    """One product's guess (four rows of GUESS_TOP values) as bytes for Product.hs_guess."""
    return b"".join(
        np.asarray(part, dtype=kind).tobytes()
        for part, kind in zip((heads, probs, codes, code_probs), _GUESS_PARTS, strict=True)
    )


def guess_from_bytes(data: bytes | memoryview | None, top: int) -> tuple[np.ndarray, ...] | None:
    """The stored guess as four arrays of `top` values, or None when absent or of another size."""
    if not data:
        return None
    raw = bytes(data)
    if len(raw) != 16 * top:
        return None
    parts, at = [], 0
    for kind in _GUESS_PARTS:
        parts.append(np.frombuffer(raw, dtype=kind, count=top, offset=at))
        at += 4 * top
    return tuple(parts)


def _quantity(amount: Any, unit: str, per: str | None) -> Quantity | None:
    if amount is None or not unit:
        return None
    return Quantity.parse({"amount": float(amount), "unit": _UNITS.get(unit, unit), "per": per})


def product_text(name: str, local_name: str = "", description: str = "") -> tuple[str, str]:
    """(title, description) as indexed: the local name joins the title so both scripts match."""
    title = " / ".join(p for p in (name.strip(), (local_name or "").strip()) if p)
    return title, (description or "").strip()


def product_offer(row: dict[str, Any], certifications: Iterable[Certification] = ()) -> Offer:
    """An Offer from a `values(*PRODUCT_COLUMNS)` row and the certifications that apply to it."""
    title, description = product_text(row["name"], row.get("local_name", ""), row["description"])
    return Offer(
        id=row["id"],
        title=title or str(row["id"]),
        description=description,
        hs_code=row.get("hs_code_id") or "",
        country=(row.get("organisation__country_id") or "").upper(),
        certifications=tuple(certifications),
        capacity=_quantity(
            row.get("capacity_amount"), row.get("capacity_unit", ""), row.get("capacity_period")
        ),
        markets=tuple(str(m).upper() for m in row.get("markets") or []),
    )


def certification_record(kind: str, valid_until: dt.date | None) -> Certification | None:
    return Certification.parse({"code": kind, "expires": valid_until})


def request_query(req) -> Query:
    """A Query from a SourcingRequest (hard constraints: certifications, quantity)."""
    certs = []
    for value in req.required_certifications or []:
        cert = Certification.parse(value)
        if cert:
            certs.append(cert.code)
    text = ". ".join(p.strip() for p in (req.title, req.description) if p and p.strip())
    return Query(
        id=req.pk,
        text=text,
        hs_code=req.hs_code_id or "",
        certifications=tuple(dict.fromkeys(certs)),
        quantity=_quantity(
            req.quantity_amount, req.quantity_unit, _FREQUENCY_PERIOD.get(req.frequency)
        ),
        destination=(req.destination_id or "").upper(),
        countries=tuple(str(c).upper() for c in req.preferred_countries or []),
    )


def request_guess(req) -> tuple[np.ndarray, ...] | None:
    """The request's stored HS guess (None when absent, or when the row was read without it)."""
    if "hs_guess" in req.get_deferred_fields():
        return None
    return guess_from_bytes(req.hs_guess, GUESS_TOP)


def query_vector(req, embedder: Embedder) -> np.ndarray:
    """The request's stored query vector, or one computed now (and cached by the embedder)."""
    stored = vector_from_bytes(req.embedding, embedder.dim)
    if stored is not None:
        return stored
    query = request_query(req)
    return embedder.embed_queries([query.text or query.hs_code])[0]
