"""The API's writes: its payloads (codes for foreign keys, null to clear a text field) turned
into the directory services' input. The services check permissions, validate, record history
and refresh the search index; only publication, which the API sets with the other fields, is
handled here, through the consent services of `directory.trust`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from corridor.directory import services, trust
from corridor.directory.models import (
    Certification,
    Country,
    HSCode,
    Organisation,
    Product,
    Province,
    SourcingRequest,
)
from corridor.directory.vocab import OrgKind

# Foreign keys the API addresses by code, with the model that must hold the code.
_CODE_FKS = {"country": Country, "province": Province, "hs_code": HSCode, "destination": Country}
_TEXT = {"CharField", "TextField", "EmailField", "URLField", "SlugField"}


def _service_data(model: type[Model], data: dict[str, Any]) -> dict[str, Any]:
    """{"country": "VN", "website": None} -> {"country": <Country VN>, "website": ""}, refusing
    codes that do not exist."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        code_model = _CODE_FKS.get(key)
        if code_model is not None:
            if value in (None, ""):
                out[key] = None
                continue
            value = value.upper() if code_model is Country else value
            found = code_model.objects.filter(pk=value).first()
            if found is None:
                raise ValidationError({key: _("Unknown code: %(code)s.") % {"code": value}})
            out[key] = found
            continue
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            out[key] = value
            continue
        if value is None and not field.null and field.get_internal_type() in _TEXT:
            value = ""
        out[key] = value
    return out


def _cluster(data: dict[str, Any]) -> dict[str, Any]:
    if "cluster_id" not in data:
        return data
    data = dict(data)
    cluster_id = data.pop("cluster_id")
    cluster = None
    if cluster_id is not None:
        cluster = Organisation.objects.filter(
            pk=cluster_id, kind=OrgKind.CLUSTER, merged_into__isnull=True
        ).first()
        if cluster is None:
            raise ValidationError({"cluster_id": _("No such cluster.")})
    data["cluster"] = cluster
    return data


@transaction.atomic
def organisation_create(*, by, data: dict[str, Any]) -> Organisation:
    """Staff add a profile for someone else; anyone else registers one they own. A profile
    asked for as public is published through the consent service."""
    data = _service_data(Organisation, _cluster(data))
    publish = bool(data.pop("is_published", False))
    org = services.organisation_create(by=by, data=data)
    if publish and not org.is_published:
        trust.organisation_publish(org=org, by=by, note=_("Created through the API."))
    return org


@transaction.atomic
def organisation_update(*, org: Organisation, by, data: dict[str, Any]) -> Organisation:
    data = _service_data(Organisation, _cluster(data))
    publish = data.pop("is_published", None)
    note = data.pop("consent_note", "")
    org = services.organisation_update(org=org, by=by, data=data)
    # Publication is consent, recorded by its own service (owner, or staff saying how).
    if publish is True and not org.is_published:
        trust.organisation_publish(org=org, by=by, note=note)
    elif publish is False and org.is_published:
        trust.organisation_unpublish(org=org, by=by, note=note)
    return org


def product_save(*, product: Product, by, data: dict[str, Any]) -> Product:
    """Create (unsaved `product`) or update a product."""
    data = _service_data(Product, data)
    if product.pk is None:
        return services.product_create(org=product.organisation, by=by, data=data)
    return services.product_update(product=product, by=by, data=data)


def certification_save(*, cert: Certification, by, data: dict[str, Any]) -> Certification:
    data = _service_data(Certification, data)
    if cert.pk is None:
        return services.certification_create(org=cert.organisation, by=by, data=data)
    return services.certification_update(cert=cert, by=by, data=data)


def sourcing_request_save(*, req: SourcingRequest, by, data: dict[str, Any]) -> SourcingRequest:
    data = _service_data(SourcingRequest, data)
    if data.get("preferred_countries") is not None:
        data["preferred_countries"] = [c.upper() for c in data["preferred_countries"]]
    if req.pk is None:
        return services.sourcing_request_create(buyer=req.buyer, by=by, data=data)
    return services.sourcing_request_update(req=req, by=by, data=data)


organisation_delete = services.organisation_delete
product_delete = services.product_delete
certification_delete = services.certification_delete
sourcing_request_delete = services.sourcing_request_delete
