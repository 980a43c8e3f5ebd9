"""Sign-in and password reset with abuse limits (corridor.core.ratelimit) and security logs.

- Sign-in: after 10 failed attempts for one account, or 30 from one address, within 15 minutes,
  further attempts are refused (429) until the window ends, even with the right password.
  Only failures count, so people who type their password right are never slowed down.
- Password reset: at most 3 emails to one address and 10 requests from one client an hour.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from corridor.accounts.two_factor import TwoFactorAuthenticationForm
from corridor.core import ratelimit
from corridor.core.seclog import security_event


def _account_key(username: str) -> str:
    return "account:" + (username or "").strip().casefold()


class ThrottledLoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    form_class = TwoFactorAuthenticationForm

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        if getattr(form, "otp_device", None) is not None:
            otp_login(self.request, form.otp_device)  # the session is verified by 2FA
        return response

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        account = _account_key(request.POST.get("username", ""))
        for name, value in (
            ("login_account", account),
            ("login_address", ratelimit.client_ip(request)),
        ):
            verdict = ratelimit.peek(name, value, request)
            if verdict.limited:
                return ratelimit.throttled_page(
                    request,
                    verdict,
                    _("Too many failed sign-in attempts: sign-in is locked for a while."),
                )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        request = self.request
        username = request.POST.get("username", "")
        ratelimit.count("login_account", _account_key(username), request)
        ratelimit.count("login_address", ratelimit.client_ip(request), request)
        security_event("login_failed", request, username=username[:150])
        return super().form_invalid(form)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form) -> HttpResponse:
        request = self.request
        email = form.cleaned_data.get("email", "")
        for name, value in (
            ("password_reset_address", ratelimit.client_ip(request)),
            ("password_reset_email", "email:" + email.strip().casefold()),
        ):
            verdict = ratelimit.check(name, value, request)
            if verdict.limited:
                return ratelimit.throttled_page(
                    request,
                    verdict,
                    _("Too many password reset requests: please wait before asking again."),
                )
        return super().form_valid(form)
