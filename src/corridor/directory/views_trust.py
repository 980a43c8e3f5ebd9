"""Views of trust: history (staff), verification, merging duplicates, claims, consent."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from corridor.accounts import permissions
from corridor.accounts.models import ClaimRequest, ConsentRecord
from corridor.directory import trust
from corridor.directory.models import Organisation


def _staff_only(request: HttpRequest) -> None:
    if not permissions.can_manage_trust(request.user):
        raise PermissionDenied


def _org(slug: str) -> Organisation:
    return get_object_or_404(Organisation.objects.select_related("country"), slug=slug)


@login_required
def history(request: HttpRequest, slug: str) -> HttpResponse:
    org = _org(slug)
    if not permissions.can_view_org_history(request.user, org):
        raise PermissionDenied
    page = Paginator(trust.organisation_history(org), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/trust/history.html",
        {"org": org, "page": page, "rows": trust.history_rows(page.object_list)},
    )


@login_required
@require_POST
def verify(request: HttpRequest, slug: str) -> HttpResponse:
    _staff_only(request)
    org = _org(slug)
    if request.POST.get("undo"):
        trust.organisation_unverify(org=org, by=request.user)
        messages.success(request, _("The verified badge was removed."))
    else:
        trust.organisation_verify(org=org, by=request.user)
        messages.success(request, _("The profile is marked as verified."))
    return redirect("directory:organisation", slug=org.slug)


class MergeForm(forms.Form):
    survivor = forms.SlugField(
        label=gettext_lazy("Profile to keep"),
        help_text=gettext_lazy("The short name in its address, e.g. bat-trang-ceramics."),
    )
    duplicate = forms.SlugField(
        label=gettext_lazy("Duplicate to merge into it"),
        help_text=gettext_lazy("Its products, contacts, people and connections move over."),
    )

    def _lookup(self, name: str) -> Organisation:
        slug = self.cleaned_data[name]
        org = Organisation.objects.filter(slug=slug).first()
        if org is None:
            raise forms.ValidationError(_("No profile with this address."))
        return org

    def clean_survivor(self) -> Organisation:
        return self._lookup("survivor")

    def clean_duplicate(self) -> Organisation:
        return self._lookup("duplicate")


@login_required
def merge(request: HttpRequest) -> HttpResponse:
    """Staff choose the survivor and the duplicate, see what moves, then confirm."""
    _staff_only(request)
    if request.method == "POST":
        data = request.POST
    else:  # a link from a profile pre-fills one side without showing errors for the other
        data = request.GET if {"survivor", "duplicate"} <= request.GET.keys() else None
    form = MergeForm(data, initial=request.GET.dict())
    preview = None
    if form.is_valid():
        survivor, duplicate = form.cleaned_data["survivor"], form.cleaned_data["duplicate"]
        preview = trust.organisation_merge_preview(survivor=survivor, duplicate=duplicate)
        if request.method == "POST" and request.POST.get("confirm") and not preview.problems:
            try:
                trust.organisation_merge(survivor=survivor, duplicate=duplicate, by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(dup)s was merged into %(org)s.")
                    % {"dup": duplicate.name, "org": survivor.name},
                )
                return redirect("directory:organisation", slug=survivor.slug)
    return render(request, "directory/trust/merge.html", {"form": form, "preview": preview})


class ClaimForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Message to programme staff"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=gettext_lazy(
            "Who are you in this enterprise, and how can staff check it (phone, business licence)?"
        ),
    )


@login_required
def claim(request: HttpRequest, slug: str) -> HttpResponse:
    org = _org(slug)
    if not permissions.can_view_org(request.user, org):
        # Private imported profiles are claimed through a staff invitation instead.
        raise Http404
    if not permissions.can_claim_org(request.user, org):
        messages.error(request, _("This profile cannot be claimed."))
        return redirect("accounts:dashboard")
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            trust.organisation_claim(org=org, by=request.user, message=form.cleaned_data["message"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your claim was sent to programme staff."))
            return redirect("accounts:dashboard")
    return render(request, "directory/trust/claim.html", {"org": org, "form": form})


@login_required
def claims(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    page = Paginator(trust.claims_pending(), 30).get_page(request.GET.get("page"))
    return render(request, "directory/trust/claims.html", {"page": page})


@login_required
@require_POST
def claim_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    claim_request = get_object_or_404(ClaimRequest, pk=pk)
    note = request.POST.get("note", "")
    try:
        if request.POST.get("decision") == "approve":
            trust.claim_approve(claim=claim_request, by=request.user, note=note)
            messages.success(request, _("Claim approved."))
        elif request.POST.get("decision") == "reject":
            trust.claim_reject(claim=claim_request, by=request.user, note=note)
            messages.success(request, _("Claim rejected."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("directory:trust_claims")


class ConsentForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("How the owner gave consent"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Staff only: e.g. signed form of 3 March, phone call."),
    )


@login_required
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    """The owner's consent to a public profile: see the state and toggle it."""
    org = _org(slug)
    if not permissions.can_publish_org(request.user, org):
        raise PermissionDenied
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if request.POST.get("publish") == "1":
                trust.organisation_publish(org=org, by=request.user, note=note)
                messages.success(request, _("Your profile is now public."))
            else:
                trust.organisation_unpublish(org=org, by=request.user, note=note)
                messages.success(request, _("Your profile is now private."))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("directory:trust_publish", slug=org.slug)
    records = ConsentRecord.objects.filter(organisation=org).select_related("by")[:20]
    is_owner = org.pk in permissions.owner_org_ids(request.user)
    return render(
        request,
        "directory/trust/publish.html",
        {"org": org, "form": form, "records": records, "is_owner": is_owner},
    )
