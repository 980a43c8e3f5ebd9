"""Views of the accounts app: sign-up, dashboard, tokens, invitations, personal data."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor.accounts import permissions, privacy, selectors, services
from corridor.accounts.forms import (
    DeleteAccountForm,
    InvitationAcceptForm,
    InvitationForm,
    ProfileForm,
    SignupForm,
    TokenForm,
)
from corridor.accounts.models import ApiToken, User
from corridor.core import ratelimit


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verdict = ratelimit.check("signup_address", ratelimit.client_ip(request), request)
        if verdict.limited:
            return ratelimit.throttled_page(
                request, verdict, _("Too many accounts were created from your network recently.")
            )
        d = form.cleaned_data
        try:
            user = services.user_signup(
                username=d["username"],
                email=d["email"],
                password=d["password1"],
                full_name=d["full_name"],
                language=get_language() or "",
                organisation=form.organisation(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="corridor.accounts.backends.AccountBackend")
            messages.success(request, _("Welcome to Corridor."))
            return redirect("start:page")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/dashboard.html", selectors.dashboard_data(request.user))


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "full_name": user.full_name,
            "phone": user.phone,
            "language": user.language,
            "time_zone": user.time_zone,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.user_profile_update(user=user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:dashboard")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The API tokens page: the list, and (POST) a new token shown once."""
    form = TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    # Rendered, not redirected: the raw token must not travel through a session or a URL.
    context = {
        "tokens": selectors.user_tokens(request.user),
        "token_form": TokenForm() if raw else form,
        "new_token": raw,
    }
    status = 400 if request.method == "POST" and not raw else 200
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's token is "not found", so that token ids cannot be probed.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:token_create")


@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    if not permissions.can_manage_trust(request.user):
        raise PermissionDenied
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.invitation_create(
                email=d["email"],
                by=request.user,
                organisation=d["organisation"],
                role=d["role"],
                make_staff=d["make_staff"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": d["email"]})
            return redirect("accounts:invitations")
    return render(
        request,
        "accounts/invitations.html",
        {"form": form, "invitations": selectors.invitations_recent(), "now": timezone.now()},
    )


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link of an invitation email."""
    invitation = services.invitation_for_token(token)
    if invitation is None or not invitation.is_usable:
        reason = (
            _("This invitation link is not valid.")
            if invitation is None
            else _("This invitation has already been used.")
            if invitation.accepted_at
            else _("This invitation has expired. Ask programme staff for a new one.")
        )
        return render(request, "accounts/invitation_invalid.html", {"reason": reason}, status=410)
    if request.user.is_authenticated:
        if request.method == "POST":
            services.invitation_accept(invitation=invitation, user=request.user)
            messages.success(request, _("Invitation accepted."))
            return redirect("accounts:dashboard")
        return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
    if User.objects.filter(email__iexact=invitation.email).exists():
        messages.info(request, _("You already have an account: log in to accept the invitation."))
        return redirect_to_login(request.get_full_path())
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.invitation_accept_new_user(
                invitation=invitation,
                username=d["username"],
                password=d["password1"],
                full_name=d["full_name"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="corridor.accounts.backends.AccountBackend")
            messages.success(request, _("Welcome to Corridor."))
            return redirect("start:page")
    return render(
        request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form}
    )


@login_required
def data_export(request: HttpRequest) -> HttpResponse:
    """Download everything Corridor holds about the signed-in person, as JSON."""
    data = privacy.personal_data_export(request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="corridor-my-data-{stamp}.json"'
    return response


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            privacy.account_delete(user=user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            logout(request)
            messages.success(request, _("Your account and personal data were deleted."))
            return redirect("home")
    return render(
        request,
        "accounts/delete.html",
        {"form": form, "orphans": privacy.sole_owned_organisations(request.user)},
    )
