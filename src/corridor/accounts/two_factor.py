"""Two-factor sign-in for staff accounts (django-otp, TOTP).

A staff member turns it on from the account page: the page shows a QR code (an SVG drawn here
with segno, no external service) of a new authenticator secret, and the first code typed from
the app confirms it. From then on, sign-in asks for the current code as well as the password;
a wrong or missing code is a failed sign-in (counted by the login limits, logged).
"""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from corridor.core.seclog import security_event

DEVICE_NAME = "authenticator"


def confirmed_device(user) -> TOTPDevice | None:
    if not (user and user.is_authenticated and user.pk):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def verify(user, token: str) -> TOTPDevice | None:
    """The user's confirmed device when `token` is its current code (each code works once)."""
    device = confirmed_device(user)
    token = (token or "").replace(" ", "")
    if device is not None and token.isdigit() and device.verify_token(token):
        return device
    return None


def can_use(user) -> bool:
    return bool(user and user.is_authenticated and user.is_programme_staff)


class TwoFactorAuthenticationForm(AuthenticationForm):
    """The sign-in form: password, and the authenticator code for accounts that turned it on."""

    otp_token = forms.CharField(
        label=gettext_lazy("Two-factor code (only if you turned it on)"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        self.otp_device = None
        if user is not None and confirmed_device(user) is not None:
            self.otp_device = verify(user, self.cleaned_data.get("otp_token", ""))
            if self.otp_device is None:
                raise forms.ValidationError(
                    _("Enter the current code from your authenticator app."), code="otp"
                )
        return cleaned


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _qr_data_uri(device: TOTPDevice) -> str:
    # An <img> with a data: URI: allowed by the Content-Security-Policy (img-src data:).
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4)


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (staff), or off again with a current code."""
    user = request.user
    if not can_use(user):
        security_event("permission_denied", request, page="two_factor")
        raise PermissionDenied
    device = confirmed_device(user)
    form = TokenForm(request.POST or None)
    if device is not None:
        if request.method == "POST" and form.is_valid():
            if verify(user, form.cleaned_data["token"]):
                TOTPDevice.objects.filter(user=user).delete()
                security_event("two_factor_disabled", request)
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("accounts:dashboard")
            form.add_error("token", _("This code is not valid."))
        return render(request, "accounts/two_factor.html", {"enabled": True, "form": form})
    with transaction.atomic():
        pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if pending is None:
            pending = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].replace(" ", "")
        if token.isdigit() and pending.verify_token(token):
            pending.confirmed = True
            pending.save(update_fields=["confirmed"])
            security_event("two_factor_enabled", request)
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect("accounts:dashboard")
        form.add_error("token", _("This code is not valid: check the time on your phone."))
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enabled": False,
            "form": form,
            "qr": _qr_data_uri(pending),
            "secret": base64.b32encode(pending.bin_key).decode(),
        },
    )
