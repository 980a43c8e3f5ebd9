"""Products, certifications and sourcing requests: lists, details, and writes where permitted."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from corridor.accounts import permissions
from corridor.api import selectors, writes
from corridor.api.auth import auth_optional, auth_required
from corridor.api.concurrency import check_if_match, tagged
from corridor.api.errors import ERRORS, ErrorOut
from corridor.api.pagination import Page, PageParams, paginate
from corridor.api.schemas.offers import (
    CertificationIn,
    CertificationOut,
    CertificationPatch,
    ProductFilters,
    ProductIn,
    ProductOut,
    ProductPatch,
    SourcingRequestFilters,
    SourcingRequestIn,
    SourcingRequestOut,
    SourcingRequestPatch,
)
from corridor.directory.models import Certification, Organisation, Product, SourcingRequest

router = Router()


def _own_org(request: HttpRequest, org_id: int) -> Organisation:
    """An organisation the caller may edit: 404 if invisible, 403 if only visible."""
    org = get_object_or_404(Organisation, pk=org_id, merged_into__isnull=True)
    if not permissions.can_view_org(request.user, org):
        raise Http404
    if not permissions.can_edit_org(request.user, org):
        raise PermissionDenied(_("You do not act for this organisation."))
    return org


# --- Products ----------------------------------------------------------------------------------


def _product(request: HttpRequest, product_id: int) -> Product:
    product = get_object_or_404(Product.objects.select_related("organisation"), pk=product_id)
    if not permissions.can_view_product(request.user, product):
        raise Http404
    return product


@router.get(
    "/products", response={200: Page[ProductOut], **ERRORS}, auth=auth_optional, tags=["products"]
)
def product_list(request: HttpRequest, filters: Query[ProductFilters], page: Query[PageParams]):
    return paginate(selectors.product_search(request.user, filters), page)


@router.get(
    "/products/{product_id}",
    response={200: ProductOut, **ERRORS},
    auth=auth_optional,
    tags=["products"],
)
def product_detail(request: HttpRequest, response: HttpResponse, product_id: int):
    return tagged(response, _product(request, product_id))


@router.post(
    "/products", response={201: ProductOut, **ERRORS}, auth=auth_required, tags=["products"]
)
def product_create(request: HttpRequest, payload: ProductIn):
    org = _own_org(request, payload.organisation_id)
    data = payload.model_dump(exclude={"organisation_id"})
    product = writes.product_save(product=Product(organisation=org), by=request.user, data=data)
    return Status(201, product)


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **ERRORS, 412: ErrorOut},
    auth=auth_required,
    tags=["products"],
)
def product_update(
    request: HttpRequest, response: HttpResponse, product_id: int, payload: ProductPatch
):
    """Change a product. Send `If-Match` with the ETag you read to refuse overwriting a change
    made since (412)."""
    product = _product(request, product_id)
    if not permissions.can_edit_product(request.user, product):
        raise PermissionDenied(_("You may not edit this product."))
    data = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        product = check_if_match(request, product)
        saved = writes.product_save(product=product, by=request.user, data=data)
    return tagged(response, saved)


@router.delete(
    "/products/{product_id}", response={204: None, **ERRORS}, auth=auth_required, tags=["products"]
)
def product_delete(request: HttpRequest, product_id: int):
    product = _product(request, product_id)
    if not permissions.can_delete_product(request.user, product):
        raise PermissionDenied(_("You may not delete this product."))
    writes.product_delete(product=product, by=request.user)
    return Status(204, None)


# --- Certifications ----------------------------------------------------------------------------


def _certification(request: HttpRequest, cert_id: int) -> Certification:
    cert = get_object_or_404(Certification.objects.select_related("organisation"), pk=cert_id)
    if not permissions.can_view_org(request.user, cert.organisation):
        raise Http404
    return cert


@router.get(
    "/certifications",
    response={200: Page[CertificationOut], **ERRORS},
    auth=auth_optional,
    tags=["certifications"],
)
def certification_list(
    request: HttpRequest, page: Query[PageParams], organisation: int | None = None
):
    return paginate(selectors.certification_list(request.user, organisation), page)


@router.post(
    "/certifications",
    response={201: CertificationOut, **ERRORS},
    auth=auth_required,
    tags=["certifications"],
)
def certification_create(request: HttpRequest, payload: CertificationIn):
    org = _own_org(request, payload.organisation_id)
    data = payload.model_dump(exclude={"organisation_id"})
    cert = writes.certification_save(
        cert=Certification(organisation=org), by=request.user, data=data
    )
    return Status(201, cert)


@router.patch(
    "/certifications/{cert_id}",
    response={200: CertificationOut, **ERRORS, 412: ErrorOut},
    auth=auth_required,
    tags=["certifications"],
)
def certification_update(
    request: HttpRequest, response: HttpResponse, cert_id: int, payload: CertificationPatch
):
    cert = _certification(request, cert_id)
    if not permissions.can_edit_org(request.user, cert.organisation):
        raise PermissionDenied(_("You may not edit this certification."))
    data = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        cert = check_if_match(request, cert)
        saved = writes.certification_save(cert=cert, by=request.user, data=data)
    return tagged(response, saved)


@router.delete(
    "/certifications/{cert_id}",
    response={204: None, **ERRORS},
    auth=auth_required,
    tags=["certifications"],
)
def certification_delete(request: HttpRequest, cert_id: int):
    cert = _certification(request, cert_id)
    if not permissions.can_edit_org(request.user, cert.organisation):
        raise PermissionDenied(_("You may not delete this certification."))
    writes.certification_delete(cert=cert, by=request.user)
    return Status(204, None)


# --- Sourcing requests -------------------------------------------------------------------------

_REQ = ["sourcing requests"]


def _request(request: HttpRequest, req_id: int) -> SourcingRequest:
    req = get_object_or_404(SourcingRequest.objects.select_related("buyer"), pk=req_id)
    if not permissions.can_view_request(request.user, req):
        raise Http404
    return req


@router.get(
    "/sourcing-requests",
    response={200: Page[SourcingRequestOut], **ERRORS},
    auth=auth_required,
    tags=_REQ,
)
def sourcing_request_list(
    request: HttpRequest, filters: Query[SourcingRequestFilters], page: Query[PageParams]
):
    """Open requests of published buyers, and all requests of the caller's own organisations."""
    return paginate(selectors.sourcing_request_search(request.user, filters), page)


@router.get(
    "/sourcing-requests/{req_id}",
    response={200: SourcingRequestOut, **ERRORS},
    auth=auth_required,
    tags=_REQ,
)
def sourcing_request_detail(request: HttpRequest, response: HttpResponse, req_id: int):
    return tagged(response, _request(request, req_id))


@router.post(
    "/sourcing-requests",
    response={201: SourcingRequestOut, **ERRORS},
    auth=auth_required,
    tags=_REQ,
)
def sourcing_request_create(request: HttpRequest, payload: SourcingRequestIn):
    buyer = _own_org(request, payload.buyer_id)
    data = payload.model_dump(exclude={"buyer_id"})
    req = writes.sourcing_request_save(req=SourcingRequest(buyer=buyer), by=request.user, data=data)
    return Status(201, req)


@router.patch(
    "/sourcing-requests/{req_id}",
    response={200: SourcingRequestOut, **ERRORS, 412: ErrorOut},
    auth=auth_required,
    tags=_REQ,
)
def sourcing_request_update(
    request: HttpRequest, response: HttpResponse, req_id: int, payload: SourcingRequestPatch
):
    req = _request(request, req_id)
    if not permissions.can_edit_request(request.user, req):
        raise PermissionDenied(_("You may not edit this request."))
    data = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        req = check_if_match(request, req)
        saved = writes.sourcing_request_save(req=req, by=request.user, data=data)
    return tagged(response, saved)


@router.delete(
    "/sourcing-requests/{req_id}", response={204: None, **ERRORS}, auth=auth_required, tags=_REQ
)
def sourcing_request_delete(request: HttpRequest, req_id: int):
    req = _request(request, req_id)
    if not permissions.can_delete_request(request.user, req):
        raise PermissionDenied(_("You may not delete this request."))
    writes.sourcing_request_delete(req=req, by=request.user)
    return Status(204, None)
