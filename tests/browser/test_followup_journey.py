"""Follow-up on a phone: staff send a round, a supplier answers from the emailed link without
logging in, and staff then see the impact dashboard change."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

from django.core import mail

from corridor.followup import services
from corridor.followup.models import FollowUpPlan, Lead
from tests.browser.conftest import login


def _funnel_count(page, stage_label: str) -> int:
    row = page.locator("#funnel tr", has_text=stage_label)
    return int(row.locator("td").nth(1).inner_text())


def test_supplier_answers_the_survey_from_the_email_and_staff_see_the_dashboard_change(
    page, browser, live_server, staff_user, sme, sme_owner, buyer_org, buyer_user
):
    lead, _ = services.lead_for_pair(
        a=sme, b=buyer_org, source="connection", started_on=datetime.date.today()
    )
    login(page, live_server, staff_user)
    # Staff make the plan on its page (one step: right after first contact).
    page.goto("/followup/staff/plans/new/")
    page.get_by_label("Name").fill("Programme")
    page.get_by_label("Steps: months after first contact").fill("0")
    page.get_by_role("button", name="Save the plan").click()
    page.wait_for_url(re.compile(r".*/followup/staff/plans/\d+/$"))
    plan = FollowUpPlan.objects.get(name="Programme")
    assert list(plan.steps.values_list("offset_months", flat=True)) == [0]
    page.goto("/followup/impact/")
    assert _funnel_count(page, "Samples or quotation sent") == 0
    page.goto("/followup/staff/runs/")
    page.get_by_role("button", name="Send the surveys that are due now").click()
    page.wait_for_url(re.compile(r".*/followup/staff/runs/\d+/$"))
    assert "2 surveys" in page.locator("#progress").inner_text()

    email = next(m for m in mail.outbox if m.to == [sme_owner.email])
    link = re.search(r"https?://\S+/followup/s/\S+/", email.body).group(0)
    phone = browser.new_context(
        locale="en-US", viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    survey = phone.new_page()
    survey.goto(live_server.url + urlsplit(link).path)  # the email names the site's host
    assert buyer_org.name in survey.locator("h1").inner_text()
    # Readable on a phone: nothing wider than the screen.
    assert survey.evaluate("document.documentElement.scrollWidth") <= 390
    survey.get_by_label("Samples or quotation sent").check()
    survey.get_by_role("button", name="Send my answer").click()
    survey.get_by_role("heading", name="Thank you!").wait_for()
    survey.goto(live_server.url + urlsplit(link).path)
    assert "already used" in survey.locator("main").inner_text()
    phone.close()

    assert Lead.objects.get(pk=lead.pk).stage == "samples"
    page.goto("/followup/impact/")
    assert _funnel_count(page, "Samples or quotation sent") == 1
    assert page.locator("#ind-leads").inner_text() == "1"
