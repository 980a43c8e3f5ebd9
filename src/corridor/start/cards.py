"""The start page's own cards: what waits for an SME, a buyer, a coordinator and staff.

Other apps add theirs in their own `cards.py` (see corridor.start.registry)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.connections.models import Connection
from corridor.directory.models import (
    Certification,
    ClusterJoinRequest,
    ContactPerson,
    Organisation,
    Product,
    SourcingRequest,
)
from corridor.directory.vocab import OrgKind
from corridor.start.registry import Card, Viewer, card

# A sourcing request is "new" on the start page for this long.
NEW_FOR = timedelta(days=14)
# Without HS codes to compare, a request is shown from this score on (the ranking's 0..1).
RELEVANT_SCORE = 0.2
LIVE = [Connection.Status.REQUESTED, Connection.Status.ACCEPTED]
# A cluster's members listed on the card; the cluster's page lists them all.
MEMBERS_SHOWN = 10


@card(order=5)
def programme_work(viewer: Viewer) -> Card | None:
    """Staff: what waits for the programme (one COUNT per kind of work)."""
    if not viewer.staff:
        return None
    from corridor.accounts.models import ClaimRequest
    from corridor.followup import selectors as followup
    from corridor.reporting.models import ACTIVE, BottleneckReport

    rows = [
        (
            _("Ownership claims to review"),
            ClaimRequest.objects.filter(status=ClaimRequest.Status.PENDING).count(),
            reverse("directory:trust_claims"),
        ),
        (
            _("Requests to join a cluster"),
            ClusterJoinRequest.objects.filter(status=ClusterJoinRequest.Status.REQUESTED).count(),
            "",
        ),
        (
            _("Follow-up answers that disagree"),
            followup.conflicts().order_by().count(),
            reverse("followup:conflicts"),
        ),
        (
            _("Follow-up surveys without an answer"),
            followup.non_responders().order_by().count(),
            reverse("followup:non_responders"),
        ),
        (
            _("Bottleneck reports past their answer date"),
            BottleneckReport.objects.filter(
                status__in=ACTIVE, deadline__lt=timezone.localdate()
            ).count(),
            reverse("reporting:list"),
        ),
    ]
    return Card(
        title=_("Programme work waiting"),
        template="start/cards/programme_work.html",
        context={"rows": rows},
        waiting=sum(count for _label, count, _url in rows),
    )


@card(order=10)
def connection_requests(viewer: Viewer) -> Card | None:
    """Connection requests that wait for an answer from the user's organisations."""
    if not viewer.org_ids:
        return None
    waiting = Connection.objects.filter(
        to_org_id__in=viewer.org_ids, status=Connection.Status.REQUESTED
    )
    shown = list(
        waiting.select_related("from_org", "to_org", "sourcing_request").order_by("-created_at")[:5]
    )
    return Card(
        title=_("Connection requests waiting"),
        template="start/cards/connection_requests.html",
        context={"items": shown},
        waiting=waiting.count(),
        more_url=reverse("connections:list") + "?status=requested",
    )


@card(order=15, lazy=lambda viewer: bool(viewer.orgs_of(OrgKind.BUYER)))
def my_sourcing_requests(viewer: Viewer) -> Card | None:
    """A buyer's open requests, their responses and their best suppliers."""
    buyers = viewer.orgs_of(OrgKind.BUYER)
    if not buyers:
        return None
    from corridor.matching.selectors import request_suppliers

    requests = list(
        SourcingRequest.objects.filter(buyer__in=buyers, status=SourcingRequest.Status.OPEN)
        .select_related("buyer", "hs_code")
        .annotate(
            responses_count=Count("responses", filter=Q(responses__status__in=LIVE)),
            responses_waiting=Count(
                "responses", filter=Q(responses__status=Connection.Status.REQUESTED)
            ),
        )
        .order_by("-created_at")[:5]
    )
    rows = [(req, request_suppliers(user=viewer.user, req=req, limit=3)) for req in requests]
    return Card(
        title=_("My sourcing requests"),
        template="start/cards/my_sourcing_requests.html",
        context={"rows": rows, "buyers": buyers},
        waiting=sum(req.responses_waiting for req in requests),
        more_url=reverse("directory:organisation", args=[buyers[0].slug]) + "#requests",
    )


def _relevant(match, product_hs: str) -> bool:
    """A request worth answering: it passes the buyer's requirements, or it asks for the same
    HS chapter as the product, or (without codes to compare) its text matches well."""
    if match.passes:
        return True
    wanted = match.request.hs_code_id or ""
    if wanted and product_hs:
        return wanted[:2] == product_hs[:2]
    return match.score >= RELEVANT_SCORE


@card(order=20, lazy=lambda viewer: bool(viewer.orgs_of(OrgKind.SME, OrgKind.CLUSTER)))
def requests_to_answer(viewer: Viewer) -> Card | None:
    """Open sourcing requests that match an SME's (or a cluster's) products, not yet answered."""
    suppliers = viewer.orgs_of(OrgKind.SME, OrgKind.CLUSTER)
    if not suppliers:
        return None
    from corridor.matching.selectors import org_requests, supplier_catalog

    supplier = suppliers[0]
    # Without products there is nothing to match: skip the engine (and building its catalogue).
    has_products = Product.objects.filter(
        Q(organisation=supplier) | Q(organisation__cluster=supplier), is_active=True
    ).exists()
    if not has_products:
        return Card(
            title=_("Sourcing requests to answer"),
            template="start/cards/requests_to_answer.html",
            context={"rows": [], "supplier": supplier, "no_products": True},
        )
    products = supplier_catalog().products
    matches = [
        m
        for m in org_requests(user=viewer.user, org=supplier, limit=15)
        if _relevant(m, products.get(m.product_id, {}).get("hs_code") or "")
    ]
    answered = set(
        Connection.objects.filter(
            from_org__in=suppliers,
            sourcing_request_id__in=[m.request.pk for m in matches],
            status__in=LIVE,
        ).values_list("sourcing_request_id", flat=True)
    )
    since = timezone.now() - NEW_FOR
    rows = [(m, m.request.created_at >= since) for m in matches if m.request.pk not in answered][:5]
    return Card(
        title=_("Sourcing requests to answer"),
        template="start/cards/requests_to_answer.html",
        context={"rows": rows, "supplier": supplier},
        waiting=sum(1 for _m, new in rows if new),
        more_url=reverse("matching:org_requests", args=[supplier.slug]),
    )


def _completeness(org: Organisation) -> tuple[int, list[tuple[str, str]]]:
    """(percent, missing items with where to fill them) of an annotated organisation."""
    edit = reverse("directory:organisation_edit", args=[org.slug])
    checks = [
        (bool(org.description or org.local_description), _("a description"), edit),
        (bool(org.local_name), _("the name in your language"), edit),
        (bool(org.province_id), _("the province"), edit),
        (bool(org.email or org.phone or org.website), _("an email, phone or website"), edit),
        (
            org.n_contacts > 0,
            _("a contact person"),
            reverse("directory:contact_create", args=[org.slug]),
        ),
    ]
    if org.kind == OrgKind.SME:  # a cluster's products are its members'
        new_product = reverse("directory:product_create", args=[org.slug])
        checks += [
            (org.n_products > 0, _("a product"), new_product),
            (
                org.n_products > 0 and org.n_products_hs == org.n_products,
                _("an HS code on every product"),
                reverse("directory:organisation", args=[org.slug]) + "#products",
            ),
            (
                org.n_certifications > 0,
                _("a certification"),
                reverse("directory:certification_create", args=[org.slug]),
            ),
        ]
    done = sum(1 for ok, _label, _url in checks if ok)
    return round(100 * done / len(checks)), [(label, url) for ok, label, url in checks if not ok]


def _count(model, **filters) -> Coalesce:
    """Rows of `model` of each organisation, as a subquery: counts over one join each would
    multiply (products × contacts × certifications rows per organisation)."""
    rows = (
        model.objects.filter(organisation=OuterRef("pk"), **filters)
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


@card(order=30)
def profile_completeness(viewer: Viewer) -> Card | None:
    """How complete the user's organisation profiles are, and what is missing."""
    ids = [
        o.pk
        for o in viewer.orgs_of(OrgKind.SME, OrgKind.CLUSTER, OrgKind.BUYER)
        if o.pk in viewer.org_ids
    ][:3]
    if not ids:
        return None
    orgs = Organisation.objects.filter(pk__in=ids).annotate(
        n_products=_count(Product, is_active=True),
        n_products_hs=_count(Product, is_active=True, hs_code__isnull=False),
        n_contacts=_count(ContactPerson),
        n_certifications=_count(Certification),
    )
    rows = [(org, *_completeness(org)) for org in orgs.order_by("name")]
    return Card(
        title=_("Profile completeness"),
        template="start/cards/profile_completeness.html",
        context={"rows": rows},
    )


@card(order=20)
def cluster_members(viewer: Viewer) -> Card | None:
    """A coordinator's cluster: its members and the requests to join it."""
    clusters = viewer.clusters
    if not clusters:
        return None
    members = list(
        Organisation.objects.filter(cluster__in=clusters, merged_into__isnull=True)
        .select_related("province")
        .annotate(n_products=Count("products", filter=Q(products__is_active=True)))
        .order_by("name")[:MEMBERS_SHOWN]
    )
    joins = list(
        ClusterJoinRequest.objects.filter(
            cluster__in=clusters, status=ClusterJoinRequest.Status.REQUESTED
        ).select_related("organisation", "cluster")
    )
    return Card(
        title=_("My cluster's members"),
        template="start/cards/cluster_members.html",
        context={"clusters": clusters, "members": members, "joins": joins},
        waiting=len(joins),
        more_url=reverse("directory:organisation", args=[clusters[0].slug]) + "#members",
    )


@card(order=25, lazy=lambda viewer: bool(viewer.clusters))
def cluster_partners(viewer: Viewer) -> Card | None:
    """Clusters a coordinator's cluster could work with (its members' products count)."""
    clusters = viewer.clusters
    if not clusters:
        return None
    from corridor.matching.selectors import complementary_clusters

    cluster = clusters[0]
    partners = complementary_clusters(user=viewer.user, cluster=cluster, limit=5)
    return Card(
        title=_("Clusters to work with"),
        template="start/cards/cluster_partners.html",
        context={"partners": partners, "cluster": cluster},
        more_url=reverse("matching:cluster_partners", args=[cluster.slug]),
    )
