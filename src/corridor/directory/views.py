"""Views of the directory: search, profiles, places, forms for profiles and their content."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from corridor.accounts import permissions
from corridor.core import ratelimit
from corridor.core.seclog import security_event
from corridor.directory import exports, forms, selectors, services, views_cluster
from corridor.directory.models import (
    Certification,
    ContactPerson,
    Country,
    Organisation,
    Product,
    SourcingRequest,
)
from corridor.directory.vocab import OrgKind


class _LoginRequired(Exception):
    pass


def _allow(request: HttpRequest, allowed: bool) -> None:
    """Anonymous visitors are sent to log in; signed-in users without the right get 403."""
    if allowed:
        return
    if not request.user.is_authenticated:
        raise _LoginRequired
    security_event("permission_denied", request)
    raise PermissionDenied


def _guarded(view):
    """Turn _LoginRequired into a redirect to the login page (then back here)."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _LoginRequired:
            return redirect_to_login(request.get_full_path())

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _visible_org(request: HttpRequest, slug: str) -> Organisation:
    org = selectors.organisation_for_user(request.user, slug)
    if org is None:
        # Private profiles do not exist for those who may not see them, signed in or not.
        raise Http404
    return org


def _form_errors_from(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errs in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


# --- Search ------------------------------------------------------------------------------------


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    filters = selectors.SearchFilters.from_mapping(request.GET)
    results = selectors.search_organisations(
        request.user, filters=filters, page=request.GET.get("page") or 1
    )
    params = selectors.filter_params(filters)
    facets = []
    for name, values in results.facets.items():
        if not values:
            continue
        param = selectors.facet_param(name)
        rows = []
        for fv in values:
            others = [(k, v) for k, v in params if not (k == param and v == fv.value)]
            if not fv.selected:
                others.append((param, fv.value))
            rows.append({"value": fv, "url": "?" + urlencode(others)})
        facets.append({"name": name, "title": FACET_TITLES[name], "rows": rows})
    context = {
        "results": results,
        "page": results.page,
        "facets": facets,
        "filters": filters,
        "query_string": urlencode(params),
        "can_export": permissions.can_export(request.user),
        "kinds": OrgKind.choices,
    }
    template = "directory/_results.html" if request.htmx else "directory/search.html"
    return render(request, template, context)


# Lazy: module-level strings are made once, at import, in whatever language was active then.
FACET_TITLES = {
    "kind": gettext_lazy("Type of organisation"),
    "country": gettext_lazy("Country"),
    "province": gettext_lazy("Province"),
    "corridor": gettext_lazy("Economic corridor"),
    "hs2": gettext_lazy("HS chapter"),
    "hs4": gettext_lazy("HS heading"),
    "cert": gettext_lazy("Certification"),
    "cluster": gettext_lazy("Cluster"),
}


@_guarded
@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    _allow(request, permissions.can_export(request.user))
    filters = selectors.SearchFilters.from_mapping(request.GET)
    if fmt == "xlsx":
        return exports.xlsx_response(request.user, filters)
    return exports.csv_response(request.user, filters)


# --- Profiles ----------------------------------------------------------------------------------


@_guarded
def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    org = _visible_org(request, slug)
    profile = selectors.organisation_profile(request.user, org)
    context = {"org": org, "profile": profile}
    if org.kind == OrgKind.CLUSTER:
        context["join"] = views_cluster.join_context(request.user, org)
    return render(request, "directory/organisation.html", context)


@_guarded
def organisation_create(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind") or request.GET.get("kind") or OrgKind.SME
    _allow(request, permissions.can_create_org(request.user, kind))
    initial = {"kind": kind}
    if request.GET.get("cluster", "").isdigit():
        initial["cluster"] = int(request.GET["cluster"])
    form = forms.OrganisationForm(
        request.POST or None, creating=True, initial=initial, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        verdict = ratelimit.org_create_check(request)
        if verdict.limited:
            return ratelimit.throttled_page(
                request, verdict, _("You have registered many organisations recently.")
            )
        try:
            org = services.organisation_create(by=request.user, data=form.cleaned_data)
        except ValidationError as e:
            _form_errors_from(form, e)
        else:
            messages.success(request, _("The profile was created."))
            return redirect("directory:organisation", slug=org.slug)
    return render(request, "directory/organisation_form.html", {"form": form, "org": None})


@_guarded
def organisation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    org = _visible_org(request, slug)
    _allow(request, permissions.can_edit_org(request.user, org))
    form = forms.OrganisationForm(request.POST or None, instance=org, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(org=org, by=request.user, data=form.cleaned_data)
        except ValidationError as e:
            _form_errors_from(form, e)
        else:
            messages.success(request, _("The profile was saved."))
            return redirect("directory:organisation", slug=org.slug)
    return render(request, "directory/organisation_form.html", {"form": form, "org": org})


@_guarded
def organisation_delete(request: HttpRequest, slug: str) -> HttpResponse:
    org = _visible_org(request, slug)
    _allow(request, permissions.can_delete_org(request.user, org))
    if request.method == "POST":
        services.organisation_delete(org=org, by=request.user)
        messages.success(request, _("The profile was deleted."))
        return redirect("directory:search")
    return render(
        request, "directory/confirm_delete.html", {"org": org, "object": org, "back": org}
    )


# --- Things that belong to a profile -----------------------------------------------------------


def _child_form_view(
    request: HttpRequest,
    *,
    org: Organisation,
    form_class,
    instance,
    create,
    update,
    title: str,
    form_kwargs: dict | None = None,
) -> HttpResponse:
    form = form_class(
        request.POST or None, request.FILES or None, instance=instance, **(form_kwargs or {})
    )
    if request.method == "POST" and form.is_valid():
        try:
            if instance is None or instance.pk is None:
                create(form.cleaned_data)
            else:
                update(form.cleaned_data)
        except ValidationError as e:
            _form_errors_from(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("directory:organisation", slug=org.slug)
    return render(
        request,
        "directory/child_form.html",
        {"form": form, "org": org, "title": title, "object": instance},
    )


def _child_delete_view(request: HttpRequest, *, org: Organisation, obj, delete) -> HttpResponse:
    if request.method == "POST":
        delete()
        messages.success(request, _("Deleted."))
        return redirect("directory:organisation", slug=org.slug)
    return render(request, "directory/confirm_delete.html", {"org": org, "object": obj})


@_guarded
def product_create(request: HttpRequest, slug: str) -> HttpResponse:
    org = _visible_org(request, slug)
    _allow(request, permissions.can_edit_org(request.user, org))
    return _child_form_view(
        request,
        org=org,
        form_class=forms.ProductForm,
        instance=None,
        create=lambda data: services.product_create(org=org, by=request.user, data=data),
        update=None,
        title=_("New product"),
    )


def _product(request: HttpRequest, pk: int) -> Product:
    product = get_object_or_404(Product.objects.select_related("organisation"), pk=pk)
    if not permissions.can_view_product(request.user, product):
        if not request.user.is_authenticated:
            raise _LoginRequired
        raise Http404
    return product


@_guarded
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product(request, pk)
    _allow(request, permissions.can_edit_product(request.user, product))
    return _child_form_view(
        request,
        org=product.organisation,
        form_class=forms.ProductForm,
        instance=product,
        create=None,
        update=lambda data: services.product_update(product=product, by=request.user, data=data),
        title=_("Edit product"),
    )


@_guarded
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product(request, pk)
    _allow(request, permissions.can_delete_product(request.user, product))
    return _child_delete_view(
        request,
        org=product.organisation,
        obj=product,
        delete=lambda: services.product_delete(product=product, by=request.user),
    )


@_guarded
def certification_create(request: HttpRequest, slug: str) -> HttpResponse:
    org = _visible_org(request, slug)
    _allow(request, permissions.can_edit_org(request.user, org))
    return _child_form_view(
        request,
        org=org,
        form_class=forms.CertificationForm,
        instance=None,
        create=lambda data: services.certification_create(org=org, by=request.user, data=data),
        update=None,
        title=_("New certification"),
        form_kwargs={"organisation": org},
    )


def _cert(request: HttpRequest, pk: int) -> Certification:
    cert = get_object_or_404(Certification.objects.select_related("organisation"), pk=pk)
    _visible_org(request, cert.organisation.slug)
    _allow(request, permissions.can_edit_org(request.user, cert.organisation))
    return cert


@_guarded
def certification_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cert = _cert(request, pk)
    return _child_form_view(
        request,
        org=cert.organisation,
        form_class=forms.CertificationForm,
        instance=cert,
        create=None,
        update=lambda data: services.certification_update(cert=cert, by=request.user, data=data),
        title=_("Edit certification"),
        form_kwargs={"organisation": cert.organisation},
    )


@_guarded
def certification_delete(request: HttpRequest, pk: int) -> HttpResponse:
    cert = _cert(request, pk)
    return _child_delete_view(
        request,
        org=cert.organisation,
        obj=cert,
        delete=lambda: services.certification_delete(cert=cert, by=request.user),
    )


@_guarded
def request_create(request: HttpRequest, slug: str) -> HttpResponse:
    org = _visible_org(request, slug)
    _allow(request, permissions.can_edit_org(request.user, org))
    if org.kind != OrgKind.BUYER:
        raise Http404
    return _child_form_view(
        request,
        org=org,
        form_class=forms.SourcingRequestForm,
        instance=None,
        create=lambda data: services.sourcing_request_create(buyer=org, by=request.user, data=data),
        update=None,
        title=_("New sourcing request"),
    )


def _request(request: HttpRequest, pk: int) -> SourcingRequest:
    req = get_object_or_404(SourcingRequest.objects.select_related("buyer", "hs_code"), pk=pk)
    if not permissions.can_view_request(request.user, req):
        if not request.user.is_authenticated:
            raise _LoginRequired
        raise Http404
    return req


@_guarded
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = _request(request, pk)
    return render(
        request,
        "directory/request.html",
        {
            "req": req,
            "org": req.buyer,
            "can_edit": permissions.can_edit_request(request.user, req),
            "can_view_ranking": permissions.can_view_request_ranking(request.user, req),
        },
    )


@_guarded
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    req = _request(request, pk)
    _allow(request, permissions.can_edit_request(request.user, req))
    return _child_form_view(
        request,
        org=req.buyer,
        form_class=forms.SourcingRequestForm,
        instance=req,
        create=None,
        update=lambda data: services.sourcing_request_update(req=req, by=request.user, data=data),
        title=_("Edit sourcing request"),
    )


@_guarded
def request_delete(request: HttpRequest, pk: int) -> HttpResponse:
    req = _request(request, pk)
    _allow(request, permissions.can_delete_request(request.user, req))
    return _child_delete_view(
        request,
        org=req.buyer,
        obj=req,
        delete=lambda: services.sourcing_request_delete(req=req, by=request.user),
    )


@_guarded
def contact_create(request: HttpRequest, slug: str) -> HttpResponse:
    org = _visible_org(request, slug)
    _allow(request, permissions.can_edit_org(request.user, org))
    return _child_form_view(
        request,
        org=org,
        form_class=forms.ContactPersonForm,
        instance=None,
        create=lambda data: services.contact_person_create(org=org, by=request.user, data=data),
        update=None,
        title=_("New contact person"),
    )


def _contact(request: HttpRequest, pk: int) -> ContactPerson:
    contact = get_object_or_404(ContactPerson.objects.select_related("organisation"), pk=pk)
    _visible_org(request, contact.organisation.slug)
    _allow(request, permissions.can_edit_org(request.user, contact.organisation))
    return contact


@_guarded
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    return _child_form_view(
        request,
        org=contact.organisation,
        form_class=forms.ContactPersonForm,
        instance=contact,
        create=None,
        update=lambda data: services.contact_person_update(
            contact=contact, by=request.user, data=data
        ),
        title=_("Edit contact person"),
    )


@_guarded
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    return _child_delete_view(
        request,
        org=contact.organisation,
        obj=contact,
        delete=lambda: services.contact_person_delete(contact=contact, by=request.user),
    )


# --- Places and helpers ------------------------------------------------------------------------


@require_GET
def places(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/places.html",
        {
            "countries": selectors.countries_with_counts(request.user),
            "corridors": selectors.corridors_with_counts(request.user),
            "crossings": selectors.border_crossings(),
        },
    )


@require_GET
def places_country(request: HttpRequest, code: str) -> HttpResponse:
    country = get_object_or_404(Country, code=code.upper())
    provinces, without = selectors.provinces_with_counts(request.user, country)
    return render(
        request,
        "directory/places_country.html",
        {
            "country": country,
            "provinces": provinces,
            "without_province": without,
            "former": selectors.former_provinces(country),
        },
    )


@require_GET
def hs_options(request: HttpRequest) -> HttpResponse:
    """<option>s for the HS code datalist of product and request forms (htmx)."""
    q = request.GET.get("hs_code") or request.GET.get("q") or ""
    return render(request, "directory/_hs_options.html", {"codes": selectors.hs_code_options(q)})


@require_GET
def province_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the provinces of the chosen country (htmx, organisation form)."""
    code = (request.GET.get("country") or "")[:2]
    return render(
        request,
        "directory/_province_options.html",
        {"provinces": selectors.province_options(code) if code else []},
    )
