"""Staff turn on two-factor sign-in (TOTP); sign-in then needs the current code."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "Right-horse-battery-9"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _code(device: TOTPDevice, shift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=shift):06d}"


def _login(client, username, password, otp=""):
    return client.post(
        "/accounts/login/", {"username": username, "password": password, "otp_token": otp}
    )


def test_staff_turns_on_two_factor_and_sign_in_then_needs_the_code(settings):
    # django-otp delays the next try after a wrong code; the test does not wait it out (the
    # sign-in limits of core.ratelimit still count every failure).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    staff = factories.UserFactory(username="officer", is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    client = Client()
    assert _login(client, "officer", PASSWORD).status_code == 302
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html  # the QR code, drawn locally
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert (
        client.post(
            "/accounts/two-factor/", {"token": "000000" if _code(device) != "000000" else "111111"}
        ).status_code
        == 200
    )
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    r = client.post("/accounts/two-factor/", {"token": _code(device)})
    assert r.status_code == 302
    device.refresh_from_db()
    assert device.confirmed

    # Password alone no longer signs in; a wrong code neither.
    fresh = Client()
    r = _login(fresh, "officer", PASSWORD)
    assert r.status_code == 200 and "authenticator" in r.content.decode()
    assert "_auth_user_id" not in fresh.session
    assert (
        _login(
            fresh, "officer", PASSWORD, "123456" if _code(device, 1) != "123456" else "654321"
        ).status_code
        == 200
    )
    # The current code does (the next step's code, as the one just used cannot be reused).
    r = _login(fresh, "officer", PASSWORD, _code(device, 1))
    assert r.status_code == 302
    assert fresh.session.get("otp_device_id")


def test_two_factor_page_is_for_staff_only():
    user = factories.UserFactory()
    client = Client()
    client.force_login(user)
    assert client.get("/accounts/two-factor/").status_code == 403
    assert Client().get("/accounts/two-factor/").status_code == 302


def test_accounts_without_two_factor_sign_in_as_before():
    user = factories.UserFactory(username="plain")
    user.set_password(PASSWORD)
    user.save()
    assert _login(Client(), "plain", PASSWORD).status_code == 302
