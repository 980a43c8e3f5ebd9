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

The engine's HS agreement (docs/matching.md) is on, as on the supplier page, but nothing is
guessed on a page: a "looks for" text is guessed by the build with its vector and the guess
stored beside it (`Registration.looks_for_guess`), and what a participant offers takes its
products' stored guesses (`Product.hs_guess`, see `_mean_guess`), or, without any, a guess of
its entry's text made and stored once by the build (`_offer_texts_guess`). A viewer's queries
use the same stored guesses (`Query.guess`).

The indexes are built by a background task (`tasks.suggest_index_build`), never by a page: when
registrations change (`index_outdated`, at most one build queued per event; a large event's
waits a minute for more changes) and on first need. A build is written to a file in the data
folder (shared by the web and worker processes) and named in the cache; each process loads it
once. Until an event has one, the page shows the cheap ranking (`selectors`: HS codes and
words) with a note; while a newer one is built, the last one serves. Each viewer's ranking is
cached per (event, index file, viewer).
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
from corridor.matching.engine import GUESS_TOP, Matcher, Weights, embed_offers
from corridor.matching.hs import normalise_code
from corridor.matching.reasons import Reason
from corridor.matching.records import Match, Offer, Query

DEPTH = 200  # ranked entries kept per direction: enough for ten suggestions after grouping
KEEP = 60  # participants cached per viewer (people already asked are removed when read)
SUPPLIER_KINDS = {"sme", "cluster"}
COMPLEMENT_BONUS = 0.05  # a buyer and a supplier: a small push, never ahead of a real match
# Of the index files (and their pointers): 2 added the HS guesses. A file of another format is
# built again; meanwhile one of format 1 serves without the agreement.
FORMAT = 2

Guess = tuple[np.ndarray, ...]  # heads, probs, subheadings, probs (GUESS_TOP each)
_GUESS_KINDS = (np.int32, np.float32, np.int32, np.float32)


class Guesses:
    """HS guesses by registration id, as arrays: a few in the file and quick to load (one small
    array per guess made a 5,000-participant file load 5 times slower)."""

    def __init__(self, by_id: dict[int, Guess] | None = None, *, arrays: tuple = ()) -> None:
        if not arrays:
            ids = np.array(sorted(by_id or {}), dtype=np.int64)
            parts = [np.zeros((len(ids), GUESS_TOP), kind) for kind in _GUESS_KINDS]
            for row, reg_id in enumerate(ids.tolist()):
                for part, value in zip(parts, by_id[reg_id], strict=True):
                    part[row] = value
            arrays = (ids, *parts)
        self.arrays = arrays  # sorted ids, then the four (n, GUESS_TOP) parts

    def __len__(self) -> int:
        return len(self.arrays[0])

    def get(self, registration_id: int) -> Guess | None:
        ids = self.arrays[0]
        at = int(np.searchsorted(ids, registration_id))
        if at == len(ids) or ids[at] != registration_id:
            return None
        return tuple(part[at] for part in self.arrays[1:])

    def rows(self, registration_ids: list[int]) -> Guess:
        """`Matcher.build(guesses=...)` rows for entries of these participants: a first heading
        of -1 (no guess, and none to be made by the engine) for those without one."""
        ids = self.arrays[0]
        wanted = np.asarray(registration_ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
        found = ids[at] == wanted if len(ids) else np.zeros(len(wanted), bool)
        out = [np.zeros((len(wanted), GUESS_TOP), kind) for kind in _GUESS_KINDS]
        for part, stored in zip(out, self.arrays[1:], strict=True):
            part[found] = stored[at[found]]
        out[0][~found | (out[0][:, 0] <= 0), 0] = -1
        return tuple(out)


@dataclass
class EventIndex:
    version: str
    offers: Matcher
    wants: Matcher
    kinds: dict[int, str]  # registration id -> organisation kind
    offer_vectors: dict[int, np.ndarray]  # registration id -> its organisation's offer vector
    # registration id -> HS guess of what it offers (its products') / looks for (its text)
    offer_guesses: Guesses = dataclasses.field(default_factory=Guesses)
    want_guesses: Guesses = dataclasses.field(default_factory=Guesses)
    # The published file: an event's first index and the complete one after it (vectors and
    # guesses of the "looks for" texts) have the same participants' version, not the same file.
    file: str = ""


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
    """Approved participants whose "looks for" has no vector (or no guess: embedded before the
    guesses were stored, done again once) of its current text yet."""
    rows = event.registrations.filter(status=Registration.Status.APPROVED).exclude(looks_for="")
    return [
        Registration(pk=pk, looks_for=text)
        for pk, text, of, guess in rows.values_list(
            "pk", "looks_for", "looks_for_vector_of", "looks_for_guess"
        )
        if of != _text_digest(text) or not guess
    ]


def looks_for_embed(event: Event) -> int:
    """Embed and guess (HS) the "looks for" texts of approved participants that have no vector
    of their current text yet, in batches; returns how many were embedded."""
    from corridor.matching.services import texts_guess

    embedder = adapters.get_embedder()
    todo = _looks_for_pending(event)
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        vectors = embedder.embed_queries([r.looks_for for r in batch])
        # Its text with its query vector: the guess the engine makes of a query.
        guesses = texts_guess([r.looks_for for r in batch], vectors)
        for reg, vector, guess in zip(batch, vectors, guesses, strict=True):
            reg.looks_for_vector = adapters.vector_to_bytes(vector)
            reg.looks_for_vector_of = _text_digest(reg.looks_for)
            reg.looks_for_guess = guess
        # Not save(): `updated_at` stays, so the participants' version does not change.
        Registration.objects.bulk_update(
            batch, ["looks_for_vector", "looks_for_vector_of", "looks_for_guess"]
        )
    return len(todo)


def looks_for_guess(registration: Registration) -> Guess | None:
    """The stored HS guess of a registration's current "looks for" text, or None."""
    if registration.looks_for_vector_of != _text_digest(registration.looks_for):
        return None
    return adapters.guess_from_bytes(registration.looks_for_guess, GUESS_TOP)


def _mean(vectors: list[np.ndarray] | None) -> np.ndarray | None:
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None


def _code_guess(code: str) -> Guess | None:
    """A product's own code as a guess at probability 1 (as the engine counts a coded offer)."""
    code = normalise_code(code or "")
    if len(code) < 4:
        return None
    heads, probs = np.zeros(GUESS_TOP, np.int32), np.zeros(GUESS_TOP, np.float32)
    codes, code_probs = heads.copy(), probs.copy()
    heads[0], probs[0] = int(code[:4]), 1.0
    if len(code) >= 6:
        codes[0], code_probs[0] = int(code[:6]), 1.0
    return heads, probs, codes, code_probs


def _mean_guess(guesses: list[Guess] | None) -> Guess | None:
    """What an organisation offers, as the HS agreement sees it: the mean of its products'
    heading (and subheading) distributions, the GUESS_TOP most likely kept.

    Its products rather than the entry's text guessed with the mean vector: each product was
    guessed alone from its own text and vector (the mean of a tea's and a pepper's vectors is
    neither), the guesses are stored already (no suggester pass per build), and a participant
    offering several products gets each its share, so that one making only what the viewer
    looks for agrees more than one making it among ten other things."""
    if not guesses:
        return None
    if len(guesses) == 1:
        return guesses[0]
    out: list[np.ndarray] = []
    for at in (0, 2):  # headings, then subheadings
        values = np.concatenate([g[at] for g in guesses])
        probs = np.concatenate([g[at + 1] for g in guesses]).astype(np.float64)
        kept = probs > 0
        unique, where = np.unique(values[kept], return_inverse=True)
        mass = np.bincount(where, probs[kept], minlength=len(unique)) / len(guesses)
        best = np.lexsort((unique, -mass))[:GUESS_TOP]  # most likely first, ties by code
        top_values, top_probs = np.zeros(GUESS_TOP, np.int32), np.zeros(GUESS_TOP, np.float32)
        top_values[: len(best)], top_probs[: len(best)] = unique[best], mass[best]
        out += [top_values, top_probs]
    return tuple(out)


@dataclass
class _Products:
    """An organisation's active products as the indexes use them."""

    names: list[str] = dataclasses.field(default_factory=list)
    vectors: list[np.ndarray] = dataclasses.field(default_factory=list)
    guesses: list[Guess] = dataclasses.field(default_factory=list)  # stored, or their codes'


def _products(organisation_ids) -> dict[int, _Products]:
    """Names, stored vectors and HS guesses of organisations' active products (1 query)."""
    from corridor.directory.models import Product

    dim = adapters.get_embedder().dim
    out: dict[int, _Products] = {}
    rows = Product.objects.filter(organisation_id__in=organisation_ids, is_active=True)
    for org_id, name, embedding, code, guess in rows.values_list(
        "organisation_id", "name", "embedding", "hs_code_id", "hs_guess"
    ).iterator(chunk_size=2000):
        held = out.setdefault(org_id, _Products())
        held.names.append(name)
        vector = adapters.vector_from_bytes(embedding, dim)
        if vector is not None:
            held.vectors.append(vector)
        # A product without either (embedded before guesses were stored) counts for nothing
        # until it is embedded again, as in the supplier catalog.
        guess = _code_guess(code) or adapters.guess_from_bytes(guess, GUESS_TOP)
        if guess is not None:
            held.guesses.append(guess)
    return out


def organisation_offer(organisation_id: int) -> tuple[np.ndarray | None, Guess | None]:
    """The mean of an organisation's stored product vectors, and of their HS guesses (1 query)."""
    held = _products([organisation_id]).get(organisation_id, _Products())
    return _mean(held.vectors), _mean_guess(held.guesses)


def _rows(event: Event) -> list[dict]:
    regs = list(
        event.registrations.filter(status=Registration.Status.APPROVED)
        .select_related("organisation")
        .prefetch_related("offer_hs_codes", "wanted_hs_codes")
        .order_by("pk")
    )
    products = _products({r.organisation_id for r in regs})
    dim = adapters.get_embedder().dim
    out = []
    for r in regs:
        org = r.organisation
        held = products.get(org.pk, _Products())
        current = r.looks_for_vector_of == _text_digest(r.looks_for)
        title = " ".join(p for p in (org.product_focus or "", *held.names[:10]) if p)
        text_of = _text_digest(Offer(id=r.pk, title=title, description=r.offers).text)
        offer_guess = _mean_guess(held.guesses)
        if offer_guess is None and r.offers_guess_of == text_of:
            offer_guess = adapters.guess_from_bytes(r.offers_guess, GUESS_TOP)
        out.append(
            {
                "id": r.pk,
                "kind": org.kind,
                "country": org.country_id or "",
                "offers": title,
                "offers_text": r.offers,
                "looks_for": r.looks_for,
                "offer_codes": [h.code for h in r.offer_hs_codes.all()] or [""],
                "wanted_codes": [h.code for h in r.wanted_hs_codes.all()] or [""],
                "vector": _mean(held.vectors),
                "wants_vector": (
                    adapters.vector_from_bytes(r.looks_for_vector, dim) if current else None
                ),
                "offer_guess": offer_guess,
                "offer_guess_of": text_of,  # of the entry's text, for `_offer_texts_guess`
                "wants_guess": looks_for_guess(r),
            }
        )
    return out


def _offers_unguessed(event: Event) -> int:
    """About how many entry texts `_offer_texts_guess` has to guess (never guessed, no HS code
    offered; some have products' guesses and need none): for the first build (1 query)."""
    return (
        event.registrations.filter(
            status=Registration.Status.APPROVED, offers_guess_of="", offer_hs_codes__isnull=True
        )
        .distinct()
        .count()
    )


def _offer_texts_guess(rows: list[dict]) -> int:
    """Guess (HS) what the participants offer whose products give no guess, from the text of
    their entry, embedded for it as an offer; store each guess with the text's digest (a
    changed text is guessed again) and put it in the rows. Only for entries without an HS code
    offered (the others never use a guess). Returns how many texts were guessed."""
    from corridor.matching.services import products_guess

    todo = [
        row
        for row in rows
        if row["offer_guess"] is None
        and "" in row["offer_codes"]
        and (row["offers"] + row["offers_text"]).strip()
    ]
    embedder = adapters.get_embedder()
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        entries = [
            Offer(id=row["id"], title=row["offers"], description=row["offers_text"])
            for row in batch
        ]
        guesses = products_guess(offers=entries, vectors=embed_offers(entries, embedder))
        for row, guess in zip(batch, guesses, strict=True):
            row["offer_guess"] = adapters.guess_from_bytes(guess, GUESS_TOP)
        # Not save(): `updated_at` stays, so the participants' version does not change.
        Registration.objects.bulk_update(
            [
                Registration(
                    pk=row["id"], offers_guess=guess, offers_guess_of=row["offer_guess_of"]
                )
                for row, guess in zip(batch, guesses, strict=True)
            ],
            ["offers_guess", "offers_guess_of"],
        )
    return len(todo)


def _matcher(
    offers: list[Offer], vectors: np.ndarray, bm25=None, guesses: Guesses | None = None
) -> Matcher:
    """An engine index of entries; with `guesses` (by registration; None: a file of format 1),
    the HS agreement is on, as on the supplier page."""
    embedder = adapters.get_embedder()
    weights = dataclasses.replace(Weights(), candidates=DEPTH)
    # No guesser: the engine ranks on the stored guesses and never runs the suggester (pages
    # rank with these matchers); a viewer's queries bring their own (`Query.guess`).
    matcher = Matcher(embedder=embedder, weights=weights, index_kind="exact")
    rows = guesses.rows([o.id for o in offers]) if guesses is not None else None
    return matcher.build(offers, vectors, bm25=bm25, guesses=rows)


def _build(event: Event, version: str, *, guess_texts: bool = True) -> EventIndex:
    rows = _rows(event)
    if guess_texts:
        _offer_texts_guess(rows)
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

    offer_guesses = Guesses({row["id"]: row["offer_guess"] for row in rows if row["offer_guess"]})
    want_guesses = Guesses({row["id"]: row["wants_guess"] for row in rows if row["wants_guess"]})
    return EventIndex(
        version=version,
        offers=_matcher(offers, matrix(offer_vectors), guesses=offer_guesses),
        wants=_matcher(wants, matrix(want_vectors), guesses=want_guesses),
        kinds={row["id"]: row["kind"] for row in rows},
        offer_vectors={row["id"]: row["vector"] for row in rows if row["vector"] is not None},
        offer_guesses=offer_guesses,
        want_guesses=want_guesses,
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
        "format": FORMAT,
        "version": index.version,
        "offers": part(index.offers),
        "wants": part(index.wants),
        "kinds": index.kinds,
        "offer_vectors": index.offer_vectors,
        "offer_guesses": index.offer_guesses.arrays,
        "want_guesses": index.want_guesses.arrays,
    }


def _load(data: dict) -> EventIndex:
    # Format 1 (no "format"): no guesses, the agreement off until the new build is published.
    offer_guesses, want_guesses = (
        Guesses(arrays=data[key]) if key in data else None
        for key in ("offer_guesses", "want_guesses")
    )

    def part(p: dict, guesses: Guesses | None) -> Matcher:
        vectors = p["vectors"].astype(np.float32)
        return _matcher(p["offers"], vectors, bm25=p["bm25"], guesses=guesses)

    return EventIndex(
        version=data["version"],
        offers=part(data["offers"], offer_guesses),
        wants=part(data["wants"], want_guesses),
        kinds=data["kinds"],
        offer_vectors=data["offer_vectors"],
        offer_guesses=offer_guesses or Guesses(),
        want_guesses=want_guesses or Guesses(),
    )


def index_build(*, event: Event) -> EventIndex | None:
    """Build the event's indexes for its current participants and publish them (the task's
    work). Changes from now on queue the next build. None when the published one is current.

    Embedding (and HS-guessing) thousands of "looks for" and offer texts takes minutes (70 ms
    each with E5 on a loaded machine): an event's first index is published without the missing
    vectors and guesses, and a second build makes them; later builds make only those of new or
    changed texts.
    """
    cache.delete(_queued_key(event.pk))
    version = participants_version(event)
    pointer = cache.get(_pointer_key(event.pk))
    folder = _folder()
    if (
        pointer
        and pointer["version"] == version
        and pointer.get("format") == FORMAT
        and pointer.get("complete")
        and (folder / pointer["file"]).exists()
    ):
        return None
    first = (
        pointer is None and len(_looks_for_pending(event)) + _offers_unguessed(event) > FIRST_EMBED
    )
    if not first:
        looks_for_embed(event)
    index = _build(event, version, guess_texts=not first)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{event.pk}-{version}-{'c' if not first else 'p'}.pickle"
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as fh:
        pickle.dump(_dump(index), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(fh.name, folder / name)
    cache.set(
        _pointer_key(event.pk),
        {
            "version": version,
            "format": FORMAT,
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
    index.file = name
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
    if pointer is None or pointer["version"] != version or pointer.get("format") != FORMAT:
        index_outdated(event.pk)  # immediate mode (tests): built here, in-process
        pointer = cache.get(_pointer_key(event.pk))
    if pointer is None:
        return None
    with _lock:
        current = _indexes.get(event.pk)
        if current is not None and current.file == pointer["file"]:
            _indexes.move_to_end(event.pk)
            return current
    try:
        with open(_folder() / pointer["file"], "rb") as fh:
            # Our own file, written by index_build in the data folder.
            loaded = _load(pickle.load(fh))  # noqa: S301
        loaded.file = pointer["file"]
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


def _queries(
    me_id: int, text: str, codes: list[str], vector: np.ndarray, guess: Guess | None
) -> list:
    """The viewer's queries, one per code, with their stored guess (none: no agreement; the
    matchers have no guesser, nothing is guessed on a page)."""
    stored = () if guess is None else tuple(np.asarray(p) for p in guess)
    return [
        (Query(id=me_id, text=text, hs_code=code, guess=stored), vector)
        for code in codes
        if text.strip() or code
    ]


def rank(event: Event, me: Registration) -> list[Ranked] | None:
    """Every other participant the engine finds for `me`, best first (cached per viewer), or
    None while the event has no index yet (a build is queued; the page shows the cheap one)."""
    version = participants_version(event)
    index = event_index(event, version)
    if index is None:
        return None
    want_guess = looks_for_guess(me)  # made by a build, with the text's vector
    mine_now = f"{me.offers}\0{me.looks_for}\0{me.organisation.product_focus}\0{bool(want_guess)}"
    digest = hashlib.blake2b(mine_now.encode(), digest_size=6).hexdigest()
    key = f"events:suggest:{event.pk}:{index.file}:{me.pk}:{digest}"
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
    they_offer = _best(
        index.offers,
        _queries(me.pk, looks_for, wanted, query_vector, want_guess),
    )
    # My offers (my products' vectors and guesses) against the stored ones of what they look for.
    offer_vector, offer_guess = index.offer_vectors.get(me.pk), index.offer_guesses.get(me.pk)
    if me.pk not in index.kinds:  # approved since the build: read, never guessed, here
        offer_vector, offer_guess = organisation_offer(me.organisation_id)
    they_want = _best(
        index.wants,
        _queries(
            me.pk,
            my_offers,
            offered,
            offer_vector if offer_vector is not None else zero,
            offer_guess,
        ),
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
    # Keyed by the index's file: a newer index (or a changed profile) is a new ranking.
    cache.set(key, out, 3600)
    return out
