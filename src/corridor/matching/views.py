"""Views of matching: suppliers for a request, requests for a supplier, partner clusters,
HS suggestions, the staff index page and forum export, and the digest settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from corridor.accounts import permissions
from corridor.directory.models import Organisation, SourcingRequest
from corridor.directory.vocab import OrgKind
from corridor.matching import exports, selectors, services
from corridor.matching.forms import SupplierFilterForm
from corridor.matching.hs import format_code
from corridor.matching.models import DigestOptOut, IndexJob


def _request_for(request: HttpRequest, pk: int) -> SourcingRequest:
    req = get_object_or_404(
        SourcingRequest.objects.select_related("buyer", "hs_code", "destination"), pk=pk
    )
    if not permissions.can_view_request(request.user, req):
        raise Http404
    return req


def _org_for(request: HttpRequest, slug: str) -> Organisation:
    org = get_object_or_404(
        Organisation.objects.select_related("country"), slug=slug, merged_into__isnull=True
    )
    if not permissions.can_view_org(request.user, org):
        raise Http404
    return org


def _staff_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.is_staff(request.user):
        raise PermissionDenied
    return None


# --- Suppliers for a sourcing request ---------------------------------------------------------

# Suppliers on the first page and added by each "show more": twenty cards made a phone page
# about 9,000 px tall. The ranking keeps RANK_DEPTH products, so the list stops there.
SUPPLIERS_PER_PAGE = 10


def _shown(value: str) -> int:
    try:
        wanted = int(value)
    except ValueError:
        return SUPPLIERS_PER_PAGE
    return max(SUPPLIERS_PER_PAGE, min(wanted, selectors.RANK_DEPTH))


@require_GET
def request_suppliers(request: HttpRequest, pk: int) -> HttpResponse:
    """Ranked suppliers of a request: a full page, or the list alone for htmx (the request page
    loads it after its own content, and the filters replace it)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    req = _request_for(request, pk)
    # The ranking shows competitors' scores: the buyer and staff only.
    if not permissions.can_view_request_ranking(request.user, req):
        raise PermissionDenied
    params = request.GET.copy()
    shown = _shown(params.pop("show", [""])[-1])
    catalog = selectors.supplier_catalog()
    form = SupplierFilterForm(params or None, countries=catalog.countries)
    suppliers = selectors.request_suppliers(
        user=request.user,
        req=req,
        filters=form.filters() if form.is_bound else None,
        limit=shown + 1,
        catalog=catalog,
    )
    more_url = ""
    if len(suppliers) > shown:
        suppliers = suppliers[:shown]
        params["show"] = str(shown + SUPPLIERS_PER_PAGE)
        more_url = f"{request.path}?{params.urlencode()}"
    context = {"req": req, "form": form, "suppliers": suppliers, "more_url": more_url}
    if request.htmx:
        return render(request, "matching/_suppliers.html", context)
    return render(request, "matching/request_suppliers.html", context)


# --- Requests for an SME or a cluster ---------------------------------------------------------


@require_GET
def org_requests(request: HttpRequest, slug: str) -> HttpResponse:
    """Open sourcing requests ranked for an organisation's products: for its own people."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    org = _org_for(request, slug)
    if org.kind not in selectors.SUPPLIER_KINDS:
        raise Http404
    if not permissions.can_edit_org(request.user, org):
        raise PermissionDenied
    matches = selectors.org_requests(user=request.user, org=org)
    return render(request, "matching/org_requests.html", {"org": org, "matches": matches})


@require_GET
def cluster_partners(request: HttpRequest, slug: str) -> HttpResponse:
    """Clusters to collaborate with: the same products elsewhere, or a value-chain link."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    org = _org_for(request, slug)
    if org.kind != OrgKind.CLUSTER:
        raise Http404
    partners = selectors.complementary_clusters(user=request.user, cluster=org)
    return render(request, "matching/partners.html", {"org": org, "partners": partners})


# --- HS suggestions for the product form ------------------------------------------------------


@require_GET
def hs_suggest(request: HttpRequest) -> HttpResponse:
    """The suggestion list under the HS code field (htmx, as the user types)."""
    parts = [request.GET.get(k, "") for k in ("name", "title", "local_name", "description")]
    text = ". ".join(p.strip() for p in parts if p and p.strip())
    suggestions = [
        {
            "code": s.code,
            "dotted": format_code(s.code),
            "description": s.description,
            "percent": round(100 * s.score),
        }
        for s in selectors.hs_suggestions(text)
    ]
    return render(request, "matching/_hs_suggestions.html", {"suggestions": suggestions})


# --- Staff: index rebuild and forum export ----------------------------------------------------


@require_http_methods(["GET", "POST"])
def index_page(request: HttpRequest) -> HttpResponse:
    if (response := _staff_only(request)) is not None:
        return response
    if request.method == "POST":
        services.index_rebuild_start(by=request.user)
        messages.success(request, _("The rebuild of the matching index was queued."))
        return redirect("matching:index")
    return render(request, "matching/index.html", selectors.index_status())


@require_GET
def index_progress(request: HttpRequest) -> HttpResponse:
    if (response := _staff_only(request)) is not None:
        return response
    job = IndexJob.objects.first()
    return render(request, "matching/_index_progress.html", {"job": job})


@require_GET
def export_matches(request: HttpRequest) -> HttpResponse:
    """All open requests × their best suppliers, as an Excel workbook for a matchmaking forum."""
    if (response := _staff_only(request)) is not None:
        return response
    try:
        per_request = min(max(int(request.GET.get("top", "10") or 10), 1), 50)
    except ValueError:
        per_request = 10  # a malformed ?top= falls back to the default, not a server error
    return exports.matches_response(selectors.open_request_matches(per_request=per_request))


# --- Digest settings --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def digest_settings(request: HttpRequest) -> HttpResponse:
    """The digest toggle of the account page (htmx fragment; a plain form without JavaScript)."""
    if request.method == "POST":
        if request.POST.get("digest") == "on":
            services.digest_opt_in(user=request.user)
        else:
            services.digest_opt_out(user=request.user)
        if not request.htmx:
            messages.success(request, _("Your email settings were saved."))
            return redirect("accounts:dashboard")
    opted_out = DigestOptOut.objects.filter(user=request.user).exists()
    template = "matching/_digest_toggle.html" if request.htmx else "matching/digest.html"
    return render(request, template, {"opted_out": opted_out})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every digest: works without signing in (the token names the person)."""
    user = services.user_from_unsubscribe_token(token)
    if user is None:
        raise Http404
    done = False
    if request.method == "POST":
        services.digest_opt_out(user=user)
        done = True
    return render(request, "matching/unsubscribe.html", {"done": done, "token": token})
