"""Changes to bottleneck reports: filing, assignment to a focal point, the status workflow,
public notes, following, and the overdue flag. Views, the API, the demo and tasks call these."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.core.money import to_usd
from corridor.directory.models import (
    BorderCrossing,
    EconomicCorridor,
    HSCode,
    Organisation,
    Province,
)
from corridor.directory.vocab import Currency, OrgKind
from corridor.reporting import hygiene, messages, permissions
from corridor.reporting.models import (
    ACTIVE,
    TRANSITIONS,
    BottleneckReport,
    Category,
    ReportEvent,
    ReportFollower,
    Status,
)

DEFAULT_DEADLINE_DAYS = 14
MAX_DELAY_DAYS = 3650


class TransitionNotAllowed(Exception):
    """A status move the workflow does not allow (resolved → open, open → resolved...)."""

    def __init__(self, report: BottleneckReport, to_status: str) -> None:
        self.report = report
        self.to_status = to_status
        allowed = ", ".join(str(Status(s).label) for s in TRANSITIONS[report.status]) or _("none")
        super().__init__(
            _("A report that is %(current)s cannot become %(target)s (allowed: %(allowed)s).")
            % {
                "current": Status(report.status).label,
                "target": Status(to_status).label if to_status in Status.values else to_status,
                "allowed": allowed,
            }
        )


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Validate the fields of a report; raise ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    category = data.get("category")
    if category not in Category.values:
        errors["category"] = _("Choose a category.")
    out["category"] = category
    description = hygiene.clean(data.get("description"))
    if not description:
        errors["description"] = _("Say what happened.")
    elif len(description) > 4000:
        errors["description"] = _("Keep it under 4,000 characters.")
    out["description"] = description
    for field, model in (
        ("crossing", BorderCrossing),
        ("province", Province),
        ("corridor", EconomicCorridor),
        ("hs_code", HSCode),
    ):
        value = data.get(field)
        if value is not None and not isinstance(value, model):
            errors[field] = _("Unknown value.")
        out[field] = value
    if not (out["crossing"] or out["province"] or out["corridor"]):
        errors["crossing"] = _("Say where: a border crossing, a province or a corridor.")
    delay = data.get("delay_days")
    if delay is not None and not (0 <= int(delay) <= MAX_DELAY_DAYS):
        errors["delay_days"] = _("A delay is between 0 and 3,650 days.")
    out["delay_days"] = delay
    amount = data.get("cost_amount")
    if amount is not None:
        amount = Decimal(str(amount))
        if amount < 0 or amount >= Decimal("1e12"):
            errors["cost_amount"] = _("A cost is a positive amount.")
    out["cost_amount"] = amount
    currency = (data.get("cost_currency") or Currency.USD).upper()
    if currency not in Currency.values:
        errors["cost_currency"] = _("Unknown currency.")
    out["cost_currency"] = currency
    occurred = data.get("occurred_on") or timezone.localdate()
    if isinstance(occurred, datetime.date) and occurred > timezone.localdate():
        errors["occurred_on"] = _("The date is in the future.")
    out["occurred_on"] = occurred
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def report_create(
    *,
    by,
    data: dict[str, Any],
    org: Organisation | None = None,
    on_behalf: bool = False,
    source: str = "web",
    order=None,
) -> BottleneckReport:
    """File a report for `org` (or for oneself); `on_behalf`: for an SME the filer does not name;
    `order`: the order it hit (order timelines installed; only a side of the order)."""
    if not permissions.can_file_report(by):
        raise PermissionDenied(_("Sign in to report a bottleneck."))
    if not permissions.can_file_for(by, org):
        raise PermissionDenied(_("You do not act for this organisation."))
    if on_behalf and not permissions.can_file_on_behalf(by, org):
        raise PermissionDenied(
            _("Only an association or a cluster reports for an SME without naming it.")
        )
    fields = _clean(data)
    hs = fields["hs_code"]
    report = BottleneckReport(
        **fields,
        hs_chapter=hs.code[:2] if hs else "",
        public_group=BottleneckReport.group_key(
            fields["crossing"].pk if fields["crossing"] else None,
            hs.code[:2] if hs else "",
            fields["occurred_on"],
        ),
        cost_usd=to_usd(fields["cost_amount"], fields["cost_currency"], fields["occurred_on"]),
        reporter=by,
        reporter_org=org,
        on_behalf=on_behalf,
        source=source,
    )
    report.full_clean(exclude=["reporter", "hs_chapter", "public_group"])
    report.save()
    _publish_group(report.public_group)
    ReportEvent.objects.create(report=report, action="created", to_status=report.status, by=by)
    ReportFollower.objects.get_or_create(report=report, user=by)
    if order is not None:
        from corridor.reporting.timeline.services import report_link_order

        report_link_order(report=report, order=order, by=by)
    return report


def _publish_group(group: str) -> None:
    """Once a crossing × chapter × month holds three reports, all of them may be shown.

    Two reports filed at the same moment may each count two and leave the group hidden until
    the next one: the rule errs on the side of hiding."""
    from corridor.reporting.selectors import PUBLIC_MIN_GROUP

    reports = BottleneckReport.objects.filter(public_group=group)
    if reports.count() >= PUBLIC_MIN_GROUP:
        reports.filter(in_public_group=False).update(in_public_group=True)


def public_groups_refresh() -> int:
    """Recompute every report's flag from the counts (after a bulk load or deletions)."""
    from django.db.models import Count

    from corridor.reporting.selectors import PUBLIC_MIN_GROUP

    big = (
        BottleneckReport.objects.order_by()
        .values("public_group")
        .annotate(n=Count("id"))
        .filter(n__gte=PUBLIC_MIN_GROUP)
        .values("public_group")
    )
    with transaction.atomic():
        BottleneckReport.objects.exclude(public_group__in=big).filter(in_public_group=True).update(
            in_public_group=False
        )
        return BottleneckReport.objects.filter(public_group__in=big, in_public_group=False).update(
            in_public_group=True
        )


def _locked(report: BottleneckReport) -> BottleneckReport:
    return BottleneckReport.objects.select_for_update().get(pk=report.pk)


def _report_url(report: BottleneckReport) -> str:
    return reverse("reporting:detail", args=[report.pk])


def _tell_followers(report: BottleneckReport, *, by, event: ReportEvent) -> None:
    followers = (
        get_user_model()
        .objects.filter(followed_reports__report=report, is_active=True)
        .exclude(pk=getattr(by, "pk", None))
    )
    for user in followers:
        messages.tell(
            user=user,
            kind="reporting.report_changed",
            key=f"report-event-{event.pk}",
            subject=gettext_lazy("Bottleneck report #%(id)s changed"),
            template="reporting/email/report_changed.txt",
            context={"report": report, "event": event, "id": report.pk},
            url=_report_url(report),
        )


def _focal_people(org: Organisation):
    return get_user_model().objects.filter(
        memberships__organisation=org,
        memberships__role=permissions.FOCAL_POINT_ROLE,
        is_active=True,
    )


@transaction.atomic
def report_assign(
    *,
    report: BottleneckReport,
    focal_point: Organisation,
    by,
    deadline: datetime.date | None = None,
) -> BottleneckReport:
    """Staff hand a report to a support organisation, to answer before `deadline`."""
    if not permissions.can_assign(by):
        raise PermissionDenied(_("Only programme staff assign focal points."))
    if focal_point.kind != OrgKind.SUPPORT:
        raise ValidationError({"focal_point": _("A focal point is a support organisation.")})
    report = _locked(report)
    if report.status not in ACTIVE:
        raise ValidationError(_("This report is finished; it cannot be assigned."))
    today = timezone.localdate()
    deadline = deadline or today + datetime.timedelta(days=DEFAULT_DEADLINE_DAYS)
    if deadline < today:
        raise ValidationError({"deadline": _("The deadline is in the past.")})
    report.focal_point = focal_point
    report.deadline = deadline
    report.overdue_flagged_at = None
    report.save(update_fields=["focal_point", "deadline", "overdue_flagged_at", "updated_at"])
    event = ReportEvent.objects.create(
        report=report, action="assigned", from_status=report.status, to_status=report.status, by=by
    )
    for user in _focal_people(focal_point):
        messages.tell(
            user=user,
            kind="reporting.report_assigned",
            key=f"report-assigned-{event.pk}",
            subject=gettext_lazy("A bottleneck report for you to answer by %(date)s"),
            template="reporting/email/report_assigned.txt",
            context={"report": report, "date": deadline.isoformat()},
            url=_report_url(report),
        )
    _tell_followers(report, by=by, event=event)
    return report


@transaction.atomic
def report_set_status(
    *, report: BottleneckReport, to_status: str, by, public_note: str | None = None
) -> BottleneckReport:
    """Move a report along the workflow (staff or its focal point), optionally with a new note."""
    report = _locked(report)  # the current row: status and focal point as they are now
    if not permissions.can_update_status(by, report):
        raise PermissionDenied(_("Only the focal point and staff change a report's status."))
    if to_status not in TRANSITIONS.get(report.status, ()):
        raise TransitionNotAllowed(report, to_status)
    from_status = report.status
    report.status = to_status
    if to_status in (Status.RESOLVED, Status.CLOSED):
        report.closed_at = timezone.now()
    if public_note is not None:
        report.public_note = _note(public_note)
    report.save()
    event = ReportEvent.objects.create(
        report=report,
        action="status",
        from_status=from_status,
        to_status=to_status,
        public_note=report.public_note if public_note is not None else "",
        by=by,
    )
    _tell_followers(report, by=by, event=event)
    return report


def _note(text: str) -> str:
    text = hygiene.clean(text)
    if len(text) > 2000:
        raise ValidationError({"public_note": _("Keep the note under 2,000 characters.")})
    return text


@transaction.atomic
def report_set_note(*, report: BottleneckReport, public_note: str, by) -> BottleneckReport:
    """Change the public note without moving the status."""
    report = _locked(report)
    if not permissions.can_update_status(by, report):
        raise PermissionDenied(_("Only the focal point and staff write the public note."))
    report.public_note = _note(public_note)
    report.save(update_fields=["public_note", "updated_at"])
    event = ReportEvent.objects.create(
        report=report,
        action="note",
        from_status=report.status,
        to_status=report.status,
        public_note=report.public_note,
        by=by,
    )
    _tell_followers(report, by=by, event=event)
    return report


def report_follow(*, report: BottleneckReport, user) -> None:
    if not permissions.can_follow(user, report):
        raise PermissionDenied(_("You cannot follow this report."))
    try:
        with transaction.atomic():
            ReportFollower.objects.get_or_create(report=report, user=user)
    except IntegrityError:  # a double click raced the first one: already following
        pass


def report_unfollow(*, report: BottleneckReport, user) -> None:
    ReportFollower.objects.filter(report=report, user=user).delete()


def reports_flag_overdue(*, today: datetime.date | None = None) -> int:
    """Flag, once, each active report whose deadline passed; tell its focal point and staff.
    Returns how many reports were flagged now (a second run the same day flags none)."""
    today = today or timezone.localdate()
    due = list(
        BottleneckReport.objects.filter(
            status__in=ACTIVE, deadline__lt=today, overdue_flagged_at__isnull=True
        ).select_related("focal_point")
    )
    staff = list(get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email=""))
    flagged = 0
    for report in due:
        with transaction.atomic():
            updated = BottleneckReport.objects.filter(
                pk=report.pk, overdue_flagged_at__isnull=True
            ).update(overdue_flagged_at=timezone.now())
            if not updated:
                continue
            flagged += 1
            people = list(staff)
            if report.focal_point_id:
                people += list(_focal_people(report.focal_point))
            for user in {u.pk: u for u in people}.values():
                messages.tell(
                    user=user,
                    kind="reporting.report_overdue",
                    key=f"report-overdue-{report.pk}-{report.deadline}",
                    subject=gettext_lazy("Bottleneck report #%(id)s is past its deadline"),
                    template="reporting/email/report_overdue.txt",
                    context={"report": report, "id": report.pk},
                    url=_report_url(report),
                )
    return flagged
