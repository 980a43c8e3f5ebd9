"""Writes of matching: stored vectors, index rebuilds, confirmed HS examples, the match digest."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.accounts import permissions
from corridor.accounts.models import Membership, User
from corridor.accounts.services import site_url
from corridor.directory.models import Product, SourcingRequest
from corridor.matching import adapters, selectors
from corridor.matching.engine import GUESS_TOP, embed_offers
from corridor.matching.hs import normalise_code
from corridor.matching.models import DigestOptOut, HsExample, IndexJob, MatchNotice
from corridor.matching.records import Offer

log = logging.getLogger(__name__)

BATCH = 64
# Held while a catalog is built and saved; expires by itself if the worker dies mid-build.
PUBLISHING_KEY = "matching:index-publishing"
PUBLISHING_TIMEOUT = 3 * 3600
UNSUBSCRIBE_SALT = "corridor.matching.digest"


# --- Stored vectors ---------------------------------------------------------------------------


def schedule_reembed(
    *,
    product_ids: Iterable[int] = (),
    request_ids: Iterable[int] = (),
    by: User | None = None,
) -> None:
    """Refresh the vectors of changed products and requests in the background, after commit.

    Called by the directory's write services. `by` is who saved: an HS code they kept from the
    suggestions is learned as a confirmed example.
    """
    product_ids, request_ids = list(product_ids), list(request_ids)
    if not (product_ids or request_ids):
        return
    by_id = by.pk if by is not None and getattr(by, "is_authenticated", False) else None

    def enqueue() -> None:
        from corridor.matching import tasks

        tasks.reembed(product_ids, request_ids, by_id)

    # robust: a broker outage must not turn a saved profile into an error page.
    transaction.on_commit(enqueue, robust=True)


def products_embed(*, product_ids: Sequence[int]) -> int:
    """Compute and store the vectors of products (inactive ones too). Returns how many."""
    embedder = adapters.get_embedder()
    rows = list(
        Product.objects.filter(pk__in=list(product_ids)).values(
            "id", "name", "local_name", "description", "hs_code_id"
        )
    )
    if not rows:
        return 0
    offers = [adapters.product_offer(row) for row in rows]
    vectors = embed_offers(offers, embedder)
    guesses = products_guess(offers=offers, vectors=vectors)
    now = timezone.now()
    products = [
        Product(
            pk=row["id"],
            embedding=adapters.vector_to_bytes(vec),
            embedded_at=now,
            hs_guess=guess,
        )
        for row, vec, guess in zip(rows, vectors, guesses, strict=True)
    ]
    # bulk_update leaves updated_at alone: a new vector is not a profile change.
    Product.objects.bulk_update(products, ["embedding", "embedded_at", "hs_guess"])
    return len(products)


def products_guess(*, offers: Sequence[Offer], vectors: np.ndarray) -> list[bytes | None]:
    """The HS suggester's guesses (stored bytes) for offers without a code, None for the others:
    the ranking's HS agreement reads them when the catalog is built, instead of guessing."""
    return texts_guess([None if o.hs_code else o.text for o in offers], vectors)


def texts_guess(texts: Sequence[str | None], vectors: np.ndarray) -> list[bytes | None]:
    """The HS suggester's guesses (stored bytes) of the texts that are not None or empty, with
    their vectors (one batch); None for the others."""
    todo = [i for i, text in enumerate(texts) if text]
    out: list[bytes | None] = [None] * len(texts)
    if not todo:
        return out
    guessed = selectors.hs_suggester().guess([texts[i] for i in todo], vectors[todo], top=GUESS_TOP)
    for row, i in enumerate(todo):
        out[i] = adapters.guess_to_bytes(*(part[row] for part in guessed))
    return out


def requests_embed(*, request_ids: Sequence[int]) -> int:
    """Compute and store the query vectors of sourcing requests. Returns how many."""
    embedder = adapters.get_embedder()
    reqs = list(
        SourcingRequest.objects.filter(pk__in=list(request_ids)).only(
            "id",
            "title",
            "description",
            "hs_code_id",
            "required_certifications",
            "quantity_amount",
            "quantity_unit",
            "frequency",
            "destination_id",
            "preferred_countries",
        )
    )
    if not reqs:
        return 0
    queries = [adapters.request_query(r) for r in reqs]
    vectors = embedder.embed_queries([q.text or q.hs_code for q in queries])
    # As the ranking guesses a request: its text with its query vector, only without a code.
    guesses = texts_guess([None if q.hs_code else q.text for q in queries], vectors)
    for req, vec, guess in zip(reqs, vectors, guesses, strict=True):
        req.embedding = adapters.vector_to_bytes(vec)
        req.hs_guess = guess
    SourcingRequest.objects.bulk_update(reqs, ["embedding", "hs_guess"])
    return len(reqs)


# --- Full rebuild, with progress for staff ----------------------------------------------------


@transaction.atomic
def index_rebuild_start(*, by: User) -> IndexJob:
    """Queue a rebuild of every stored vector (after a model change); one at a time."""
    if not permissions.is_staff(by):
        raise PermissionDenied(_("Only programme staff rebuild the matching index."))
    running = IndexJob.objects.filter(
        status__in=[IndexJob.Status.QUEUED, IndexJob.Status.RUNNING]
    ).first()
    if running is not None:
        return running
    job = IndexJob.objects.create(total=Product.objects.count() + SourcingRequest.objects.count())

    def enqueue() -> None:
        from corridor.matching import tasks

        tasks.index_rebuild(job.pk)

    transaction.on_commit(enqueue, robust=True)
    return job


def index_rebuild_run(*, job: IndexJob) -> IndexJob:
    """Embed every product and request in batches, recording progress on the job."""
    product_ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    request_ids = list(SourcingRequest.objects.order_by("pk").values_list("pk", flat=True))
    job.total, job.done, job.status = len(product_ids) + len(request_ids), 0, job.Status.RUNNING
    job.save(update_fields=["total", "done", "status"])
    try:
        for start in range(0, len(product_ids), BATCH):
            job.done += products_embed(product_ids=product_ids[start : start + BATCH])
            IndexJob.objects.filter(pk=job.pk).update(done=job.done)
        for start in range(0, len(request_ids), BATCH):
            job.done += requests_embed(request_ids=request_ids[start : start + BATCH])
            IndexJob.objects.filter(pk=job.pk).update(done=job.done)
    except Exception as exc:  # the job page must say it failed, not stay "running" forever
        log.exception("matching index rebuild %s failed", job.pk)
        job.status, job.error = job.Status.FAILED, str(exc)[:2000]
    else:
        job.status = job.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "done"])
    if job.status == job.Status.DONE and index_is_published():
        index_publish()
    return job


# --- The catalog saved for every web process --------------------------------------------------


def index_is_published() -> bool:
    """Whether web processes rely on a saved catalog (it is then kept up to date)."""
    from corridor.matching import snapshot

    return snapshot.current(selectors.saved_root()) is not None


def index_publish(*, force: bool = False) -> str | None:
    """Build the supplier catalog from the database and save it for every web process to
    memory-map (`corridor matching_index`, and the task worker after changes). Returns the
    published version's folder name, or None when the saved one is already current."""
    from django.core.cache import cache

    from corridor.matching import snapshot

    # One build at a time: at 1,000,000 products a build takes most of an hour, and the pages
    # keep asking for a publication while the saved catalog is behind.
    if not cache.add(PUBLISHING_KEY, 1, timeout=PUBLISHING_TIMEOUT):
        log.info("matching catalog: a publication is already running")
        return None
    try:
        version = selectors.catalog_version() + (adapters.get_embedder().name,)
        if not force and selectors.saved_catalog_version() == version:
            return None
        catalog = selectors.build_catalog(version)
        name = snapshot.publish(
            selectors.saved_root(), lambda folder: selectors.catalog_save(catalog, folder)
        )
    finally:
        cache.delete(PUBLISHING_KEY)
    log.info("matching catalog %s published: %s products", name, len(catalog.products))
    return name


def index_publish_schedule() -> None:
    """After a change of supplier products: a new saved catalog soon (debounced), when web
    processes use saved ones (a large catalog, or one published by hand)."""
    if index_is_published():
        selectors.publish_later()


# --- Confirmed HS examples --------------------------------------------------------------------


def hs_example_confirm(*, text: str, code: str, by: User | None = None) -> HsExample | None:
    """Record that `code` is right for `text` (suggestions learn from it); None if unusable."""
    from corridor.matching.hs import is_valid

    text = " ".join((text or "").split())[:1000]
    code = normalise_code(code)
    if not text or len(code) != 6 or not is_valid(code):
        return None
    example, _created = HsExample.objects.get_or_create(
        text=text, code=code, defaults={"confirmed_by": by}
    )
    return example


def hs_examples_learn(*, product_ids: Sequence[int], by: User | None = None) -> int:
    """Learn the HS codes of saved products that were among the suggestions for their text:
    the user saw the suggestion and kept it. Returns how many examples were recorded."""
    learned = 0
    rows = Product.objects.filter(pk__in=list(product_ids), hs_code__isnull=False).values_list(
        "name", "description", "hs_code_id"
    )
    for name, description, code in rows:
        if len(code) != 6:
            continue
        text = ". ".join(p for p in (name, description) if p)
        suggested = {s.code for s in selectors.hs_suggestions(text)}
        if code in suggested and hs_example_confirm(text=text, code=code, by=by):
            learned += 1
    return learned


# --- Daily digest of new matches --------------------------------------------------------------


def unsubscribe_token(user: User) -> str:
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)


def user_from_unsubscribe_token(token: str) -> User | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=pk).first()


def digest_opt_out(*, user: User) -> None:
    DigestOptOut.objects.get_or_create(user=user)


def digest_opt_in(*, user: User) -> None:
    DigestOptOut.objects.filter(user=user).delete()


def _digest_min_score() -> float:
    return float(settings.CORRIDOR.get("MATCH_DIGEST_MIN_SCORE", 0.3))


def digest_send(*, per_request: int = 5) -> int:
    """Email each organisation's people the matches they have not been told about: suppliers
    hear of new requests for their products, buyers of new suppliers for their requests.

    Only matches meeting every requirement and scoring at least MATCH_DIGEST_MIN_SCORE count.
    A MatchNotice per (request, product, recipient) makes sure no match is sent twice, also to
    people who opted out (so that opting in again does not flood them). Returns emails sent.
    """
    ranked = selectors.open_request_matches(per_request=per_request, min_score=_digest_min_score())
    req_ids = [req.pk for req, _top in ranked]
    sent_before = set(
        MatchNotice.objects.filter(request_id__in=req_ids).values_list(
            "request_id", "product_id", "recipient_id"
        )
    )
    supplier_items: dict[int, list] = defaultdict(list)
    buyer_items: dict[int, list] = defaultdict(list)
    notices: list[MatchNotice] = []
    for req, top in ranked:
        for ref, match, _others in top:
            if not match.passes:
                continue
            pid = match.offer_id
            item = {
                "request": req,
                "supplier": ref,
                "product": selectors.product_name(pid),
                "score": round(100 * match.score),
                "reasons": match.reasons,  # rendered in the recipient's language
            }
            if (req.pk, pid, ref.id) not in sent_before:
                supplier_items[ref.id].append(item)
                notices.append(MatchNotice(request=req, product_id=pid, recipient_id=ref.id))
            if (req.pk, pid, req.buyer_id) not in sent_before:
                buyer_items[req.buyer_id].append(item)
                notices.append(MatchNotice(request=req, product_id=pid, recipient_id=req.buyer_id))
    if not notices:
        return 0
    org_ids = set(supplier_items) | set(buyer_items)
    people = (
        Membership.objects.filter(organisation_id__in=org_ids, user__is_active=True)
        .exclude(user__email="")
        .filter(user__digest_opt_out__isnull=True)
        .select_related("user", "organisation")
    )
    per_user: dict[int, dict] = {}
    for m in people:
        entry = per_user.setdefault(m.user_id, {"user": m.user, "requests": [], "suppliers": []})
        for item in supplier_items.get(m.organisation_id, []):
            entry["requests"].append({**item, "org": m.organisation})
        for item in buyer_items.get(m.organisation_id, []):
            entry["suppliers"].append({**item, "org": m.organisation})
    with transaction.atomic():
        # ignore_conflicts: the unique constraint wins if two digests ever overlap.
        MatchNotice.objects.bulk_create(notices, ignore_conflicts=True)
    from corridor.notifications.services import batched, notify

    base = site_url()
    sent = 0
    with batched():  # one email job (one SMTP connection per batch) for the whole digest
        for entry in per_user.values():
            user = entry["user"]
            if not (entry["requests"] or entry["suppliers"]):
                continue
            # The key names the matches told, so a retried digest tells nobody twice.
            told = sorted(
                f"{i['request'].pk}/{i['supplier'].id}/{i['product']}"
                for i in entry["requests"] + entry["suppliers"]
            )
            digest = hashlib.sha256(" ".join(told).encode()).hexdigest()[:32]
            try:
                notification = notify(
                    user=user,
                    kind="matching.digest",
                    key=f"matching.digest:{digest}",
                    subject=gettext_lazy("New matches on Corridor"),
                    body_template="matching/email/digest.txt",
                    context={
                        **entry,
                        "base": base,
                        "unsubscribe_url": base
                        + reverse("matching:unsubscribe", args=[unsubscribe_token(user)]),
                    },
                )
            except Exception:  # one bad record must not stop the others' digest
                log.exception("digest to user %s failed", user.pk)
                continue
            if notification is not None and notification.email_status != "none":
                sent += 1
    return sent
