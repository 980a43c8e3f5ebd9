"""Staff create a module and a session, mark attendance; a participant answers the
after-assessment on a phone; the cluster's profile shows the training and a milestone."""

from __future__ import annotations

import datetime

from corridor.training import services
from corridor.training.models import AssessmentResponse, Attendance, Module, Session
from tests import factories
from tests.browser.conftest import login


def test_training_from_module_to_the_cluster_profile(page, browser, live_server):
    staff = factories.UserFactory(username="trainer", is_staff=True)
    cluster = factories.OrganisationFactory(kind="cluster", name="Bat Trang ceramics cluster")
    sme = factories.OrganisationFactory(kind="sme", name="Minh Long pottery", cluster=cluster)
    programme = services.programme_create(
        name="Export readiness",
        funder="Mekong Fund",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
        by=staff,
    )

    login(page, live_server, staff)
    page.goto(f"/training/programmes/{programme.pk}/")
    page.select_option("#id_topic", "export")
    page.fill("#id_title", "Export documents")
    page.select_option("#id_language", "vi")
    page.fill("#id_hours", "6")
    page.get_by_role("button", name="Add the module").click()
    page.wait_for_url("**/training/modules/*/")
    module = Module.objects.get(title="Export documents")

    page.locator("#new-question #id_text").fill("I can fill in a certificate of origin.")
    page.get_by_role("button", name="Add the question").click()
    page.locator("#new-question #id_text").fill("I know what a buyer's agent checks.")
    page.get_by_role("button", name="Add the question").click()
    page.locator("#new-session #id_date").fill("2025-03-10")
    page.locator("#new-session #id_place").fill("Hanoi")
    page.get_by_role("button", name="Add the session").click()
    page.wait_for_url("**/training/sessions/*/")
    session = Session.objects.get(module=module)

    page.fill("input[name=new_name]", "Nguyen Thi Lan")
    page.select_option("select[name=new_org]", sme.slug)
    page.get_by_role("button", name="Save attendance").click()
    page.get_by_text("Attendance saved").wait_for()
    attendance = Attendance.objects.get(session=session)
    assert attendance.organisation_id == sme.pk

    # The after-assessment link, copied by staff and opened by the participant on a phone.
    page.locator(f"form[action$='/attendance/{attendance.pk}/link/after/'] button").click()
    link = page.locator(f"#link-{attendance.pk} input").input_value()
    assert "/training/a/after/" in link
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    participant = phone.new_page()
    participant.goto(link)
    participant.locator("fieldset").nth(0).get_by_label("4").check()
    participant.locator("fieldset").nth(1).get_by_label("5").check()
    participant.get_by_role("button", name="Send my answers").click()
    participant.get_by_role("heading", name="Thank you").wait_for()
    phone.close()
    answers = AssessmentResponse.objects.get(attendance=attendance, phase="after").answers
    assert sorted(answers.values()) == [4, 5]

    # The cluster's profile: its member's training, and a milestone added from there.
    page.goto(f"/directory/o/{cluster.slug}/")
    trainings = page.locator("#trainings")
    assert "Export documents" in trainings.inner_text()
    assert "Nguyen Thi Lan" in trainings.inner_text()
    page.get_by_role("link", name="Add a milestone").click()
    page.select_option("#id_kind", "consortium")
    page.fill("#id_date", "2025-06-01")
    page.fill("#id_evidence", "Consortium statutes signed")
    page.get_by_role("button", name="Add to the timeline").click()
    page.wait_for_url(f"**/directory/o/{cluster.slug}/#training")
    timeline = page.locator("#milestones").inner_text()
    assert "Export consortium formed" in timeline and "Consortium statutes signed" in timeline
