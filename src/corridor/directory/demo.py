"""The demo directory of the institute's 2014 SME cluster forum, loaded by `corridor load_demo`.

The content lives in `corridor/data/demo/*.json`; this module only turns it into rows. Every
record is keyed (organisations on slug, products on organisation and name, certificates on
organisation, kind and number, requests on buyer and title, users on username) and created only
when missing, so running the loader again adds nothing and leaves edits made in the app alone.
Dates (deadlines, expiry dates) are relative to the day of loading, so the demo stays current.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import ConsentRecord, Membership, User
from corridor.directory.models import (
    Certification,
    Country,
    HSCode,
    Organisation,
    Product,
    Province,
    SourcingRequest,
)
from corridor.directory.search import reindex_organisations
from corridor.directory.vocab import OrgKind

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
PASSWORD = "corridor-demo"
SITE = "http://127.0.0.1:8000/"
CONSENT_NOTE = "Consent form signed at the 2014 SME cluster forum (demo data)."


@cache
def demo_data() -> dict[str, list[dict[str, Any]]]:
    """The demo content: clusters (with their member SMEs), buyers, support organisations, users."""

    def read(name: str) -> list[dict[str, Any]]:
        return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))

    clusters = [c for path in sorted(DATA_DIR.glob("clusters-*.json")) for c in read(path.name)]
    return {
        "clusters": clusters,
        "buyers": read("buyers.json"),
        "support": read("support.json"),
        "users": read("users.json"),
    }


def _amount(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class _Loader:
    def __init__(self, today: date) -> None:
        self.today = today
        self.now = timezone.now()
        self.created: Counter[str] = Counter()
        self.org_ids: list[int] = []
        self.product_ids: list[int] = []
        self.request_ids: list[int] = []
        self.orgs: dict[str, Organisation] = {}
        self.admin: User | None = None

    # --- Reference data --------------------------------------------------------------------

    def province(self, code: str) -> Province:
        """The current province for `code`: one merged away (Vietnam 2025) gives its successor."""
        province = Province.objects.select_related("successor").get(code=code)
        seen = {province.code}
        while (
            not province.is_current and province.successor_id and province.successor_id not in seen
        ):
            seen.add(province.successor_id)
            province = Province.objects.select_related("successor").get(code=province.successor_id)
        return province

    # --- Users -----------------------------------------------------------------------------

    def user(self, spec: dict[str, Any]) -> User:
        user = User.objects.filter(username=spec["username"]).first()
        if user is None:
            user = User(
                username=spec["username"],
                email=spec["email"],
                full_name=spec.get("full_name", ""),
                language=spec.get("language", ""),
                is_staff=spec.get("is_staff", False),
                is_superuser=spec.get("is_superuser", False),
            )
            # Only on creation: a password changed after loading must survive a reload.
            user.set_password(PASSWORD)
            user.full_clean(exclude=["password"])
            user.save()
            self.created["users"] += 1
        return user

    def memberships(self, user: User, spec: dict[str, Any]) -> None:
        for m in spec.get("memberships", []):
            org = self.orgs[m["organisation"]]
            _, new = Membership.objects.get_or_create(
                user=user, organisation=org, defaults={"role": m["role"]}
            )
            self.created["memberships"] += new
            if m["role"] == Membership.Role.OWNER and not org.is_claimed:
                org.is_claimed = True
                org.save(update_fields=["is_claimed", "updated_at"])
        slug = spec.get("coordinates")
        if slug and self.orgs[slug].coordinator_id is None:
            cluster = self.orgs[slug]
            cluster.coordinator = user
            cluster.save(update_fields=["coordinator", "updated_at"])

    # --- Organisations -----------------------------------------------------------------------

    def organisation(self, spec: dict[str, Any], kind: str, **extra: Any) -> Organisation:
        org = Organisation.objects.filter(slug=spec["slug"]).first()
        if org is None:
            province = self.province(spec["province"]) if spec.get("province") else None
            country_code = province.country_id if province else spec["country"]
            if spec.get("country") and spec["country"] != country_code:
                raise ValueError(f"{spec['slug']}: province {province} is not in {spec['country']}")
            org = Organisation(
                kind=kind,
                slug=spec["slug"],
                name=spec["name"],
                local_name=spec.get("local_name", ""),
                description=spec.get("description", ""),
                local_description=spec.get("local_description", ""),
                country=Country.objects.get(code=country_code),
                province=province,
                email=spec.get("email", ""),
                phone=spec.get("phone", ""),
                founded_year=spec.get("founded_year"),
                employees=spec.get("employees"),
                product_focus=spec.get("product_focus", ""),
                is_export_consortium=spec.get("is_export_consortium", False),
                buyer_type=spec.get("buyer_type", ""),
                support_type=spec.get("support_type", ""),
                is_published=spec.get("published", True),
                **extra,
            )
            if spec.get("verified"):
                org.verified_at, org.verified_by = self.now, self.admin
            org.full_clean(exclude=["search_text"])
            org.save()
            if org.is_published:
                # Staff record the owner's consent, as trust.organisation_publish would.
                ConsentRecord.objects.create(
                    organisation=org, published=True, by=self.admin, note=CONSENT_NOTE
                )
            self.created["organisations"] += 1
        self.orgs[org.slug] = org
        self.org_ids.append(org.pk)
        for item in spec.get("products", []):
            self.product(org, item)
        products = {p.name: p for p in org.products.all()}
        for item in spec.get("certifications", []):
            self.certification(org, item, products)
        for item in spec.get("requests", []):
            self.request(org, item)
        return org

    def product(self, org: Organisation, spec: dict[str, Any]) -> Product:
        product = Product.objects.filter(organisation=org, name=spec["name"]).first()
        if product is None:
            capacity = spec.get("capacity") or [None, ""]
            min_order = spec.get("min_order") or [None, ""]
            price = spec.get("price") or [None, None, "USD", ""]
            product = Product(
                organisation=org,
                name=spec["name"],
                local_name=spec.get("local_name", ""),
                description=spec.get("description", ""),
                hs_code=HSCode.objects.get(code=spec["hs"]),
                capacity_amount=_amount(capacity[0]),
                capacity_unit=capacity[1],
                capacity_period=spec.get("capacity_period", "month"),
                min_order_amount=_amount(min_order[0]),
                min_order_unit=min_order[1],
                price_min=_amount(price[0]),
                price_max=_amount(price[1]),
                currency=price[2],
                price_unit=price[3],
                markets=spec.get("markets", []),
            )
            product.full_clean(exclude=["embedding", "embedded_at"])
            product.save()
            self.created["products"] += 1
        self.product_ids.append(product.pk)
        return product

    def certification(
        self, org: Organisation, spec: dict[str, Any], products: dict[str, Product]
    ) -> Certification:
        cert = Certification.objects.filter(
            organisation=org, kind=spec["kind"], number=spec["number"]
        ).first()
        if cert is None:
            days = spec.get("valid_days")
            cert = Certification(
                organisation=org,
                product=products[spec["product"]] if spec.get("product") else None,
                kind=spec["kind"],
                issuer=spec.get("issuer", ""),
                number=spec["number"],
                valid_until=None if days is None else self.today + timedelta(days=days),
            )
            cert.full_clean()
            cert.save()
            self.created["certifications"] += 1
        return cert

    def request(self, buyer: Organisation, spec: dict[str, Any]) -> SourcingRequest:
        req = SourcingRequest.objects.filter(buyer=buyer, title=spec["title"]).first()
        if req is None:
            quantity = spec.get("quantity") or [None, ""]
            days = spec.get("deadline_days")
            req = SourcingRequest(
                buyer=buyer,
                title=spec["title"],
                description=spec.get("description", ""),
                hs_code=HSCode.objects.get(code=spec["hs"]) if spec.get("hs") else None,
                quantity_amount=_amount(quantity[0]),
                quantity_unit=quantity[1],
                frequency=spec.get("frequency", "once"),
                target_price=_amount(spec.get("target_price")),
                currency=spec.get("currency", "USD"),
                required_certifications=spec.get("required_certifications", []),
                destination=Country.objects.get(code=spec["destination"]),
                preferred_countries=spec.get("preferred_countries", []),
                deadline=None if days is None else self.today + timedelta(days=days),
                status=spec.get("status", SourcingRequest.Status.OPEN),
            )
            req.full_clean(exclude=["embedding"])
            req.save()
            self.created["requests"] += 1
        self.request_ids.append(req.pk)
        return req


def demo_counts() -> dict[str, int]:
    """How many demo records the database holds (the slugs and usernames of the demo data)."""
    data = demo_data()
    slugs = [c["slug"] for c in data["clusters"]]
    slugs += [m["slug"] for c in data["clusters"] for m in c["members"]]
    slugs += [b["slug"] for b in data["buyers"]] + [s["slug"] for s in data["support"]]
    orgs = Organisation.objects.filter(slug__in=slugs)
    by_kind = Counter(orgs.values_list("kind", flat=True))
    return {
        "clusters": by_kind[OrgKind.CLUSTER],
        "smes": by_kind[OrgKind.SME],
        "buyers": by_kind[OrgKind.BUYER],
        "support": by_kind[OrgKind.SUPPORT],
        "products": Product.objects.filter(organisation__in=orgs).count(),
        "certifications": Certification.objects.filter(organisation__in=orgs).count(),
        "requests": SourcingRequest.objects.filter(buyer__in=orgs).count(),
        "users": User.objects.filter(username__in=[u["username"] for u in data["users"]]).count(),
    }


def _embed(loader: _Loader) -> int:
    """Store matching vectors of the demo products and requests that have none yet.

    Done in-process rather than queued: about two seconds for the demo with the e5 model, and
    `make demo` then matches from the first page view without a worker running."""
    from corridor.matching import services as matching

    products = list(
        Product.objects.filter(pk__in=loader.product_ids, embedding__isnull=True).values_list(
            "pk", flat=True
        )
    )
    requests = list(
        SourcingRequest.objects.filter(
            pk__in=loader.request_ids, embedding__isnull=True
        ).values_list("pk", flat=True)
    )
    return matching.products_embed(product_ids=products) + matching.requests_embed(
        request_ids=requests
    )


@transaction.atomic
def load_demo(*, stdout: TextIO | None = None) -> dict[str, int]:
    """Load the reference data and the demo directory; returns the demo record counts plus
    `created`, the number of records this run added (0 on a second run)."""
    from corridor.directory.reference import load_reference

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message + "\n")

    load_reference(stdout=stdout)
    data = demo_data()
    loader = _Loader(timezone.localdate())
    specs = {u["username"]: u for u in data["users"]}
    users = {name: loader.user(spec) for name, spec in specs.items()}
    loader.admin = next((u for u in users.values() if u.is_superuser), None)

    for spec in data["clusters"]:
        cluster = loader.organisation(spec, OrgKind.CLUSTER)
        for member in spec["members"]:
            loader.organisation(member, OrgKind.SME, cluster=cluster)
    for spec in data["buyers"]:
        loader.organisation(spec, OrgKind.BUYER)
    for spec in data["support"]:
        loader.organisation(spec, OrgKind.SUPPORT)
    for name, spec in specs.items():
        loader.memberships(users[name], spec)

    indexed = reindex_organisations(loader.org_ids)
    from corridor.notifications.demo import load_demo_notifications

    load_demo_notifications(users.values())
    embedded = _embed(loader)
    counts = demo_counts()
    created = sum(loader.created.values())
    say(
        _(
            "Demo directory: %(clusters)d clusters, %(smes)d SMEs, %(buyers)d buyers, "
            "%(support)d support organisations, %(products)d products, %(certifications)d "
            "certificates, %(requests)d sourcing requests, %(users)d users."
        )
        % counts
    )
    say(
        _("%(created)d records created, %(indexed)d organisations indexed, %(embedded)d vectors.")
        % {"created": created, "indexed": indexed, "embedded": embedded}
    )
    return {**counts, "created": created}


def login_box() -> str:
    """The sign-in details of the demo users, framed for a terminal."""
    rows = [
        _("Corridor demo is ready: %(url)s") % {"url": SITE},
        "",
        _("Sign in with password: %(password)s") % {"password": PASSWORD},
        "",
        "  admin        " + _("programme staff and superuser (%(url)sadmin/)") % {"url": SITE},
        "  coordinator  " + _("coordinator of the Bat Trang ceramic cluster"),
        "  sme          " + _("owner of Hoa Sen Bat Trang Ceramics"),
        "  buyer        " + _("buyer at Siam Organic Foods, Bangkok"),
    ]
    width = max(len(r) for r in rows)
    line = "+" + "-" * (width + 2) + "+"
    return "\n".join([line, *(f"| {r.ljust(width)} |" for r in rows), line])
