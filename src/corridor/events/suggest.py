"""'Suggested for you': the matching engine (`corridor.matching`) ranks an event's participants
for one of them, in both directions, with the engine's reasons.

Two engine indexes per event: what each participant offers (its offers at this event, product
focus and product names; one entry per HS code offered) and what each looks for (one entry per
HS code wanted). A viewer's "looks for" is ranked against the first, their offers against the
second, as the supplier page ranks offers for a sourcing request (BM25 over the region's
scripts and glossary concepts, HS code levels, embeddings). An offer's vector is the mean of its
organisation's stored product vectors (embedded by the matching app's background task); a
"looks for" vector is the registration's own, embedded once by the build (`looks_for_embed`).
Entries without one compete on words and HS codes only.

The indexes are built by a background task (`tasks.suggest_index_build`), never by a page: when
registrations change (`index_outdated`, at most one build queued per event; a large event's
waits a minute for more changes) and on first need. A build is written to a file in the data
folder (shared by the web and worker processes) and named in the cache; each process loads it
once. Until an event has one, the page shows the cheap ranking (`selectors`: HS codes and
words) with a note; while a newer one is built, the last one serves. Each viewer's ranking is
cached per (event, participants' version, index version, viewer).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
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
    offer_vectors: dict[int, np.ndarray]  # registration id -> its organisation's offer vector


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
# A large event's index takes seconds to build (12 s for 5,000 participants on a loaded
# machine): while registrations come in, its build waits this long for more of them.
LARGE_EVENT = 500
DEBOUNCE = 60
QUEUED_FOR = 900  # a queued build that never ran (worker down) is queued again after this
EMBED_BATCH = 64
FIRST_EMBED = 200  # more "looks for" texts to embed than this: a first index without them


def participants_version(event: Event) -> str:
    """Changes when an approved participant comes, goes, changes status or is edited (1 query)."""
    row = event.registrations.filter(status=Registration.Status.APPROVED).aggregate(
        n=Count("id"), last=Max("id"), decided=Max("decided_at"), updated=Max("updated_at")
    )
    raw = (
        f"{event.pk}:{event.created_at.timestamp()}:{row['n']}:{row['last']}:{row['decided']}"
        f":{row['updated']}"
    )
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def _text_digest(text: str) -> str:
    dim = adapters.get_embedder().dim
    return hashlib.blake2b(f"{dim}:{text}".encode(), digest_size=8).hexdigest()


def _looks_for_pending(event: Event) -> list[Registration]:
    """Approved participants whose "looks for" has no vector of its current text yet."""
    rows = event.registrations.filter(status=Registration.Status.APPROVED).exclude(looks_for="")
    return [
        Registration(pk=pk, looks_for=text)
        for pk, text, of in rows.values_list("pk", "looks_for", "looks_for_vector_of")
        if of != _text_digest(text)
    ]


def looks_for_embed(event: Event) -> int:
    """Embed the "looks for" texts of approved participants that have no vector of their current
    text yet, in batches; returns how many were embedded."""
    embedder = adapters.get_embedder()
    todo = _looks_for_pending(event)
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        vectors = embedder.embed_queries([r.looks_for for r in batch])
        for reg, vector in zip(batch, vectors, strict=True):
            reg.looks_for_vector = adapters.vector_to_bytes(vector)
            reg.looks_for_vector_of = _text_digest(reg.looks_for)
        # Not save(): `updated_at` stays, so the participants' version does not change.
        Registration.objects.bulk_update(batch, ["looks_for_vector", "looks_for_vector_of"])
    return len(todo)


def _mean(vectors: list[np.ndarray] | None) -> np.ndarray | None:
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None


def organisation_vector(organisation_id: int) -> np.ndarray | None:
    """The mean of an organisation's stored product vectors (1 query)."""
    from corridor.directory.models import Product

    dim = adapters.get_embedder().dim
    stored = Product.objects.filter(
        organisation_id=organisation_id, is_active=True, embedding__isnull=False
    ).values_list("embedding", flat=True)
    return _mean([v for v in (adapters.vector_from_bytes(e, dim) for e in stored) if v is not None])


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
        current = r.looks_for_vector_of == _text_digest(r.looks_for)
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
                "vector": _mean(vectors.get(org.pk)),
                "wants_vector": (
                    adapters.vector_from_bytes(r.looks_for_vector, dim) if current else None
                ),
            }
        )
    return out


def _matcher(offers: list[Offer], vectors: np.ndarray, bm25=None) -> Matcher:
    embedder = adapters.get_embedder()
    weights = dataclasses.replace(Weights(), candidates=DEPTH)
    return Matcher(embedder=embedder, weights=weights, index_kind="exact").build(
        offers, vectors, bm25=bm25
    )


def _build(event: Event, version: str) -> EventIndex:
    rows = _rows(event)
    dim = adapters.get_embedder().dim
    zero = np.zeros(dim, dtype=np.float32)
    offers, offer_vectors, wants, want_vectors = [], [], [], []
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
            want_vectors.append(row["wants_vector"] if row["wants_vector"] is not None else zero)

    def matrix(vectors: list[np.ndarray]) -> np.ndarray:
        return np.vstack(vectors) if vectors else np.zeros((0, dim), np.float32)

    return EventIndex(
        version=version,
        offers=_matcher(offers, matrix(offer_vectors)),
        wants=_matcher(wants, matrix(want_vectors)),
        kinds={row["id"]: row["kind"] for row in rows},
        offer_vectors={row["id"]: row["vector"] for row in rows if row["vector"] is not None},
    )


# --- storage shared by processes -------------------------------------------------------------


def _folder() -> Path:
    return Path(settings.DATA_DIR) / "events" / "suggest"


def _pointer_key(event_id: int) -> str:
    return f"events:suggest:index:{event_id}"


def _queued_key(event_id: int) -> str:
    return f"events:suggest:queued:{event_id}"


def _dump(index: EventIndex) -> dict:
    """Plain data of an index (no embedder, no vector index object): offers, BM25, vectors."""

    def part(m: Matcher) -> dict:
        return {
            "offers": m.offers,
            "bm25": m.bm25,
            "vectors": m.index.vectors_of(np.arange(len(m.offers))).astype(np.float16)
            if len(m.offers)
            else np.zeros((0, m.embedder.dim), np.float16),
        }

    return {
        "version": index.version,
        "offers": part(index.offers),
        "wants": part(index.wants),
        "kinds": index.kinds,
        "offer_vectors": index.offer_vectors,
    }


def _load(data: dict) -> EventIndex:
    def part(p: dict) -> Matcher:
        return _matcher(p["offers"], p["vectors"].astype(np.float32), bm25=p["bm25"])

    return EventIndex(
        version=data["version"],
        offers=part(data["offers"]),
        wants=part(data["wants"]),
        kinds=data["kinds"],
        offer_vectors=data["offer_vectors"],
    )


def index_build(*, event: Event) -> EventIndex | None:
    """Build the event's indexes for its current participants and publish them (the task's
    work). Changes from now on queue the next build. None when the published one is current.

    Embedding thousands of "looks for" texts takes minutes (70 ms each with E5 on a loaded
    machine): an event's first index is published without the missing vectors, and a second
    build embeds them; later builds embed only the new or changed texts.
    """
    cache.delete(_queued_key(event.pk))
    version = participants_version(event)
    pointer = cache.get(_pointer_key(event.pk))
    folder = _folder()
    if (
        pointer
        and pointer["version"] == version
        and pointer.get("complete")
        and (folder / pointer["file"]).exists()
    ):
        return None
    first = pointer is None and len(_looks_for_pending(event)) > FIRST_EMBED
    if not first:
        looks_for_embed(event)
    index = _build(event, version)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{event.pk}-{version}-{'c' if not first else 'p'}.pickle"
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as fh:
        pickle.dump(_dump(index), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(fh.name, folder / name)
    cache.set(
        _pointer_key(event.pk),
        {
            "version": version,
            "file": name,
            "participants": len(index.kinds),
            "complete": not first,
        },
        None,
    )
    # The previous files: a process that read the old pointer loads the new one next time.
    for old in folder.glob(f"{event.pk}-*.pickle"):
        if old.name != name:
            old.unlink(missing_ok=True)
    with _lock:
        _remember(event.pk, index)
    if first:
        index_outdated(event.pk, now=True)  # the same, with every "looks for" embedded
    return index


def index_outdated(event_id: int, *, now: bool = False) -> bool:
    """Queue a build of the event's indexes unless one is queued already (True if queued). A
    large event's waits DEBOUNCE seconds, so that a burst of registrations makes one build."""
    if not cache.add(_queued_key(event_id), 1, QUEUED_FOR):
        return False
    from corridor.events import tasks

    pointer = cache.get(_pointer_key(event_id))
    if not now and pointer and pointer["participants"] > LARGE_EVENT:
        tasks.suggest_index_build.schedule((event_id,), delay=DEBOUNCE)
    else:
        tasks.suggest_index_build(event_id)
    return True


def _remember(event_id: int, index: EventIndex) -> None:
    _indexes[event_id] = index
    _indexes.move_to_end(event_id)
    while len(_indexes) > _MAX_EVENTS:
        _indexes.popitem(last=False)


def event_index(event: Event, version: str | None = None) -> EventIndex | None:
    """The event's latest published indexes (loaded once per process), or None while none is
    built. Never builds: a missing or older index queues a build."""
    version = version or participants_version(event)
    pointer = cache.get(_pointer_key(event.pk))
    if pointer is None or pointer["version"] != version:
        index_outdated(event.pk)  # immediate mode (tests): built here, in-process
        pointer = cache.get(_pointer_key(event.pk))
    if pointer is None:
        return None
    with _lock:
        current = _indexes.get(event.pk)
        if current is not None and current.version == pointer["version"]:
            _indexes.move_to_end(event.pk)
            return current
    try:
        with open(_folder() / pointer["file"], "rb") as fh:
            # Our own file, written by index_build in the data folder.
            loaded = _load(pickle.load(fh))  # noqa: S301
    except FileNotFoundError:  # replaced meanwhile by a newer build, or the folder was lost
        index_outdated(event.pk)
        with _lock:  # built meanwhile in this process (immediate mode), or the last one
            return _indexes.get(event.pk, current)
    with _lock:
        _remember(event.pk, loaded)
    return loaded


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


def rank(event: Event, me: Registration) -> list[Ranked] | None:
    """Every other participant the engine finds for `me`, best first (cached per viewer), or
    None while the event has no index yet (a build is queued; the page shows the cheap one)."""
    version = participants_version(event)
    index = event_index(event, version)
    if index is None:
        return None
    mine_now = f"{me.offers}\0{me.looks_for}\0{me.organisation.product_focus}"
    digest = hashlib.blake2b(mine_now.encode(), digest_size=6).hexdigest()
    key = f"events:suggest:{event.pk}:{index.version}:{me.pk}:{digest}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    embedder = adapters.get_embedder()
    zero = np.zeros(embedder.dim, dtype=np.float32)
    looks_for = me.looks_for or ""
    my_offers = " ".join(
        p for p in (me.offers, me.organisation.product_focus or "") if p and p.strip()
    )
    wanted = [h.code for h in me.wanted_hs_codes.all()] or [""]
    offered = [h.code for h in me.offer_hs_codes.all()] or [""]
    query_vector = embedder.embed_queries([looks_for])[0] if looks_for.strip() else zero
    they_offer = _best(index.offers, _queries(me.pk, looks_for, wanted, query_vector))
    # My offers (my products' vectors) against the stored vectors of what they look for.
    offer_vector = index.offer_vectors.get(me.pk)
    if offer_vector is None and me.pk not in index.kinds:
        offer_vector = organisation_vector(me.organisation_id)
    they_want = _best(
        index.wants,
        _queries(me.pk, my_offers, offered, offer_vector if offer_vector is not None else zero),
    )
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
    # Keyed by the index's version: a newer index (or a changed profile) is a new ranking.
    cache.set(key, out, 3600)
    return out
