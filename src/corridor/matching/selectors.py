"""Reads of matching: ranked suppliers for a request, requests for an organisation, partners.

The supplier catalog (every active product of SMEs and clusters, with its stored vector) is
built once per version, so that repeated page views rank without reloading: a page costs the
version query plus its own few queries. A small catalog is built by each web process from the
database; from LIVE_BUILD_LIMIT products on, the task worker saves it to disk
(services.index_publish) and every process memory-maps that one copy.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import pickle
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from corridor.accounts import permissions
from corridor.connections.models import Connection
from corridor.directory.models import (
    Certification,
    Organisation,
    Product,
    SourcingRequest,
)
from corridor.directory.vocab import OrgKind
from corridor.matching import adapters, snapshot
from corridor.matching.engine import GUESS_TOP, Matcher, Weights, embed_offers
from corridor.matching.hs import normalise_code
from corridor.matching.hs_suggest import CachedGuesser
from corridor.matching.models import HsRelation
from corridor.matching.reasons import Reason, verdict, verdict_label
from corridor.matching.records import Match
from corridor.matching.stored import StoredPositions, StoredRecords, StoredRows, write_records

SUPPLIER_KINDS = (OrgKind.SME, OrgKind.CLUSTER)
# How many ranked products a request keeps: enough for a page of organisations after grouping.
# The engine judges about twice this many candidates, in Python: it sets the cost of a ranking.
RANK_DEPTH = 60
# Requests fully ranked for an organisation's page, chosen by a cheap first pass.
ORG_REQUEST_CANDIDATES = 40
# From this many supplier products on, web processes use the catalog the task worker saved
# (even a few seconds stale while a new one is built) instead of building their own.
LIVE_BUILD_LIMIT = 50_000
# A change waits this long before the catalog is saved again, so that a burst of edits costs
# one rebuild.
PUBLISH_DEBOUNCE = 30
# A large catalog opened from disk follows the published versions (the CURRENT file, read on
# each page) and compares itself with the database at most this often per process: that
# comparison counts every supplier product, about 3 s per page at 1,000,000 products on SQLite
# (bench/matching_app.py). Product changes reach the task worker without it (task reembed).
VERSION_CHECK = 60

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SupplierRef:
    """What the catalog keeps about a product's organisation (duck-types for permissions)."""

    id: int
    name: str
    slug: str
    kind: str
    country_id: str
    is_published: bool
    cluster_id: int | None
    merged_into_id: None = None


@dataclass
class Catalog:
    """The engine built over the supplier products of one index version."""

    version: tuple
    matcher: Matcher
    # product id -> row (name, hs code, org ref); a StoredRows when opened from disk
    products: Mapping[int, dict[str, Any]]
    positions: Mapping[int, int]  # product id -> key in the matcher's vector index
    orgs: dict[int, SupplierRef]
    dim: int
    embedder_name: str
    missing_vectors: int = 0
    saved_as: str = ""  # the published folder it was opened from ("" when built in memory)

    @functools.cached_property
    def countries(self) -> frozenset[str]:
        """The countries of its published suppliers (what the supplier list can filter by)."""
        return frozenset(ref.country_id for ref in self.orgs.values() if ref.is_published)

    def rank(self, req: SourcingRequest, *, depth: int = RANK_DEPTH) -> list[Match]:
        embedder = self.matcher.embedder
        vector = adapters.query_vector(req, embedder)
        query = dataclasses.replace(adapters.request_query(req), guess=adapters.request_guess(req))
        return self.matcher.rank_with_vector(query, vector, top=depth, today=timezone.localdate())


_lock = threading.Lock()
_catalog: Catalog | None = None
_publish_asked = -float(PUBLISH_DEBOUNCE)  # time.monotonic() of this process's last request
_version_checked = -float(VERSION_CHECK)  # time.monotonic() of its last database comparison


def catalog_version() -> tuple:
    """What changes when any supplier product, its vector or its organisation changes (1 query)."""
    row = _supplier_products().aggregate(
        n=Count("id"),
        updated=Max("updated_at"),
        embedded=Max("embedded_at"),
        org_updated=Max("organisation__updated_at"),
        max_id=Max("id"),
    )
    return (row["n"], row["updated"], row["embedded"], row["org_updated"], row["max_id"])


def _supplier_products():
    return Product.objects.filter(
        is_active=True,
        organisation__kind__in=SUPPLIER_KINDS,
        organisation__merged_into__isnull=True,
    )


def _valid_certifications(org_ids: Iterable[int]) -> dict[tuple[int, int | None], list]:
    """(organisation id, product id or None) -> engine certifications (1 query)."""
    out: dict[tuple[int, int | None], list] = defaultdict(list)
    rows = Certification.objects.filter(organisation_id__in=list(org_ids)).values_list(
        "organisation_id", "product_id", "kind", "valid_until"
    )
    for org_id, product_id, kind, valid_until in rows:
        record = adapters.certification_record(kind, valid_until)
        if record is not None:
            out[(org_id, product_id)].append(record)
    return out


def _no_guesses(n: int) -> tuple[np.ndarray, ...]:
    heads = np.zeros((n, GUESS_TOP), dtype=np.int32)
    probs = np.zeros((n, GUESS_TOP), dtype=np.float32)
    return heads, probs, heads.copy(), probs.copy()


def build_catalog(version: tuple) -> Catalog:
    embedder = adapters.get_embedder()
    rows = list(_supplier_products().order_by("id").values(*adapters.PRODUCT_COLUMNS))
    certs = _valid_certifications({r["organisation_id"] for r in rows}) if rows else {}
    offers, vectors, missing = [], [], []
    guesses = _no_guesses(len(rows))
    products: dict[int, dict[str, Any]] = {}
    orgs: dict[int, SupplierRef] = {}
    for row in rows:
        org_id = row["organisation_id"]
        held = certs.get((org_id, None), []) + certs.get((org_id, row["id"]), [])
        offer = adapters.product_offer(row, held)
        guess = adapters.guess_from_bytes(row.pop("hs_guess"), GUESS_TOP)
        if guess is not None:
            for part, value in zip(guesses, guess, strict=True):
                part[len(offers)] = value
        vector = adapters.vector_from_bytes(row.pop("embedding"), embedder.dim)
        if guess is None and vector is not None and not row["hs_code_id"]:
            # Stored before guesses were: none until the next reembed (or the staff rebuild),
            # rather than a suggester pass per such product on every build.
            guesses[0][len(offers)] = -1
        if vector is None:
            missing.append(len(offers))
            vector = np.zeros(embedder.dim, dtype=np.float32)
        offers.append(offer)
        vectors.append(vector)
        if org_id not in orgs:
            orgs[org_id] = SupplierRef(
                id=org_id,
                name=row["organisation__name"],
                slug=row["organisation__slug"],
                kind=row["organisation__kind"],
                country_id=row["organisation__country_id"],
                is_published=row["organisation__is_published"],
                cluster_id=row["organisation__cluster_id"],
            )
        products[row["id"]] = {
            "id": row["id"],
            "name": row["name"],
            "hs_code": row["hs_code_id"] or "",
            "org": orgs[org_id],
        }
    matrix = np.vstack(vectors) if vectors else np.zeros((0, embedder.dim), dtype=np.float32)
    if missing:
        # Not embedded yet (the background task is behind): embed (and guess) here, the task
        # stores them.
        matrix[missing] = embed_offers([offers[i] for i in missing], embedder)
    weights = dataclasses.replace(Weights(), candidates=RANK_DEPTH)
    matcher = Matcher(embedder=embedder, weights=weights, hs_guesser=shared_guesser)
    matcher.build(offers, matrix, guesses=guesses)
    return Catalog(
        version=version,
        matcher=matcher,
        products=products,
        positions={row["id"]: i for i, row in enumerate(rows)},
        orgs=orgs,
        dim=embedder.dim,
        embedder_name=embedder.name,
        missing_vectors=len(missing),
    )


def saved_root() -> Path:
    """Where published catalogs live (one folder per version, see corridor.matching.snapshot)."""
    return Path(settings.DATA_DIR) / "matching-index"


def catalog_save(catalog: Catalog, folder: Path) -> None:
    """Write a built catalog into an empty folder: the engine's files, the product rows (one
    pickle each, in id order = catalog position) and the rest (organisations, version)."""
    catalog.matcher.save(folder)
    ids = np.fromiter(catalog.products, dtype=np.int64, count=len(catalog.products))
    if len(ids) > 1 and not (np.diff(ids) > 0).all():
        raise ValueError("catalog products must be in ascending id order")
    np.save(folder / "product_ids.npy", ids)
    write_records(
        folder,
        "products",
        ({**row, "org": row["org"].id} for row in catalog.products.values()),
    )
    rest = dataclasses.replace(catalog, matcher=None, products={}, positions={}, saved_as="")
    with (folder / "catalog.pkl").open("wb") as fh:
        pickle.dump(rest, fh, protocol=pickle.HIGHEST_PROTOCOL)
    # Alone too: the publisher checks the saved version without loading every product row.
    with (folder / "version.pkl").open("wb") as fh:
        pickle.dump(catalog.version, fh, protocol=pickle.HIGHEST_PROTOCOL)


def catalog_open(name: str) -> Catalog | None:
    """A published catalog, memory-mapped, or None when it cannot be read (a missing or
    half-deleted folder, another format): the caller then builds from the database.

    Product rows and offers stay in the files (read on demand, pages shared by every
    process): at 1,000,000 products, unpickled, they were ~1.7 GB per web process."""
    where = snapshot.folder(saved_root(), name)
    try:
        with (where / "catalog.pkl").open("rb") as fh:
            rest = pickle.load(fh)  # noqa: S301 (written by catalog_save, never uploaded)
        embedder = adapters.get_embedder()
        if rest.embedder_name != embedder.name or rest.dim != embedder.dim:
            return None
        weights = dataclasses.replace(Weights(), candidates=RANK_DEPTH)
        matcher = Matcher.open(where, embedder=embedder, weights=weights, hs_guesser=shared_guesser)
        positions = StoredPositions(np.load(where / "product_ids.npy", mmap_mode="r"))
        orgs = rest.orgs
        products = StoredRows(
            positions,
            StoredRecords(where, "products"),
            fill=lambda row: {**row, "org": orgs[row["org"]]},
        )
    except Exception:  # noqa: BLE001 (any unreadable folder means: build instead)
        log.warning("saved matching catalog %s is unreadable", name, exc_info=True)
        return None
    return dataclasses.replace(
        rest, matcher=matcher, products=products, positions=positions, saved_as=name
    )


def saved_catalog_version() -> tuple | None:
    """The version of the currently published catalog, or None."""
    name = snapshot.current(saved_root())
    if name is None:
        return None
    try:
        with (snapshot.folder(saved_root(), name) / "version.pkl").open("rb") as fh:
            return pickle.load(fh)  # noqa: S301 (written by catalog_save)
    except Exception:  # noqa: BLE001
        return None


def supplier_catalog() -> Catalog:
    """The catalog of the current version: the published one when it is current (or, for a
    large catalog, while a newer one is being built), else built here from the database."""
    global _catalog, _version_checked
    current = _catalog
    if _follows_saved(current):
        followed = _follow_saved(current)
        if followed is not None:
            return followed
    version = catalog_version() + (adapters.get_embedder().name,)
    _version_checked = time.monotonic()
    if current is not None and current.version == version:
        return current
    saved = snapshot.current(saved_root())
    with _lock:
        if _catalog is not None and _catalog.version == version:
            return _catalog
        opened = None
        if saved is not None:
            if _catalog is not None and _catalog.saved_as == saved:
                opened = _catalog
            else:
                opened = catalog_open(saved)
        large = version[0] >= LIVE_BUILD_LIMIT
        if opened is not None and (opened.version == version or large):
            chosen = opened
        else:
            chosen = build_catalog(version)
        if (large or saved is not None) and (opened is None or opened.version != version):
            publish_later()  # the saved catalog is missing or behind
        if chosen is not _catalog:
            _catalog = chosen
            _ranked.clear()
        _version_checked = time.monotonic()  # from when it is in hand (opening takes a while)
        return _catalog


def _follows_saved(catalog: Catalog | None) -> bool:
    """Whether a page may skip the database comparison: a large catalog opened from disk,
    compared less than VERSION_CHECK seconds ago."""
    return (
        catalog is not None
        and bool(catalog.saved_as)
        and len(catalog.products) >= LIVE_BUILD_LIMIT
        and time.monotonic() - _version_checked < VERSION_CHECK
    )


def _follow_saved(current: Catalog) -> Catalog | None:
    """The published catalog when it is the one held or opens (a new version the task worker
    published); None when the database must decide (nothing readable is published)."""
    global _catalog
    saved = snapshot.current(saved_root())
    if saved is None:
        return None
    if saved == current.saved_as:
        return current
    with _lock:
        if _catalog is not None and _catalog.saved_as == saved:
            return _catalog
        opened = catalog_open(saved)
        if opened is None:
            return None
        _catalog = opened
        _ranked.clear()
        return opened


def publish_later() -> None:
    """Ask the task worker for a new saved catalog, at most once per PUBLISH_DEBOUNCE."""
    global _publish_asked
    from django.core.cache import cache

    # Every page asks while a large catalog is behind: the shared cache (database queries in
    # production) is consulted at most once per debounce by each process.
    now = time.monotonic()
    if now - _publish_asked < PUBLISH_DEBOUNCE:
        return
    _publish_asked = now
    if cache.add("matching:index-publish", 1, timeout=PUBLISH_DEBOUNCE):
        from corridor.matching import tasks

        tasks.index_publish_later(PUBLISH_DEBOUNCE)


def forget_catalog() -> None:
    """Drop the in-process catalog (tests; after a rebuild in the same process)."""
    global _catalog, _publish_asked, _version_checked
    with _lock:
        _catalog = None
        _publish_asked = -float(PUBLISH_DEBOUNCE)
        _version_checked = -float(VERSION_CHECK)
        _ranked.clear()


# Ranked products per (request id, request updated_at): the catalog version clears it.
_ranked: OrderedDict[tuple, list[Match]] = OrderedDict()
_RANKED_SIZE = 2000


def _ranked_for(catalog: Catalog, req: SourcingRequest) -> list[Match]:
    key = (req.pk, req.updated_at)
    with _lock:
        hit = _ranked.get(key)
        if hit is not None:
            _ranked.move_to_end(key)
            return hit
    matches = catalog.rank(req)
    with _lock:
        _ranked[key] = matches
        while len(_ranked) > _RANKED_SIZE:
            _ranked.popitem(last=False)
    return matches


# --- Suppliers for a request ----------------------------------------------------------------


@dataclass
class SupplierMatch:
    """An organisation's best product for a request, with the engine's verdict."""

    org: Organisation
    product_id: int
    product_name: str
    score: float
    passes: bool
    reasons: list[Reason]
    others: int = 0  # further matching products of the same organisation
    connect: dict = field(default_factory=dict)
    show_contacts: bool = False

    @property
    def percent(self) -> int:
        return max(0, min(100, round(100 * self.score)))

    @property
    def reason_texts(self) -> list[str]:
        return [r.render() for r in self.reasons]

    @property
    def verdict(self) -> str:
        return verdict(self.score, self.reasons)

    @property
    def verdict_label(self) -> str:
        return verdict_label(self.verdict)


@dataclass(frozen=True)
class SupplierFilters:
    country: str = ""
    certification: str = ""
    min_score: float = 0.0
    only_passing: bool = False


def _viewer_scope(user) -> tuple[bool, set[int]]:
    return permissions.is_staff(user), permissions.member_org_ids(user)


def _visible(ref, staff: bool, own: set[int]) -> bool:
    # permissions.visible_organisations, applied to catalog rows without a query per row.
    return staff or ref.is_published or ref.id in own


def _group_by_org(
    catalog: Catalog, matches: list[Match], *, staff: bool, own: set[int], exclude: set[int]
) -> list[tuple[SupplierRef, Match, int]]:
    best: dict[int, list] = {}
    for match in matches:
        row = catalog.products.get(match.offer_id)
        if row is None:
            continue
        ref = row["org"]
        if ref.id in exclude or not _visible(ref, staff, own):
            continue
        if ref.id in best:
            best[ref.id][2] += 1
        else:
            best[ref.id] = [ref, match, 0]
    return [tuple(v) for v in best.values()]


def _connection_states(user, org_ids: list[int]) -> dict[int, dict]:
    """The connect box state of each organisation (as connections.selectors.connect_state),
    computed for a whole list in one query."""
    if not (user and user.is_authenticated):
        return {}
    own = permissions.member_org_ids(user)
    states: dict[int, dict] = {}
    for org_id in org_ids:
        states[org_id] = {"state": "self"} if org_id in own else {"state": "none" if own else ""}
    targets = [o for o in org_ids if o not in own]
    if not own or not targets:
        return states
    rows = (
        Connection.objects.filter(
            Q(from_org_id__in=own, to_org_id__in=targets)
            | Q(from_org_id__in=targets, to_org_id__in=own),
            status__in=[Connection.Status.REQUESTED, Connection.Status.ACCEPTED],
        )
        .select_related("from_org", "to_org")
        .order_by("status", "-created_at")  # accepted before requested, newest first
    )
    seen: set[int] = set()
    for connection in rows:
        other = connection.to_org_id if connection.from_org_id in own else connection.from_org_id
        if other in seen:
            continue
        seen.add(other)
        if connection.status == Connection.Status.ACCEPTED:
            state = "connected"
        elif connection.from_org_id in own:
            state = "pending_sent"
        else:
            state = "pending_received"
        states[other] = {"state": state, "connection": connection}
    return states


def request_suppliers(
    *,
    user,
    req: SourcingRequest,
    filters: SupplierFilters | None = None,
    limit: int = 20,
    catalog: Catalog | None = None,
) -> list[SupplierMatch]:
    """Suppliers (SMEs and clusters) ranked for a request: each organisation's best product,
    only organisations the user may see, with contacts when the user may see them.

    Queries: the catalog version, the user's organisations, the organisations shown, their
    connection states (constant in the number of suppliers). `catalog`: the one the caller
    already holds (the page reads its countries for the filter form).
    """
    filters = filters or SupplierFilters()
    catalog = catalog or supplier_catalog()
    staff, own = _viewer_scope(user)
    grouped = _group_by_org(
        catalog, _ranked_for(catalog, req), staff=staff, own=own, exclude={req.buyer_id}
    )
    wanted_cert = filters.certification
    chosen = []
    for ref, match, others in grouped:
        if filters.country and ref.country_id != filters.country:
            continue
        if filters.only_passing and not match.passes:
            continue
        if match.score < filters.min_score:
            continue
        chosen.append((ref, match, others))
    if wanted_cert:
        holders = set(
            Certification.objects.filter(
                organisation_id__in=[ref.id for ref, _m, _o in chosen], kind=wanted_cert
            )
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate()))
            .values_list("organisation_id", flat=True)
        )
        chosen = [c for c in chosen if c[0].id in holders]
    chosen = chosen[:limit]
    if not chosen:
        return []
    ids = [ref.id for ref, _m, _o in chosen]
    orgs = Organisation.objects.select_related("country", "cluster").in_bulk(ids)
    states = _connection_states(user, ids)
    connected = permissions.connected_org_ids(own) if own and not staff else set()
    out = []
    for ref, match, others in chosen:
        org = orgs.get(ref.id)
        if org is None:  # deleted since the catalog was built
            continue
        product = catalog.products[match.offer_id]
        out.append(
            SupplierMatch(
                org=org,
                product_id=product["id"],
                product_name=product["name"],
                score=match.score,
                passes=match.passes,
                reasons=match.reasons,
                others=others,
                connect=states.get(ref.id, {"state": ""}),
                show_contacts=staff or ref.id in own or ref.id in connected,
            )
        )
    return out


# --- Requests for an organisation -----------------------------------------------------------


@dataclass
class RequestMatch:
    """An open sourcing request that one of the organisation's products matches."""

    request: SourcingRequest
    product_id: int
    product_name: str
    score: float
    passes: bool
    reasons: list[Reason]

    @property
    def percent(self) -> int:
        return max(0, min(100, round(100 * self.score)))

    @property
    def reason_texts(self) -> list[str]:
        return [r.render() for r in self.reasons]

    @property
    def verdict(self) -> str:
        return verdict(self.score, self.reasons)

    @property
    def verdict_label(self) -> str:
        return verdict_label(self.verdict)


def open_requests():
    """Open requests of published, unmerged buyers, not past their deadline."""
    today = timezone.localdate()
    return SourcingRequest.objects.filter(
        status=SourcingRequest.Status.OPEN,
        buyer__is_published=True,
        buyer__merged_into__isnull=True,
    ).filter(Q(deadline__isnull=True) | Q(deadline__gte=today))


def _request_rows(qs) -> list[SourcingRequest]:
    return list(
        qs.select_related("buyer", "hs_code", "destination").defer(
            "buyer__search_text", "buyer__description", "buyer__local_description"
        )
    )


def org_requests(*, user, org: Organisation, limit: int = 20) -> list[RequestMatch]:
    """Open requests ranked for an SME's or cluster's products (a cluster's include its
    members'), best first; each request once, with the organisation's best product."""
    catalog = supplier_catalog()
    if org.kind == OrgKind.CLUSTER:
        own_ids = {org.pk} | {r.id for r in catalog.orgs.values() if r.cluster_id == org.pk}
    else:
        own_ids = {org.pk}
    product_ids = {pid for pid, p in catalog.products.items() if p["org"].id in own_ids}
    if not product_ids:
        return []
    reqs = _request_rows(open_requests().exclude(buyer_id__in=own_ids))
    out = []
    for req in _likely_requests(catalog, product_ids, reqs):
        for match in _ranked_for(catalog, req):
            if match.offer_id in product_ids:
                product = catalog.products[match.offer_id]
                out.append(
                    RequestMatch(
                        request=req,
                        product_id=product["id"],
                        product_name=product["name"],
                        score=match.score,
                        passes=match.passes,
                        reasons=match.reasons,
                    )
                )
                break
    out.sort(key=lambda m: (not m.passes, -m.score, -m.request.pk))
    return out[:limit]


def _likely_requests(
    catalog: Catalog, product_ids: set[int], reqs: list[SourcingRequest]
) -> list[SourcingRequest]:
    """A first pass over every open request: the best cosine with the products plus a bonus for
    a shared HS heading or word; only the likeliest requests get a full (costlier) ranking."""
    if len(reqs) <= ORG_REQUEST_CANDIDATES:
        return reqs
    embedder = catalog.matcher.embedder
    keys = [catalog.positions[p] for p in product_ids]
    product_vectors = catalog.matcher.index.vectors_of(keys)
    headings = {catalog.products[p]["hs_code"][:4] for p in product_ids} - {""}
    words = set()
    for p in product_ids:
        words.update(catalog.products[p]["name"].casefold().split())
    query_vectors = np.vstack([adapters.query_vector(r, embedder) for r in reqs])
    scores = (query_vectors @ product_vectors.T).max(axis=1)
    for i, req in enumerate(reqs):
        if req.hs_code_id and req.hs_code_id[:4] in headings:
            scores[i] += 1.0
        if words & set(req.title.casefold().split()):
            scores[i] += 0.5
    best = np.argsort(-scores, kind="stable")[:ORG_REQUEST_CANDIDATES]
    return [reqs[i] for i in sorted(best.tolist())]


# --- Matches for a forum (export) and the digest ----------------------------------------------


def open_request_matches(
    *, per_request: int = 5, min_score: float = 0.0, requests: list | None = None
) -> list[tuple[SourcingRequest, list[tuple[SupplierRef, Match, int]]]]:
    """Every open request with its best published suppliers (staff export, digest)."""
    catalog = supplier_catalog()
    reqs = requests if requests is not None else _request_rows(open_requests().order_by("id"))
    out = []
    for req in reqs:
        grouped = _group_by_org(
            catalog, _ranked_for(catalog, req), staff=False, own=set(), exclude={req.buyer_id}
        )
        top = [g for g in grouped if g[1].score >= min_score][:per_request]
        out.append((req, top))
    return out


def product_name(product_id: int) -> str:
    row = supplier_catalog().products.get(product_id)
    return row["name"] if row else ""


# --- Complementary clusters -------------------------------------------------------------------


@dataclass
class Partner:
    """A cluster to collaborate with, and why (same products elsewhere, or a value-chain link)."""

    org: Organisation
    kind: str  # "same", "upstream", "downstream", "nearby"
    codes: list[str]
    reasons: list[str]


def _prefix_hit(code: str, prefix: str) -> bool:
    return bool(prefix) and code.startswith(prefix)


def complementary_clusters(*, user, cluster: Organisation, limit: int = 20) -> list[Partner]:
    """Clusters for technology exchange (the same HS heading in another country), for value
    chains (upstream or downstream headings in the HsRelation table), then the same products in
    the same country (to share buyers, shipments, equipment). A cluster's products are its own
    and its members'."""
    from django.utils.translation import gettext as _

    from corridor.matching.hs import describe

    catalog = supplier_catalog()
    staff, own = _viewer_scope(user)
    codes_of: dict[int, set[str]] = defaultdict(set)
    for row in catalog.products.values():
        ref = row["org"]
        cluster_id = ref.id if ref.kind == OrgKind.CLUSTER else ref.cluster_id
        if cluster_id and row["hs_code"]:
            codes_of[cluster_id].add(normalise_code(row["hs_code"]))
    mine = codes_of.get(cluster.pk, set())
    if not mine:
        return []
    relations = list(HsRelation.objects.values_list("input_code", "output_code"))
    candidates = [cid for cid in codes_of if cid != cluster.pk]
    clusters = {
        o.pk: o
        for o in Organisation.objects.filter(
            pk__in=candidates, kind=OrgKind.CLUSTER, merged_into__isnull=True
        ).select_related("country")
    }
    partners: list[Partner] = []
    for cid, theirs in codes_of.items():
        org = clusters.get(cid)
        if org is None or not (staff or org.is_published or org.pk in own):
            continue
        same = sorted({c[:4] for c in mine} & {c[:4] for c in theirs})
        if same and org.country_id != cluster.country_id:
            partners.append(
                Partner(
                    org,
                    "same",
                    same,
                    [
                        _("same products (HS %(code)s %(name)s) in another country")
                        % {"code": c, "name": describe(c)[:60]}
                        for c in same
                    ],
                )
            )
            continue
        up, down = [], []
        nearby = same  # the same headings in the same country, when no value-chain link
        for input_code, output_code in relations:
            if any(_prefix_hit(c, output_code) for c in mine) and any(
                _prefix_hit(c, input_code) for c in theirs
            ):
                up.append((input_code, output_code))
            if any(_prefix_hit(c, input_code) for c in mine) and any(
                _prefix_hit(c, output_code) for c in theirs
            ):
                down.append((input_code, output_code))
        if up:
            partners.append(
                Partner(
                    org,
                    "upstream",
                    [i for i, _o in up],
                    [
                        _("supplies HS %(input)s, an input of your HS %(output)s")
                        % {"input": i, "output": o}
                        for i, o in up
                    ],
                )
            )
        elif down:
            partners.append(
                Partner(
                    org,
                    "downstream",
                    [o for _i, o in down],
                    [
                        _("makes HS %(output)s from your HS %(input)s") % {"input": i, "output": o}
                        for i, o in down
                    ],
                )
            )
        elif nearby:
            partners.append(
                Partner(
                    org,
                    "nearby",
                    nearby,
                    [
                        _("same products (HS %(code)s %(name)s) in your country")
                        % {"code": c, "name": describe(c)[:60]}
                        for c in nearby
                    ],
                )
            )
    order = {"same": 0, "upstream": 1, "downstream": 2, "nearby": 3}
    partners.sort(key=lambda p: (order[p.kind], p.org.name))
    return partners[:limit]


def index_status() -> dict[str, Any]:
    """Figures for the staff index page: products, embedded ones, the latest rebuild."""
    from corridor.matching.models import IndexJob

    embedder = adapters.get_embedder()
    counts = _supplier_products().aggregate(
        total=Count("id"), embedded=Count("id", filter=Q(embedding__isnull=False))
    )
    return {
        "total": counts["total"],
        "embedded": counts["embedded"],
        "embedder": embedder.name,
        "job": IndexJob.objects.first(),
    }


# --- HS suggestions ---------------------------------------------------------------------------

_suggester = None
_suggester_state: tuple = ()  # (embedder name, example count, highest example id)
# Its own lock: a catalog build (under _lock) may need the suggester for its guesses.
_suggester_lock = threading.Lock()


def _examples_state() -> tuple[int, int]:
    from corridor.matching.models import HsExample

    row = HsExample.objects.aggregate(n=Count("id"), last=Max("id"))
    return row["n"], row["last"] or 0


def hs_suggester():
    """The process's HsSuggester with the confirmed examples: new examples are added to it as
    they appear (one small query per call); a deletion rebuilds it."""
    global _suggester, _suggester_state
    from corridor.matching.hs_suggest import HsSuggester
    from corridor.matching.models import HsExample

    embedder = adapters.get_embedder()
    count, last = _examples_state()
    with _suggester_lock:
        state = _suggester_state
        if _suggester is None or state[0] != embedder.name or count < state[1]:
            examples = list(HsExample.objects.values_list("text", "code"))
            _suggester = HsSuggester(examples=examples, embedder=embedder)
        elif last > state[2]:
            _suggester.add_examples(
                HsExample.objects.filter(id__gt=state[2]).values_list("text", "code")
            )
        _suggester_state = (embedder.name, count, last)
        return _suggester


def hs_suggestions(text: str, top: int = 5) -> list:
    """Top HS 2022 subheadings for a product text (empty for a blank text)."""
    text = " ".join((text or "").split())[:500]
    if len(text) < 3:
        return []
    return hs_suggester().suggest(text, top=top)


def _current_suggester():
    # The process's suggester without the example-count query of hs_suggester() once it exists.
    return _suggester if _suggester is not None else hs_suggester()


# The ranking's HS guesser: the process's HsSuggester, resolved when a request is first ranked
# (opening a saved catalog costs no query), with recent request texts' guesses kept. Products'
# guesses are stored with their vectors (services.products_guess), so a catalog build guesses
# only what is not stored yet.
shared_guesser = CachedGuesser(_current_suggester)
