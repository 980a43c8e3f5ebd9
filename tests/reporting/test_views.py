"""Pages of reporting: the public page and its exports name nobody and hide small groups; the
analysis figures match hand-computed ones; every page checks who is asking."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from corridor.reporting import selectors, services
from corridor.reporting.models import BottleneckReport, Status
from tests.reporting.conftest import file_report

SECRET = "Broker Vannak at the Bavet gate wanted 200 dollars from Mekong Rice Co"


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    cache.clear()
    yield
    cache.clear()


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def public_set(sme_owner, sme, crossing, other_crossing, rice, mango, staff_user, ministry):
    """Three rice reports at one crossing this month (shown), two mango reports (hidden), one
    rice report at another crossing (hidden)."""
    shown = [
        file_report(sme_owner, crossing, org=sme, hs=rice, description=SECRET) for _ in range(3)
    ]
    services.report_assign(report=shown[0], focal_point=ministry, by=staff_user)
    services.report_set_status(
        report=shown[0], to_status="acknowledged", by=staff_user, public_note="Gate staff briefed."
    )
    hidden = [file_report(sme_owner, crossing, org=sme, hs=mango) for _ in range(2)]
    hidden.append(file_report(sme_owner, other_crossing, org=sme, hs=rice))
    return shown, hidden


def test_public_list_hides_groups_of_fewer_than_three(public_set):
    shown, hidden = public_set
    ids = set(selectors.public_reports().values_list("id", flat=True))
    assert ids == {r.pk for r in shown}


def test_group_rule_counts_all_reports_whatever_the_filter(public_set):
    shown, _hidden = public_set
    # Only one of the three is acknowledged: the filter shows it, the group is still three.
    ids = list(selectors.public_reports(status="acknowledged").values_list("id", flat=True))
    assert ids == [shown[0].pk]


def test_public_page_shows_light_note_and_never_the_reporter(public_set, sme, sme_owner):
    response = _client().get("/reporting/public/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gate staff briefed." in html
    assert "light-amber" in html and "light-red" in html
    assert "Moc Bai–Bavet" in html
    for leak in (SECRET, "Vannak", sme.name, sme_owner.username, sme_owner.email):
        assert leak not in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_public_exports_name_nobody(public_set, sme, sme_owner, fmt):
    response = _client().get(f"/reporting/public/?format={fmt}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    if fmt == "csv":
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = [line for line in text.splitlines() if line]
    else:
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(response.content)).active
        rows = [",".join(str(c or "") for c in row) for row in ws.iter_rows(values_only=True)]
        text = "\n".join(rows)
    assert len(rows) == 4  # header + the three shown reports
    assert rows[0].startswith("month,category,border_crossing,hs_chapter,status")
    for leak in (SECRET, "Vannak", sme.name, sme_owner.username, sme_owner.email):
        assert leak not in text


def test_export_escapes_formulas(sme_owner, crossing, rice, staff_user):
    reports = [file_report(sme_owner, crossing, hs=rice) for _ in range(3)]
    services.report_set_note(report=reports[0], public_note='=HYPERLINK("x")', by=staff_user)
    response = _client().get("/reporting/public/?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_public_page_query_count_is_constant(public_set, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert _client().get("/reporting/public/").status_code == 200


def test_analysis_figures_match_hand_computed_values(
    sme_owner, crossing, other_crossing, rice, staff_user
):
    today = timezone.localdate()
    # crossing: delays 2, 4, 9 → median 4; costs 10, 30 → median 20
    a = file_report(sme_owner, crossing, hs=rice, delay_days=2, cost_amount=Decimal("10"))
    file_report(sme_owner, crossing, hs=rice, delay_days=4, cost_amount=Decimal("30"))
    file_report(sme_owner, crossing, hs=rice, delay_days=9, category="transport")
    # other crossing: one report, delay 1
    b = file_report(sme_owner, other_crossing, hs=rice, delay_days=1, category="payment")
    # Two resolved: after 2 days and after 5 days → median 3.5 days to resolve.
    for report, days in ((a, 2), (b, 5)):
        for step in ("acknowledged", "in_progress", "resolved"):
            services.report_set_status(report=report, to_status=step, by=staff_user)
        BottleneckReport.objects.filter(pk=report.pk).update(
            closed_at=report.created_at + datetime.timedelta(days=days)
        )
    result = selectors.analysis(date_from=today - datetime.timedelta(days=30), date_to=today)
    assert result.total == 4
    assert result.overall.median_delay == 3.0  # 1, 2, 4, 9
    assert result.overall.median_cost == Decimal("20")
    assert result.overall.median_resolve_days == 3.5
    by_crossing = {g.label: g for g in result.by_crossing}
    assert by_crossing["Moc Bai–Bavet"].count == 3
    assert by_crossing["Moc Bai–Bavet"].active == 2
    assert by_crossing["Moc Bai–Bavet"].median_delay == 4
    assert by_crossing["Moc Bai–Bavet"].median_cost == Decimal("20")
    assert by_crossing["Moc Bai–Bavet"].median_resolve_days == 2.0
    assert by_crossing["Aranyaprathet–Poipet"].median_delay == 1
    by_category = {g.key: g.count for g in result.by_category}
    assert by_category == {"customs": 2, "transport": 1, "payment": 1}
    assert [(g.key, g.count) for g in result.by_chapter] == [("10", 4)]
    assert [g.count for g in result.by_month] == [4]


def test_analysis_page_is_staff_only_and_draws_the_map(sme_owner, staff_user, crossing, rice):
    file_report(sme_owner, crossing, hs=rice, delay_days=2)
    assert _client(sme_owner).get("/reporting/analysis/").status_code == 403
    assert _client().get("/reporting/analysis/").status_code == 302  # to the login page
    response = _client(staff_user).get("/reporting/analysis/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg class="corridor-map"' in html
    assert 'data-open="1"' in html  # the crossing's dot carries its open report
    assert "Moc Bai–Bavet" in html


def test_report_page_permissions(report, stranger, sme_owner, staff_user):
    assert _client(stranger).get(f"/reporting/{report.pk}/").status_code == 404
    assert _client().get(f"/reporting/{report.pk}/").status_code == 302
    page = _client(sme_owner).get(f"/reporting/{report.pk}/")
    assert page.status_code == 200
    assert report.description in page.content.decode()
    # The reporter cannot move their own report.
    refused = _client(sme_owner).post(f"/reporting/{report.pk}/status/", {"status": "acknowledged"})
    assert refused.status_code == 403
    assert (
        _client(sme_owner).post(f"/reporting/{report.pk}/assign/", {"focal_point": 1}).status_code
        == 403
    )
    report.refresh_from_db()
    assert report.status == Status.OPEN


def test_file_a_report_through_the_form(sme_owner, sme, crossing, rice):
    response = _client(sme_owner).post(
        "/reporting/new/",
        {
            "category": "standards",
            "crossing": crossing.pk,
            "description": "Lab result not accepted on the other side.",
            "hs_code": "1006.30 Rice",
            "occurred_on": timezone.localdate().isoformat(),
            "delay_days": "4",
            "cost_amount": "",
            "cost_currency": "USD",
            "organisation": sme.pk,
        },
    )
    report = BottleneckReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reporting/{report.pk}/"
    assert (report.category, report.hs_code_id, report.delay_days) == ("standards", "100630", 4)


def test_form_error_is_specific_and_saves_nothing(sme_owner, crossing):
    response = _client(sme_owner).post(
        "/reporting/new/",
        {
            "category": "customs",
            "description": "x",
            "occurred_on": "2020-01-01",
            "cost_currency": "USD",
            "hs_code": "9999",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown HS code: 9999." in html
    assert "Say where: a border crossing, a province or a corridor." in html
    assert BottleneckReport.objects.count() == 0


def test_focal_point_moves_the_report_from_its_page(report, ministry, staff_user, focal_user):
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    client = _client(focal_user)
    page = client.get(f"/reporting/{report.pk}/").content.decode()
    assert sme_name_absent(page, report)
    client.post(
        f"/reporting/{report.pk}/status/", {"status": "acknowledged", "public_note": "On it."}
    )
    report.refresh_from_db()
    assert (report.status, report.public_note) == ("acknowledged", "On it.")
    # A refused move is explained, not applied.
    response = client.post(f"/reporting/{report.pk}/status/", {"status": "resolved"}, follow=True)
    assert "cannot become" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "acknowledged"


def sme_name_absent(html: str, report) -> bool:
    """The focal point reads what happened, but not who reported it."""
    return report.description in html and report.reporter_org.name not in html


def test_my_reports_list_query_count(sme_owner, sme, crossing, rice, django_assert_max_num_queries):
    for _ in range(5):
        file_report(sme_owner, crossing, org=sme, hs=rice)
    client = _client(sme_owner)
    with django_assert_max_num_queries(12):
        response = client.get("/reporting/")
    assert response.status_code == 200
    assert response.content.decode().count('href="/reporting/') >= 5


def test_report_history_shows_status_names(report, staff_user, sme_owner):
    services.report_set_status(report=report, to_status="acknowledged", by=staff_user)
    html = _client(sme_owner).get(f"/reporting/{report.pk}/").content.decode()
    assert "Open → Acknowledged" in html
