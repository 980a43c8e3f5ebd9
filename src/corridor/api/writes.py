"""Writes the API needs that no app service offers yet (organisations, products, certifications,
sourcing requests): validated, atomic, recorded in history, and refreshing the search index.

Permission checks stay in the endpoints (permissions.py); these functions assume them done.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from corridor.accounts import permissions
from corridor.accounts.services import audit_actor, organisation_register, unique_slug
from corridor.directory import services as directory_services
from corridor.directory import trust
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
from corridor.matching.services import schedule_reembed

# Foreign keys the API addresses by code, with the model that must hold the code.
_CODE_FKS = {"country": Country, "province": Province, "hs_code": HSCode, "destination": Country}


_TEXT = {"CharField", "TextField", "EmailField", "URLField", "SlugField"}


def _resolve_codes(data: dict[str, Any]) -> dict[str, Any]:
    """Turn {"country": "VN"} into {"country_id": "VN"}, refusing codes that do not exist."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        model = _CODE_FKS.get(key)
        if model is None:
            out[key] = value
            continue
        if value is not None and value != "":
            value = value.upper() if model is Country else value
            if not model.objects.filter(pk=value).exists():
                raise ValidationError({key: _("Unknown code: %(code)s.") % {"code": value}})
        out[f"{key}_id"] = value or None
    return out


def _apply(obj: Model, data: dict[str, Any]) -> None:
    """Set fields; null on a text field that cannot be null means "clear it"."""
    for key, value in data.items():
        field = obj._meta.get_field(key.removesuffix("_id") if key.endswith("_id") else key)
        if value is None and not field.null and field.get_internal_type() in _TEXT:
            value = ""
        setattr(obj, key, value)


def _check_org_links(org: Organisation) -> None:
    if (
        org.province_id
        and not Province.objects.filter(pk=org.province_id, country_id=org.country_id).exists()
    ):
        raise ValidationError({"province": _("This province is not in the chosen country.")})
    if (
        org.cluster_id
        and not Organisation.objects.filter(
            pk=org.cluster_id, kind="cluster", merged_into__isnull=True
        ).exists()
    ):
        raise ValidationError({"cluster_id": _("No such cluster.")})


def _forget_org_cache(user) -> None:
    if hasattr(user, "_corridor_org_ids"):
        del user._corridor_org_ids


@transaction.atomic
def organisation_create(*, by, data: dict[str, Any]) -> Organisation:
    """Staff add a profile for someone else; anyone else registers one they own."""
    data = _resolve_codes(data)
    publish = bool(data.pop("is_published", False))
    if permissions.is_staff(by):
        org = Organisation(slug=unique_slug(data["name"]), is_published=False)
    else:
        org = organisation_register(
            user=by,
            name=data["name"],
            kind=data["kind"],
            country=Country.objects.get(pk=data["country_id"]),
            publish=publish,
        )
    _apply(org, data)
    _check_org_links(org)
    org.full_clean(exclude=["search_text"])
    with audit_actor(by):
        org.save()
    if publish and not org.is_published:
        trust.organisation_publish(org=org, by=by, note=_("Created through the API."))
    reindex_organisations([org.pk])
    _forget_org_cache(by)
    return org


@transaction.atomic
def organisation_update(*, org: Organisation, by, data: dict[str, Any]) -> Organisation:
    data = _resolve_codes(data)
    publish = data.pop("is_published", None)
    note = data.pop("consent_note", "")
    _apply(org, data)
    _check_org_links(org)
    org.full_clean(exclude=["search_text"])
    with audit_actor(by):
        org.save()
    # Publication is consent, recorded by its own service (owner, or staff saying how).
    if publish is True and not org.is_published:
        trust.organisation_publish(org=org, by=by, note=note)
    elif publish is False and org.is_published:
        trust.organisation_unpublish(org=org, by=by, note=note)
    reindex_organisations([org.pk])
    return org


# Deletes have no API-specific input: the directory services (which also reindex the
# organisation, its cluster members and the facet counts) are the one implementation.
organisation_delete = directory_services.organisation_delete
product_delete = directory_services.product_delete
certification_delete = directory_services.certification_delete
sourcing_request_delete = directory_services.sourcing_request_delete


@transaction.atomic
def product_save(*, product: Product, by, data: dict[str, Any]) -> Product:
    """Create (unsaved `product`) or update a product, then reindex its organisation."""
    _apply(product, _resolve_codes(data))
    product.full_clean(exclude=["embedding", "embedded_at"])
    with audit_actor(by):
        product.save()
    reindex_organisations([product.organisation_id])
    schedule_reembed(product_ids=[product.pk], by=by)
    return product


def _check_cert_product(cert: Certification) -> None:
    if (
        cert.product_id
        and not Product.objects.filter(
            pk=cert.product_id, organisation_id=cert.organisation_id
        ).exists()
    ):
        raise ValidationError({"product_id": _("This product belongs to another organisation.")})


@transaction.atomic
def certification_save(*, cert: Certification, by, data: dict[str, Any]) -> Certification:
    _apply(cert, data)
    _check_cert_product(cert)
    cert.full_clean(exclude=["document"])
    with audit_actor(by):
        cert.save()
    # Certifications are a search facet: a new or expired one must show in the counts.
    reindex_organisations([cert.organisation_id])
    return cert


@transaction.atomic
def sourcing_request_save(*, req: SourcingRequest, by, data: dict[str, Any]) -> SourcingRequest:
    data = _resolve_codes(data)
    if "preferred_countries" in data and data["preferred_countries"] is not None:
        data["preferred_countries"] = [c.upper() for c in data["preferred_countries"]]
    _apply(req, data)
    if req.pk is None and by.is_authenticated:
        req.created_by = by
    req.full_clean(exclude=["embedding"])
    with audit_actor(by):
        req.save()
    schedule_reembed(request_ids=[req.pk])
    return req
