"""The bottleneck workflow: filing, assignment, transitions (allowed and refused), who may
move a report, notifications to followers and focal points, and the overdue flag."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from corridor.reporting import services
from corridor.reporting.models import BottleneckReport, ReportEvent, ReportFollower, Status
from tests import factories
from tests.reporting.conftest import file_report, forget_told, told


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    cache.clear()
    yield
    cache.clear()


def test_report_create_records_history_and_reporter_follows(report, sme_owner, sme):
    assert report.status == Status.OPEN
    assert report.reporter == sme_owner
    assert report.reporter_org == sme
    assert report.hs_chapter == "10"
    assert report.public_group == f"{report.crossing_id}|10|{report.occurred_on:%Y-%m}"
    assert list(ReportEvent.objects.filter(report=report).values_list("action", flat=True)) == [
        "created"
    ]
    assert list(ReportFollower.objects.filter(report=report).values_list("user", flat=True)) == [
        sme_owner.pk
    ]


def test_report_create_refuses_missing_place_and_category(sme_owner):
    with pytest.raises(ValidationError) as exc:
        services.report_create(by=sme_owner, data={"category": "nope", "description": ""})
    assert set(exc.value.message_dict) == {"category", "description", "crossing"}
    assert BottleneckReport.objects.count() == 0


def test_report_create_refuses_future_date_and_negative_delay(sme_owner, crossing):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        file_report(sme_owner, crossing, occurred_on=tomorrow, delay_days=-1)
    assert set(exc.value.message_dict) == {"occurred_on", "delay_days"}


def test_report_create_for_an_organisation_one_does_not_act_for_is_refused(stranger, sme, crossing):
    with pytest.raises(PermissionDenied):
        file_report(stranger, crossing, org=sme)
    assert BottleneckReport.objects.count() == 0


def test_on_behalf_only_for_associations_and_clusters(
    sme_owner, sme, association_user, association, crossing
):
    with pytest.raises(PermissionDenied):
        file_report(sme_owner, crossing, org=sme, on_behalf=True)
    report = file_report(association_user, crossing, org=association, on_behalf=True)
    assert report.on_behalf is True
    assert report.reporter_org == association


def test_cost_in_usd_is_kept_when_the_currency_is_usd(sme_owner, crossing):
    report = file_report(sme_owner, crossing, cost_amount="120.50", cost_currency="USD")
    assert str(report.cost_usd) == "120.50"


def test_full_workflow_to_resolution(report, staff_user, ministry, focal_user):
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    report = services.report_set_status(report=report, to_status="acknowledged", by=focal_user)
    report = services.report_set_status(
        report=report, to_status="in_progress", by=focal_user, public_note="Asked the post."
    )
    report = services.report_set_status(
        report=report, to_status="resolved", by=focal_user, public_note="Stamps issued on site."
    )
    report.refresh_from_db()
    assert report.status == Status.RESOLVED
    assert report.public_note == "Stamps issued on site."
    assert report.closed_at is not None
    history = list(
        ReportEvent.objects.filter(report=report).values_list("action", "from_status", "to_status")
    )
    assert history == [
        ("created", "", "open"),
        ("assigned", "open", "open"),
        ("status", "open", "acknowledged"),
        ("status", "acknowledged", "in_progress"),
        ("status", "in_progress", "resolved"),
    ]


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "resolved"),  # open → resolved skips the steps
        ([], "in_progress"),
        ([], "open"),
        (["acknowledged"], "open"),
        (["acknowledged", "in_progress"], "acknowledged"),
        (["acknowledged", "in_progress", "resolved"], "in_progress"),
        (["acknowledged", "in_progress", "resolved"], "closed"),
        (["closed"], "open"),
        (["closed"], "acknowledged"),
        ([], "bogus"),
    ],
)
def test_refused_transitions(report, staff_user, path, target):
    for step in path:
        report = services.report_set_status(report=report, to_status=step, by=staff_user)
    before = report.status
    with pytest.raises(services.TransitionNotAllowed):
        services.report_set_status(report=report, to_status=target, by=staff_user)
    report.refresh_from_db()
    assert report.status == before


@pytest.mark.parametrize("start", ["open", "acknowledged", "in_progress"])
def test_close_without_resolution_from_any_active_state(report, staff_user, start):
    for step in {
        "open": [],
        "acknowledged": ["acknowledged"],
        "in_progress": ["acknowledged", "in_progress"],
    }[start]:
        services.report_set_status(report=report, to_status=step, by=staff_user)
    report = services.report_set_status(report=report, to_status="closed", by=staff_user)
    assert report.status == Status.CLOSED
    assert report.closed_at is not None


def test_who_may_move_a_report(
    report, ministry, staff_user, focal_user, ministry_member, sme_owner, stranger
):
    # Not yet assigned: the focal point of the ministry has no say.
    with pytest.raises(PermissionDenied):
        services.report_set_status(report=report, to_status="acknowledged", by=focal_user)
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    for user in (ministry_member, sme_owner, stranger):
        with pytest.raises(PermissionDenied):
            services.report_set_status(report=report, to_status="acknowledged", by=user)
        with pytest.raises(PermissionDenied):
            services.report_set_note(report=report, public_note="x", by=user)
    report = services.report_set_status(report=report, to_status="acknowledged", by=focal_user)
    assert report.status == "acknowledged"


def test_only_staff_assign_and_only_to_support_organisations(
    report, ministry, focal_user, staff_user, buyer_org
):
    with pytest.raises(PermissionDenied):
        services.report_assign(report=report, focal_point=ministry, by=focal_user)
    with pytest.raises(ValidationError):
        services.report_assign(report=report, focal_point=buyer_org, by=staff_user)
    report = services.report_assign(report=report, focal_point=ministry, by=staff_user)
    assert report.deadline == timezone.localdate() + datetime.timedelta(days=14)


def test_followers_are_told_of_each_change_but_not_the_one_who_made_it(
    report, ministry, staff_user, focal_user, sme_owner
):
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    # the focal point is told of the assignment; the reporter of the change
    assigned = told(focal_user)
    assert len(assigned) == 1
    assert "assigned to your organisation" in assigned[0][2]
    forget_told()
    services.report_set_status(
        report=report, to_status="acknowledged", by=focal_user, public_note="We are on it."
    )
    sent = told()
    assert [t[0] for t in sent] == [sme_owner.email]
    assert sent[0][1] == f"Bottleneck report #{report.pk} changed"
    assert "Acknowledged" in sent[0][2]
    assert "We are on it." in sent[0][2]
    forget_told()
    services.report_unfollow(report=report, user=sme_owner)
    services.report_set_status(report=report, to_status="in_progress", by=focal_user)
    assert told() == []


def test_a_stranger_cannot_follow(report, stranger):
    with pytest.raises(PermissionDenied):
        services.report_follow(report=report, user=stranger)


def test_overdue_is_flagged_once_to_focal_point_and_staff(
    report, ministry, staff_user, focal_user, sme_owner
):
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    BottleneckReport.objects.filter(pk=report.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    report.refresh_from_db()
    assert report.is_overdue is True
    forget_told()
    assert services.reports_flag_overdue() == 1
    assert sorted(t[0] for t in told()) == sorted([staff_user.email, focal_user.email])
    assert told()[0][1] == f"Bottleneck report #{report.pk} is past its deadline"
    forget_told()
    assert services.reports_flag_overdue() == 0
    assert told() == []


def test_resolved_report_is_not_overdue(report, ministry, staff_user):
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    for step in ("acknowledged", "in_progress", "resolved"):
        report = services.report_set_status(report=report, to_status=step, by=staff_user)
    BottleneckReport.objects.filter(pk=report.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=3)
    )
    report.refresh_from_db()
    assert report.is_overdue is False
    assert services.reports_flag_overdue() == 0


def test_a_focal_point_of_another_organisation_cannot_move_it(report, ministry, staff_user):
    other = factories.OrganisationFactory(kind="support", name="Other agency")
    outsider = factories.UserFactory(username="otherfocal")
    factories.MembershipFactory(user=outsider, organisation=other, role="focal_point")
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    with pytest.raises(PermissionDenied):
        services.report_set_status(report=report, to_status="acknowledged", by=outsider)


def test_flag_overdue_command_and_key_purge(report, ministry, staff_user, sme_owner):
    from io import StringIO

    from django.core.management import call_command

    from corridor.accounts.services import api_token_create
    from corridor.reporting.models import IdempotencyRecord

    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    BottleneckReport.objects.filter(pk=report.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    token, _raw = api_token_create(user=sme_owner, name="bot")
    IdempotencyRecord.objects.create(
        token=token,
        user=sme_owner,
        key="old",
        fingerprint="x",
        created_at=timezone.now() - datetime.timedelta(hours=25),
    )
    IdempotencyRecord.objects.create(token=token, user=sme_owner, key="new", fingerprint="x")
    out = StringIO()
    call_command("flag_overdue_reports", stdout=out)
    assert out.getvalue().strip() == "1 reports flagged overdue, 1 old keys forgotten."
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_public_group_flag_is_set_when_the_third_report_arrives(sme_owner, crossing, rice):
    first = file_report(sme_owner, crossing, hs=rice)
    second = file_report(sme_owner, crossing, hs=rice)
    assert BottleneckReport.objects.filter(in_public_group=True).count() == 0
    third = file_report(sme_owner, crossing, hs=rice)
    flagged = set(
        BottleneckReport.objects.filter(in_public_group=True).values_list("pk", flat=True)
    )
    assert flagged == {first.pk, second.pk, third.pk}
    # The bulk recomputation agrees (and undoes a flag that has no group behind it).
    BottleneckReport.objects.filter(pk=first.pk).update(in_public_group=False)
    assert services.public_groups_refresh() == 1
    assert BottleneckReport.objects.filter(in_public_group=True).count() == 3


def test_control_characters_and_lone_surrogates_are_removed(sme_owner, crossing):
    report = file_report(sme_owner, crossing, description="Held\x00 at\x1b gate\ud800 two days\n")
    assert report.description == "Held at gate two days"
