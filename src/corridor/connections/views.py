"""Views of connections: ask to connect (htmx box on profiles), answer, withdraw, list."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from corridor.accounts import permissions
from corridor.connections import selectors, services
from corridor.connections.models import Connection
from corridor.core.hygiene import CleanTextFormMixin
from corridor.directory.models import Organisation, SourcingRequest


class ConnectForm(CleanTextFormMixin, forms.Form):
    from_org = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=gettext_lazy("Ask on behalf of")
    )
    message = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("Say who you are and what you would like to discuss."),
    )

    def __init__(self, *args, orgs: list[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_org"].queryset = Organisation.objects.filter(id__in=[o.pk for o in orgs])
        if len(orgs) == 1:
            self.fields["from_org"].initial = orgs[0].pk
            self.fields["from_org"].widget = forms.HiddenInput()


class AnswerForm(CleanTextFormMixin, forms.Form):
    """ "I can supply this": which organisation answers, and a message to the buyer."""

    supplier = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=gettext_lazy("Answer on behalf of")
    )
    message = forms.CharField(
        label=gettext_lazy("Message to the buyer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("What you can offer: product, quantity, price, delivery time."),
    )

    def __init__(self, *args, orgs: list[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Organisation.objects.filter(id__in=[o.pk for o in orgs])
        if len(orgs) == 1:
            self.fields["supplier"].initial = orgs[0].pk
            self.fields["supplier"].widget = forms.HiddenInput()


@login_required
def request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the "I can supply this" form; POST: answer the sourcing request `pk` with a
    connection request to its buyer (linked to the request)."""
    req = get_object_or_404(SourcingRequest.objects.select_related("buyer"), pk=pk)
    if not permissions.can_view_request(request.user, req):
        raise Http404
    state = selectors.answer_state(request.user, req)
    form = AnswerForm(request.POST or None, orgs=state["orgs"])
    if request.method == "POST" and form.is_valid():
        try:
            services.sourcing_request_answer(
                sourcing_request=req,
                supplier=form.cleaned_data["supplier"],
                by=request.user,
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _(
                    "Your answer was sent to %(org)s. Their contact details are shared when they accept."
                )
                % {"org": req.buyer.name},
            )
            return redirect("directory:request", pk=req.pk)
    return render(
        request,
        "connections/answer.html",
        {"req": req, "form": form, **state},
        status=400 if form.errors else 200,
    )


def _box(request: HttpRequest, org: Organisation, error: str = "") -> HttpResponse:
    html = render_to_string(
        "connections/_connect.html", {"org": org, "error": error}, request=request
    )
    return HttpResponse(html)


def _back(request: HttpRequest, default: str = "connections:list") -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _visible_org(request: HttpRequest, slug: str) -> Organisation:
    org = get_object_or_404(Organisation, slug=slug)
    if not permissions.can_view_org(request.user, org):
        raise Http404
    return org


@login_required
def connection_request(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the form (a fragment for htmx); POST: ask `slug` to connect."""
    org = _visible_org(request, slug)
    orgs = selectors.acting_organisations(request.user, exclude=org)
    if not orgs:
        messages.error(request, _("Register or join an organisation before asking to connect."))
        return redirect("accounts:dashboard")
    form = ConnectForm(request.POST or None, orgs=orgs)
    if request.method == "POST" and form.is_valid():
        try:
            services.connection_request(
                from_org=form.cleaned_data["from_org"],
                to_org=org,
                by=request.user,
                message=form.cleaned_data["message"],
                source=request.POST.get("source", "")[:40],
            )
        except ValidationError as exc:
            if request.htmx:
                return _box(request, org, error=" ".join(exc.messages))
            form.add_error(None, exc)
        else:
            if request.htmx:
                return _box(request, org)
            messages.success(request, _("Your request was sent to %(org)s.") % {"org": org.name})
            return _back(request)
    template = "connections/_request_form.html" if request.htmx else "connections/request.html"
    return render(request, template, {"org": org, "form": form})


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:
    connection = get_object_or_404(Connection.objects.select_related("from_org", "to_org"), pk=pk)
    if not permissions.can_view_connection(request.user, connection):
        raise Http404
    error = ""
    try:
        action(connection=connection, by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    # The htmx box on a profile names the profile's organisation; redraw it.
    box_slug = request.POST.get("box")
    if request.htmx and box_slug in (connection.from_org.slug, connection.to_org.slug):
        org = connection.to_org if box_slug == connection.to_org.slug else connection.from_org
        return _box(request, org, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Done."))
    return _back(request)


@login_required
@require_POST
def connection_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.connection_accept)


@login_required
@require_POST
def connection_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.connection_decline)


@login_required
@require_POST
def connection_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.connection_withdraw)


STATUS_TABS = [
    ("", gettext_lazy("All")),
    (Connection.Status.REQUESTED, gettext_lazy("Pending")),
    (Connection.Status.ACCEPTED, gettext_lazy("Connected")),
    (Connection.Status.DECLINED, gettext_lazy("Declined")),
    (Connection.Status.WITHDRAWN, gettext_lazy("Withdrawn")),
    (Connection.Status.DISCONNECTED, gettext_lazy("Disconnected")),
]


@login_required
def connection_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in dict(STATUS_TABS):
        status = ""
    own = permissions.member_org_ids(request.user)
    page = Paginator(selectors.connections_for_user(request.user, status or None), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "connections/list.html",
        {"page": page, "own": own, "status": status, "tabs": STATUS_TABS},
    )
