"""On a phone: an SME owner reports a bottleneck and follows it until the focal point resolves it."""

from __future__ import annotations

from corridor.directory.models import BorderCrossing
from corridor.reporting.models import BottleneckReport
from tests import factories
from tests.browser.conftest import login
from tests.reporting.conftest import told


def _log_out(page) -> None:
    page.locator("header form button.link").click()
    page.wait_for_load_state()


def test_bottleneck_report_followed_to_resolution(page, live_server):
    a = factories.ProvinceFactory(code="VN-37", name="Tay Ninh", country__code="VN")
    b = factories.ProvinceFactory(code="KH-20", name="Svay Rieng", country__code="KH")
    crossing = BorderCrossing.objects.create(name="Moc Bai–Bavet", province_a=a, province_b=b)
    factories.HSCodeFactory(code="10", description="Cereals")
    factories.HSCodeFactory(code="100630", description="Rice; semi-milled or wholly milled")
    sme = factories.OrganisationFactory(kind="sme", name="Tay Ninh Rice Mill")
    owner = factories.UserFactory(username="riceowner")
    factories.MembershipFactory(user=owner, organisation=sme, role="owner")
    ministry = factories.OrganisationFactory(kind="support", name="Customs Department")
    focal = factories.UserFactory(username="focal")
    factories.MembershipFactory(user=focal, organisation=ministry, role="focal_point")
    staff = factories.UserFactory(username="staffer", is_staff=True)

    # The SME owner files the report from a phone.
    login(page, live_server, owner)
    page.goto("/reporting/new/")
    page.get_by_label("Customs or border procedure").check()
    page.select_option("#id_crossing", str(crossing.pk))
    page.fill("#id_description", "Rice truck held three days for a second phytosanitary stamp.")
    page.fill("#id_hs_code", "1006.30")
    page.fill("#id_delay_days", "3")
    page.fill("#id_cost_amount", "120")
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_url("**/reporting/*/")
    assert "Open" in page.locator("#status").inner_text()
    report = BottleneckReport.objects.get()
    assert (report.reporter_org, report.hs_code_id, report.delay_days) == (sme, "100630", 3)
    _log_out(page)

    # Staff assign the customs department as focal point.
    login(page, live_server, staff)
    page.goto(f"/reporting/{report.pk}/")
    page.select_option("#id_focal_point", str(ministry.pk))
    page.get_by_role("button", name="Assign").click()
    page.wait_for_load_state()
    assert "Customs Department" in page.locator("main").inner_text()
    _log_out(page)

    # The focal point moves it along and writes the public note.
    login(page, live_server, focal)
    page.goto(f"/reporting/{report.pk}/")
    assert "Tay Ninh Rice Mill" not in page.content()  # the focal point does not see who
    for status, note in (
        ("acknowledged", "Received; checking with the plant-protection post."),
        ("in_progress", "One stamp at the first gate from next week."),
        ("resolved", "Single stamp in force since Monday."),
    ):
        page.select_option("#id_status", status)
        page.fill("#id_public_note", note)
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        assert note in page.locator("#public-note").inner_text()
    _log_out(page)

    # The reporter was told of each step and sees the resolution.
    sent = told(owner)
    assert len(sent) == 4  # assigned, acknowledged, in progress, resolved
    assert "Resolved" in sent[-1][2]
    login(page, live_server, owner)
    page.goto(f"/reporting/{report.pk}/")
    assert "Resolved" in page.locator("#status").inner_text()
    assert "Single stamp in force since Monday." in page.locator("#public-note").inner_text()
    # A single report is not on the public page (fewer than three in its group).
    page.goto("/reporting/public/")
    assert "Single stamp" not in page.content()
    assert "Nothing to show yet" in page.content()
