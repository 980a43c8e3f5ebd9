"""Browser journey of notifications: a request arrives, the header counts it, the buyer reads it
(htmx, the count drops without a reload) and turns the emails of that kind off."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import expect

from corridor.connections.services import connection_request
from corridor.notifications.models import Notification, NotificationPreference


def test_buyer_reads_a_notification_and_turns_its_emails_off(
    page, log_in, sme, sme_owner, buyer_org, buyer_user
):
    connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="Glazed bowls")
    assert [m.to for m in mail.outbox] == [[buyer_user.email]]  # queued, sent after commit
    log_in(buyer_user)
    count = page.locator("#notifications-count")
    assert " ".join(count.text_content().split()) == "1 unread"  # "unread" for screen readers
    assert count.locator(".badge").is_visible()
    page.locator("#notifications-link").click()
    page.wait_for_url("**/notifications/")
    card = page.locator("article.card").first
    assert "New connection request on Corridor" in card.inner_text()
    assert "Glazed bowls" in card.inner_text()
    card.get_by_role("button", name="Mark as read").click()
    # Not page.wait_for_function: it evaluates a string in the page, which the CSP refuses.
    expect(count).to_have_text(re.compile(r"^\s*$"))
    assert card.get_by_role("button", name="Mark as read").count() == 0
    assert Notification.objects.get(recipient=buyer_user).read_at is not None

    page.goto("/accounts/")
    page.get_by_role("link", name="Notification emails").click()
    page.get_by_label("Connection requests to my organisations").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/notifications/settings/")
    assert (
        NotificationPreference.objects.get(user=buyer_user, kind="connections.requested").email
        is False
    )
