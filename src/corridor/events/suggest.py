"""'Suggested for you': the matching engine (`corridor.matching`) ranks an event's participants
for one of them, in both directions, with the engine's reasons.

Two engine indexes per event: what each participant offers (its offers at this event, product
focus and product names; one entry per HS code offered) and what each looks for (one entry per
HS code wanted). A viewer's "looks for" is ranked against the first, their offers against the
second, as the supplier page ranks offers for a sourcing request (BM25 over the region's
scripts and glossary concepts, HS code levels, embeddings). An offer's vector is the mean of its
organisation's stored product vectors (embedded by the matching app's background task): a page
never embeds thousands of texts. Entries without one compete on words and HS codes only.

The indexes are built once per process and participants' version (approvals, new registrations;
a large event's at most every five minutes); each viewer's ranking is cached per (event, that
version, viewer): a page costs a version query, a cache read, and its own reads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max

from corridor.events.models import Event, Registration
from corridor.matching import adapters
from corridor.matching.engine import Matcher, Weights
from corridor.matching.reasons import Reason
from corridor.matching.records import Match, Offer, Query

DEPTH = 200  # ranked entries kept per direction: enough for ten suggestions after grouping
KEEP = 60  # participants cached per viewer (people already asked are removed when read)
SUPPLIER_KINDS = {"sme", "cluster"}
COMPLEMENT_BONUS = 0.05  # a buyer and a supplier: a small push, never ahead of a real match


@dataclass
class EventIndex:
    version: str
    offers: Matcher
    wants: Matcher
    kinds: dict[int, str]  # registration id -> organisation kind
    built_at: float = 0.0


@dataclass(frozen=True)
class Ranked:
    """One participant for one viewer: the engine's score and reasons in each direction."""

    registration_id: int
    score: float
    offers: tuple[Reason, ...]  # why what they offer fits what the viewer looks for
    wants: tuple[Reason, ...]  # why what they look for fits what the viewer offers
    complement: bool


_lock = threading.Lock()
_indexes: OrderedDict[int, EventIndex] = OrderedDict()
_MAX_EVENTS = 4
# A large event's indexes take seconds to build (10 s for 5,000 participants on a loaded
# machine): while registrations come in, they are rebuilt at most this often and the last ones
# serve meanwhile (a newcomer is suggested within minutes). Small events are always current.
STALE_AFTER = 300.0
LARGE_EVENT = 500


def participants_version(event: Event) -> str:
    """Changes when an approved participant comes, goes or changes status (1 query)."""
    row = event.registrations.filter(status=Registration.Status.APPROVED).aggregate(
        n=Count("id"), last=Max("id"), decided=Max("decided_at")
    )
    raw = f"{event.pk}:{event.created_at.timestamp()}:{row['n']}:{row['last']}:{row['decided']}"
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def _rows(event: Event) -> list[dict]:
    regs = list(
        event.registrations.filter(status=Registration.Status.APPROVED)
        .select_related("organisation")
        .prefetch_related("offer_hs_codes", "wanted_hs_codes")
        .order_by("pk")
    )
    from corridor.directory.models import Product

    names: dict[int, list[str]] = {}
    vectors: dict[int, list[np.ndarray]] = {}
    dim = adapters.get_embedder().dim
    products = Product.objects.filter(
        organisation_id__in={r.organisation_id for r in regs}, is_active=True
    ).values_list("organisation_id", "name", "embedding")
    for org_id, name, embedding in products.iterator(chunk_size=2000):
        names.setdefault(org_id, []).append(name)
        vector = adapters.vector_from_bytes(embedding, dim)
        if vector is not None:
            vectors.setdefault(org_id, []).append(vector)
    out = []
    for r in regs:
        org = r.organisation
        stored = vectors.get(org.pk)
        vector = None
        if stored:
            mean = np.mean(stored, axis=0)
            norm = float(np.linalg.norm(mean))
            vector = mean / norm if norm > 0 else None
        out.append(
            {
                "id": r.pk,
                "kind": org.kind,
                "country": org.country_id or "",
                "offers": " ".join(
                    p for p in (org.product_focus or "", *names.get(org.pk, [])[:10]) if p
                ),
                "offers_text": r.offers,
                "looks_for": r.looks_for,
                "offer_codes": [h.code for h in r.offer_hs_codes.all()] or [""],
                "wanted_codes": [h.code for h in r.wanted_hs_codes.all()] or [""],
                "vector": vector,
            }
        )
    return out


def _matcher(offers: list[Offer], vectors: np.ndarray) -> Matcher:
    embedder = adapters.get_embedder()
    weights = dataclasses.replace(Weights(), candidates=DEPTH)
    return Matcher(embedder=embedder, weights=weights, index_kind="exact").build(offers, vectors)


def _build(event: Event, version: str) -> EventIndex:
    rows = _rows(event)
    dim = adapters.get_embedder().dim
    zero = np.zeros(dim, dtype=np.float32)
    offers, offer_vectors, wants = [], [], []
    for row in rows:
        for code in row["offer_codes"]:
            offers.append(
                Offer(
                    id=row["id"],
                    title=row["offers"],
                    description=row["offers_text"],
                    hs_code=code,
                    country=row["country"],
                )
            )
            offer_vectors.append(row["vector"] if row["vector"] is not None else zero)
        for code in row["wanted_codes"]:
            wants.append(Offer(id=row["id"], title=row["looks_for"], hs_code=code))
    offer_matrix = np.vstack(offer_vectors) if offer_vectors else np.zeros((0, dim), np.float32)
    want_matrix = np.zeros((len(wants), dim), dtype=np.float32)
    return EventIndex(
        version=version,
        offers=_matcher(offers, offer_matrix),
        wants=_matcher(wants, want_matrix),
        kinds={row["id"]: row["kind"] for row in rows},
        built_at=time.monotonic(),
    )


def event_index(event: Event, version: str | None = None) -> EventIndex:
    """The event's engine indexes, rebuilt only when its participants changed."""
    version = version or participants_version(event)
    with _lock:
        current = _indexes.get(event.pk)
        if current is not None and (
            current.version == version
            or (
                len(current.kinds) > LARGE_EVENT
                and time.monotonic() - current.built_at < STALE_AFTER
            )
        ):
            _indexes.move_to_end(event.pk)
            return current
    built = _build(event, version)
    with _lock:
        _indexes[event.pk] = built
        _indexes.move_to_end(event.pk)
        while len(_indexes) > _MAX_EVENTS:
            _indexes.popitem(last=False)
    return built


def forget() -> None:
    """Drop the in-process indexes (tests)."""
    with _lock:
        _indexes.clear()


def _best(matcher: Matcher, queries: list[tuple[Query, np.ndarray]]) -> dict[int, Match]:
    """Each participant's best entry over the viewer's queries (one per HS code)."""
    best: dict[int, Match] = {}
    for query, vector in queries:
        for match in matcher.rank_with_vector(query, vector, top=DEPTH):
            score = match.score if match.passes else match.score / 2
            held = best.get(match.offer_id)
            if held is None or score > (held.score if held.passes else held.score / 2):
                best[match.offer_id] = match
    return best


def _queries(me_id: int, text: str, codes: list[str], vector: np.ndarray) -> list:
    return [
        (Query(id=me_id, text=text, hs_code=code), vector) for code in codes if text.strip() or code
    ]


def rank(event: Event, me: Registration) -> list[Ranked]:
    """Every other participant the engine finds for `me`, best first (cached per viewer)."""
    version = participants_version(event)
    mine_now = f"{me.offers}\0{me.looks_for}\0{me.organisation.product_focus}"
    digest = hashlib.blake2b(mine_now.encode(), digest_size=6).hexdigest()
    key = f"events:suggest:{event.pk}:{version}:{me.pk}:{digest}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    index = event_index(event, version)
    embedder = adapters.get_embedder()
    looks_for = me.looks_for or ""
    my_offers = " ".join(
        p for p in (me.offers, me.organisation.product_focus or "") if p and p.strip()
    )
    wanted = [h.code for h in me.wanted_hs_codes.all()] or [""]
    offered = [h.code for h in me.offer_hs_codes.all()] or [""]
    query_vector = (
        embedder.embed_queries([looks_for])[0]
        if looks_for.strip()
        else np.zeros(embedder.dim, dtype=np.float32)
    )
    they_offer = _best(index.offers, _queries(me.pk, looks_for, wanted, query_vector))
    # The looks-for entries carry no vectors: words and HS codes decide that direction.
    zero = np.zeros(embedder.dim, dtype=np.float32)
    they_want = _best(index.wants, _queries(me.pk, my_offers, offered, zero))
    mine = index.kinds.get(me.pk, me.organisation.kind)
    out = []
    for reg_id in (set(they_offer) | set(they_want)) - {me.pk}:
        a, b = they_offer.get(reg_id), they_want.get(reg_id)
        score = sum((m.score if m.passes else m.score / 2) for m in (a, b) if m is not None)
        kinds = {mine, index.kinds.get(reg_id, "")}
        complement = "buyer" in kinds and bool(kinds & SUPPLIER_KINDS)
        if complement:
            score += COMPLEMENT_BONUS
        reasons_a = tuple(r for r in (a.reasons if a else ()) if not r.is_failure)
        reasons_b = tuple(r for r in (b.reasons if b else ()) if not r.is_failure)
        if not (reasons_a or reasons_b):
            continue  # only a weak vector neighbour: nothing to tell the viewer
        out.append(Ranked(reg_id, round(score, 6), reasons_a, reasons_b, complement))
    out.sort(key=lambda r: (-r.score, r.registration_id))
    out = out[:KEEP]
    # Ranked on older indexes (a large event between rebuilds): kept only until they are new.
    cache.set(key, out, 3600 if index.version == version else 60)
    return out
