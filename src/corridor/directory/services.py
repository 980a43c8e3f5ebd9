"""Writes of the directory: organisations, products, certifications, sourcing requests, contacts.

Every function checks permission, validates, records the actor in the change history and
refreshes the search index of the organisation it touched.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts import permissions
from corridor.accounts.models import User
from corridor.accounts.services import audit_actor, organisation_register, unique_slug
from corridor.directory import photos, trust
from corridor.directory.models import (
    Certification,
    ContactPerson,
    Organisation,
    Product,
    ProductPhoto,
    SourcingRequest,
)
from corridor.directory.search import reindex_organisations
from corridor.directory.vocab import OrgKind
from corridor.matching.services import schedule_reembed


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not change this."))


def _assign(obj: Model, data: dict[str, Any], exclude: set[str] = frozenset()) -> None:
    for key, value in data.items():
        if key in exclude:
            continue
        obj._meta.get_field(key)  # unknown fields are a programming error, not user input
        setattr(obj, key, value)


def _forget_org_cache(user) -> None:
    if user is not None and hasattr(user, "_corridor_org_ids"):
        del user._corridor_org_ids


def _touch(org_id: int) -> None:
    """A product or certificate changed: the profile's "last updated" date follows."""
    Organisation.objects.filter(pk=org_id).update(updated_at=timezone.now())


def _check_org(org: Organisation, by: User) -> None:
    org.name = (org.name or "").strip()
    if not org.name:
        raise ValidationError({"name": _("The name cannot be empty or only spaces.")})
    if org.province_id and org.province.country_id != org.country_id:
        raise ValidationError({"province": _("This province is not in the chosen country.")})
    if org.cluster_id:
        if org.kind == OrgKind.CLUSTER:
            raise ValidationError({"cluster": _("A cluster cannot be a member of a cluster.")})
        if org.cluster.kind != OrgKind.CLUSTER or org.cluster.merged_into_id:
            raise ValidationError({"cluster": _("No such cluster.")})


# --- Organisations -----------------------------------------------------------------------------


def _require_cluster_right(by: User, org: Organisation | None, data: dict[str, Any]) -> None:
    """Only staff and the cluster's coordinator put an organisation into a cluster; others ask
    to join (directory.cluster_join), which the coordinator approves."""
    if "cluster" not in data:
        return
    cluster = data["cluster"]
    if org is not None and (cluster.pk if cluster else None) == org.cluster_id:
        return
    if not permissions.can_set_cluster(by, cluster):
        raise PermissionDenied(
            _("Only the cluster's coordinator can add members: ask to join on its page instead.")
        )


@transaction.atomic
def organisation_create(*, by: User, data: dict[str, Any]) -> Organisation:
    """Register an organisation.

    Staff create profiles for others (unowned and private until the owner consents); a
    coordinator adding an SME to their own cluster creates it unowned too, for the owner to
    claim; anyone else registers an organisation they own. `is_published` in `data` is the
    owner's consent to a public profile, recorded as such.
    """
    data = dict(data)
    kind = data.get("kind") or OrgKind.SME
    _require(permissions.can_create_org(by, kind))
    publish = bool(data.pop("is_published", False))
    cluster = data.get("cluster")
    _require_cluster_right(by, None, data)
    coordinates = cluster is not None and cluster.pk in permissions.member_org_ids(by)
    if permissions.is_staff(by) or (coordinates and kind == OrgKind.SME):
        org = Organisation(slug=unique_slug(data["name"]), is_published=False)
        publish = False  # someone else's consent: staff record it on the publication page
        _assign(org, data)
        _check_org(org, by)
        org.full_clean(exclude=["search_text"])
        with audit_actor(by):
            org.save()
    else:
        org = organisation_register(
            user=by, name=data["name"], kind=kind, country=data["country"], publish=False
        )
        _assign(org, data, exclude={"slug"})
        _check_org(org, by)
        org.full_clean(exclude=["search_text"])
        with audit_actor(by):
            org.save()
        if publish:
            trust.organisation_publish(org=org, by=by)
    _forget_org_cache(by)
    reindex_organisations([org.pk])
    return org


@transaction.atomic
def organisation_update(*, org: Organisation, by: User, data: dict[str, Any]) -> Organisation:
    """Change a profile's fields (publication has its own consent page: trust.publish)."""
    _require(permissions.can_edit_org(by, org))
    _require_cluster_right(by, org, data)
    identity = (org.name, org.local_name, org.country_id)
    names = (org.name, org.local_name)
    _assign(org, data, exclude={"kind", "is_published", "slug"})
    _check_org(org, by)
    if (
        org.verified_at is not None
        and not permissions.is_staff(by)
        and (org.name, org.local_name, org.country_id) != identity
    ):
        # The badge vouches for the organisation staff checked: a new name or country needs
        # a new check (staff correcting a name keep it).
        org.verified_at = None
        org.verified_by = None
    org.full_clean(exclude=["search_text"])
    with audit_actor(by):
        org.save()
    ids = [org.pk]
    if org.kind == OrgKind.CLUSTER and (org.name, org.local_name) != names:
        # Members carry the cluster's names in their search text and facet rows (and only
        # these: a cluster of hundreds saved for its phone number reindexes itself alone).
        ids += list(org.members.values_list("id", flat=True))
    reindex_organisations(ids)
    return org


@transaction.atomic
def organisation_delete(*, org: Organisation, by: User) -> None:
    _require(permissions.can_delete_org(by, org))
    org_id = org.pk
    members = list(org.members.values_list("id", flat=True))
    with audit_actor(by):
        org.delete()
    _forget_org_cache(by)
    reindex_organisations([org_id, *members])


# --- Products ----------------------------------------------------------------------------------


@transaction.atomic
def product_create(*, org: Organisation, by: User, data: dict[str, Any]) -> Product:
    _require(permissions.can_edit_org(by, org))
    product = Product(organisation=org)
    data = dict(data)
    photo, removed = data.pop("photo", None), data.pop("remove_photos", None) or ()
    _assign(product, data, exclude={"organisation"})
    product.full_clean(exclude=["embedding", "embedded_at"])
    with audit_actor(by):
        product.save()
        _update_photos(product, photo, removed)
    _touch(org.pk)
    reindex_organisations([org.pk])
    schedule_reembed(product_ids=[product.pk], by=by)
    return product


@transaction.atomic
def product_update(*, product: Product, by: User, data: dict[str, Any]) -> Product:
    _require(permissions.can_edit_product(by, product))
    data = dict(data)
    photo, removed = data.pop("photo", None), data.pop("remove_photos", None) or ()
    _assign(product, data, exclude={"organisation"})
    product.full_clean(exclude=["embedding", "embedded_at"])
    with audit_actor(by):
        product.save()
        _update_photos(product, photo, removed)
    _touch(product.organisation_id)
    reindex_organisations([product.organisation_id])
    schedule_reembed(product_ids=[product.pk], by=by)
    return product


def _update_photos(product: Product, photo, removed) -> None:
    """Add a prepared photo (see `photos.prepare`) and remove the chosen ones."""
    _delete_photos(ProductPhoto.objects.filter(product=product, pk__in=[p.pk for p in removed]))
    if photo:
        if product.photos.count() >= photos.MAX_PHOTOS:
            raise ValidationError(
                {
                    "photo": _("A product has at most %(n)d photos: remove one first.")
                    % {"n": photos.MAX_PHOTOS}
                }
            )
        new = ProductPhoto(product=product)
        new.image.save(photo.name, photo, save=False)
        new.save()


def _delete_photos(photos_qs) -> None:
    """Delete photo rows now and their files once the transaction commits (a rollback keeps
    both)."""
    for old in photos_qs:
        name, storage = old.image.name, old.image.storage
        old.delete()
        transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))


@transaction.atomic
def product_delete(*, product: Product, by: User) -> None:
    _require(permissions.can_delete_product(by, product))
    org_id = product.organisation_id
    with audit_actor(by):
        _delete_photos(product.photos.all())
        product.delete()
    _touch(org_id)
    reindex_organisations([org_id])


# --- Certifications ----------------------------------------------------------------------------


# A certificate's expiry date must be a real one: not year 1, not year 9999.
CERT_EARLIEST = datetime.date(1990, 1, 1)
CERT_MAX_YEARS_AHEAD = 30


def _check_cert(cert: Certification) -> None:
    if cert.valid_until is not None:
        latest = timezone.localdate().replace(month=1, day=1)
        latest = latest.replace(year=latest.year + CERT_MAX_YEARS_AHEAD)
        if not CERT_EARLIEST <= cert.valid_until <= latest:
            raise ValidationError(
                {
                    "valid_until": _("The expiry date must be between %(a)s and %(b)s.")
                    % {"a": CERT_EARLIEST.isoformat(), "b": latest.isoformat()}
                }
            )
    if (
        cert.product_id
        and not Product.objects.filter(
            pk=cert.product_id, organisation_id=cert.organisation_id
        ).exists()
    ):
        raise ValidationError({"product": _("This product belongs to another organisation.")})


@transaction.atomic
def certification_create(*, org: Organisation, by: User, data: dict[str, Any]) -> Certification:
    _require(permissions.can_edit_org(by, org))
    cert = Certification(organisation=org)
    _assign(cert, data, exclude={"organisation"})
    _check_cert(cert)
    cert.full_clean()
    with audit_actor(by):
        cert.save()
    _touch(org.pk)
    reindex_organisations([org.pk])
    return cert


@transaction.atomic
def certification_update(*, cert: Certification, by: User, data: dict[str, Any]) -> Certification:
    _require(permissions.can_edit_org(by, cert.organisation))
    _assign(cert, data, exclude={"organisation"})
    _check_cert(cert)
    cert.full_clean()
    with audit_actor(by):
        cert.save()
    _touch(cert.organisation_id)
    reindex_organisations([cert.organisation_id])
    return cert


@transaction.atomic
def certification_delete(*, cert: Certification, by: User) -> None:
    _require(permissions.can_edit_org(by, cert.organisation))
    org_id = cert.organisation_id
    with audit_actor(by):
        cert.delete()
    _touch(org_id)
    reindex_organisations([org_id])


# --- Sourcing requests -------------------------------------------------------------------------


@transaction.atomic
def sourcing_request_create(
    *, buyer: Organisation, by: User, data: dict[str, Any]
) -> SourcingRequest:
    _require(permissions.can_edit_org(by, buyer))
    if buyer.kind != OrgKind.BUYER:
        raise ValidationError(_("Only buyers post sourcing requests."))
    req = SourcingRequest(buyer=buyer, created_by=by if by.is_authenticated else None)
    _assign(req, data, exclude={"buyer", "created_by"})
    req.full_clean(exclude=["embedding"])
    with audit_actor(by):
        req.save()
    _touch(buyer.pk)
    reindex_organisations([buyer.pk])
    schedule_reembed(request_ids=[req.pk])
    return req


@transaction.atomic
def sourcing_request_update(
    *, req: SourcingRequest, by: User, data: dict[str, Any]
) -> SourcingRequest:
    _require(permissions.can_edit_request(by, req))
    _assign(req, data, exclude={"buyer", "created_by"})
    req.full_clean(exclude=["embedding"])
    with audit_actor(by):
        req.save()
    _touch(req.buyer_id)
    reindex_organisations([req.buyer_id])
    schedule_reembed(request_ids=[req.pk])
    return req


@transaction.atomic
def sourcing_request_delete(*, req: SourcingRequest, by: User) -> None:
    _require(permissions.can_delete_request(by, req))
    buyer_id = req.buyer_id
    with audit_actor(by):
        req.delete()
    _touch(buyer_id)
    reindex_organisations([buyer_id])


# --- Contact persons ---------------------------------------------------------------------------


@transaction.atomic
def contact_person_create(*, org: Organisation, by: User, data: dict[str, Any]) -> ContactPerson:
    _require(permissions.can_edit_org(by, org))
    contact = ContactPerson(organisation=org)
    _assign(contact, data, exclude={"organisation"})
    contact.full_clean()
    with audit_actor(by):
        contact.save()
    _touch(org.pk)
    reindex_organisations([org.pk])
    return contact


@transaction.atomic
def contact_person_update(
    *, contact: ContactPerson, by: User, data: dict[str, Any]
) -> ContactPerson:
    _require(permissions.can_edit_org(by, contact.organisation))
    _assign(contact, data, exclude={"organisation"})
    contact.full_clean()
    with audit_actor(by):
        contact.save()
    _touch(contact.organisation_id)
    reindex_organisations([contact.organisation_id])
    return contact


@transaction.atomic
def contact_person_delete(*, contact: ContactPerson, by: User) -> None:
    _require(permissions.can_edit_org(by, contact.organisation))
    org_id = contact.organisation_id
    with audit_actor(by):
        contact.delete()
    _touch(org_id)
    reindex_organisations([org_id])
