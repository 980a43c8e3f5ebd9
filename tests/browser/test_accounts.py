"""Browser journeys of accounts: sign up with an organisation, API token, password reset."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core import mail

from corridor.accounts.models import User
from tests import factories


def test_signup_with_organisation_then_create_api_token(page, live_server):
    factories.CountryFactory(code="KH", name="Cambodia")
    page.goto("/accounts/signup/")
    page.fill("#id_username", "sokha")
    page.fill("#id_email", "sokha@example.com")
    page.fill("#id_password1", "Tonle-Sap-2025")
    page.fill("#id_password2", "Tonle-Sap-2025")
    page.fill("#id_org_name", "Sokha Palm Sugar")
    page.select_option("#id_org_kind", "sme")
    page.select_option("#id_org_country", "KH")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/start/")  # everyone lands on their start page
    assert page.locator("#card-profile-completeness").count() == 1
    page.goto("/accounts/")
    assert "Sokha Palm Sugar" in page.locator("main").inner_text()
    assert page.locator("main .badge.warn").first.inner_text() == "private"
    page.get_by_role("link", name="Manage API tokens").click()
    page.wait_for_url("**/accounts/tokens/")
    page.fill("#id_name", "ERP sync")
    page.get_by_role("button", name="Create a token").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("cor_")
    page.goto("/accounts/tokens/")
    assert page.locator("#new-token").count() == 0
    assert User.objects.get(username="sokha").api_tokens.count() == 1


def test_password_reset_through_the_email_link(page, live_server, sme_owner):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("#id_email", sme_owner.email)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url("**/password/reset/sent/")
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[-1].body).group(0)
    page.goto(live_server.url + urlsplit(link).path)  # the email names the live server's host
    page.fill("#id_new_password1", "Mekong-delta-77")
    page.fill("#id_new_password2", "Mekong-delta-77")
    page.get_by_role("button", name="Save my password").click()
    page.wait_for_url("**/password/reset/done/")
    sme_owner.refresh_from_db()
    assert sme_owner.check_password("Mekong-delta-77")
