"""The follow-up sender: one service for the command, the periodic task and the staff button.

Idempotent by construction: an invitation is unique per (lead, step, side) and each message is
unique per (invitation, kind, number). The message row is committed *before* the email leaves,
so a restarted or retried round finds it and never sends it again (a crash between the two
loses at most that one email, which staff see as "no answer" and can chase by phone).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Membership
from corridor.accounts.services import site_url
from corridor.core import links
from corridor.followup import messages
from corridor.followup.models import (
    MAX_REMINDERS,
    FollowUpPlan,
    FollowUpStep,
    Lead,
    SendRun,
    Side,
    Stage,
    SurveyInvitation,
    SurveyMessage,
)
from corridor.followup.services import SURVEY_PURPOSE

log = logging.getLogger(__name__)
PROGRESS_EVERY = 50


@dataclass
class Recipient:
    email: str
    language: str
    user_id: int | None


def _recipients(org_ids: set[int]) -> dict[int, Recipient]:
    """The person to ask for each organisation: an owner first, then any member, then the
    organisation's own address (two queries for any number of organisations)."""
    from corridor.directory.models import Organisation

    found: dict[int, Recipient] = {}
    rank = {Membership.Role.OWNER: 0, Membership.Role.MEMBER: 1}
    rows = (
        Membership.objects.filter(organisation_id__in=org_ids, user__is_active=True)
        .exclude(user__email="")
        .values_list("organisation_id", "role", "user_id", "user__email", "user__language")
        .order_by("organisation_id", "id")
    )
    best: dict[int, tuple[int, Recipient]] = {}
    for org_id, role, user_id, email, language in rows:
        r = rank.get(role, 2)
        if org_id not in best or r < best[org_id][0]:
            best[org_id] = (r, Recipient(email, language or "", user_id))
    found = {org_id: rec for org_id, (_r, rec) in best.items()}
    missing = org_ids - found.keys()
    if missing:
        for org_id, email in (
            Organisation.objects.filter(pk__in=missing).exclude(email="").values_list("id", "email")
        ):
            found[org_id] = Recipient(email, "", None)
    return found


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` calendar months earlier (the month's last day when shorter)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _scope(plan: FollowUpPlan):
    """The leads a plan covers: its event's, or (programme plan) all but those of events that
    have an active plan of their own."""
    if plan.event_id:
        return Lead.objects.filter(event_id=plan.event_id)
    own = FollowUpPlan.objects.filter(is_active=True, event__isnull=False).values("event_id")
    return Lead.objects.exclude(event_id__in=own)


def _due_leads(plan: FollowUpPlan, today: datetime.date) -> list[tuple[FollowUpStep, list[int]]]:
    """For each step in use (not retired), the leads whose latest due step it is and who were
    never asked at this step or a later one (of any plan: a plan changed or replaced never asks
    a lead again about a point it has passed)."""
    steps = list(plan.steps.filter(retired_at__isnull=True).order_by("offset_months"))
    scope = _scope(plan)
    out = []
    for i, step in enumerate(steps):
        upper = months_before(today, step.offset_months)
        qs = scope.filter(started_on__lte=upper).exclude(stage=Stage.DROPPED)
        if i + 1 < len(steps):
            lower = months_before(today, steps[i + 1].offset_months)
            qs = qs.filter(started_on__gt=lower)
        asked = SurveyInvitation.objects.filter(
            lead=OuterRef("pk"), step__offset_months__gte=step.offset_months
        )
        ids = list(qs.exclude(Exists(asked)).order_by("id").values_list("id", flat=True))
        if ids:
            out.append((step, ids))
    return out


def _survey_url(raw: str) -> str:
    return site_url() + reverse("followup:survey", args=[raw])


def _send(
    *,
    invitation: SurveyInvitation,
    number: int,
    run: SendRun,
    other_name: str,
    connection,
) -> str:
    """Send message `number` (0: the survey, 1–2: reminders) once; returns sent/failed/skipped."""
    kind = SurveyMessage.Kind.SURVEY if number == 0 else SurveyMessage.Kind.REMINDER
    try:
        with transaction.atomic():
            message = SurveyMessage.objects.create(
                invitation=invitation, run=run, kind=kind, number=number, to_email=invitation.email
            )
    except IntegrityError:  # sent by an earlier or concurrent round
        if number == 0:  # that round may have stopped before recording it on the invitation
            SurveyInvitation.objects.filter(
                pk=invitation.pk, status=SurveyInvitation.Status.CLAIMED
            ).update(status=SurveyInvitation.Status.SENT, sent_at=F("claimed_at"))
        return "skipped"
    raw, _link = links.link_issue(
        purpose=SURVEY_PURPOSE,
        target=invitation,
        valid_for=max(invitation.expires_at - timezone.now(), datetime.timedelta(days=1)),
    )
    try:
        messages.send_survey_email(
            to=invitation.email,
            language=invitation.language,
            subject=_("How is it going with %(org)s?") % {"org": other_name},
            template="followup/email/survey.txt",
            context={
                "lead": invitation.lead,
                "other_name": other_name,
                "url": _survey_url(raw),
                "expires": invitation.expires_at,
                "reminder": number > 0,
            },
            connection=connection,
        )
    except Exception as exc:  # noqa: BLE001 - any refusal by the mail server is logged and retried
        log.warning("survey email %s to %s failed: %s", invitation.pk, invitation.email, exc)
        # Not sent: forget the message so a later round may try again.
        SurveyMessage.objects.filter(pk=message.pk).delete()
        if number == 0:
            SurveyInvitation.objects.filter(pk=invitation.pk).update(
                status=SurveyInvitation.Status.FAILED
            )
        return "failed"
    now = timezone.now()
    if number == 0:
        SurveyInvitation.objects.filter(pk=invitation.pk).exclude(
            status=SurveyInvitation.Status.ANSWERED
        ).update(status=SurveyInvitation.Status.SENT, sent_at=now, last_sent_at=now)
    else:
        SurveyInvitation.objects.filter(pk=invitation.pk, reminders_sent=number - 1).update(
            reminders_sent=number, last_sent_at=now
        )
    return "sent"


def _bump(run: SendRun, **counts: int) -> None:
    SendRun.objects.filter(pk=run.pk).update(**{k: F(k) + v for k, v in counts.items() if v})
    for k, v in counts.items():
        setattr(run, k, getattr(run, k) + v)


def send_followups(
    *,
    trigger: str = "command",
    by=None,
    now: datetime.datetime | None = None,
    run: SendRun | None = None,
    connection=None,
) -> SendRun:
    """Send the surveys that are due and the reminders that are due; returns the run.
    `connection`: a mail connection to use instead of the configured one (demo, bench)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = run or SendRun.objects.create(
        trigger=trigger, started_by=by if by is not None and by.is_authenticated else None
    )
    plans = list(FollowUpPlan.objects.filter(is_active=True).order_by("id"))
    if not plans:
        SendRun.objects.filter(pk=run.pk).update(
            status=SendRun.Status.DONE, finished_at=timezone.now(), message="No active plan."
        )
        run.refresh_from_db()
        return run
    try:
        for plan in plans:
            _round(plan=plan, run=run, now=now, today=today, connection=connection)
    except Exception as exc:
        SendRun.objects.filter(pk=run.pk).update(
            status=SendRun.Status.FAILED, finished_at=timezone.now(), message=str(exc)[:300]
        )
        raise
    SendRun.objects.filter(pk=run.pk).update(status=SendRun.Status.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    return run


def _round(
    *, plan: FollowUpPlan, run: SendRun, now: datetime.datetime, today, connection=None
) -> None:
    due = _due_leads(plan, today)
    expires = now + datetime.timedelta(days=plan.link_valid_days)
    # Invitations claimed but never sent (a failure, or a crash before the email) come back.
    retry = list(
        SurveyInvitation.objects.filter(
            status__in=[SurveyInvitation.Status.CLAIMED, SurveyInvitation.Status.FAILED],
            expires_at__gt=now,
            step__plan=plan,
        ).values_list("id", flat=True)
    )
    remind_before = now - datetime.timedelta(days=plan.reminder_after_days)
    reminders = list(
        SurveyInvitation.objects.filter(
            status=SurveyInvitation.Status.SENT,
            answered_at__isnull=True,
            reminders_sent__lt=MAX_REMINDERS,
            last_sent_at__lte=remind_before,
            expires_at__gt=now,
            step__plan=plan,
        ).values_list("id", flat=True)
    )
    total = 2 * sum(len(ids) for _s, ids in due) + len(retry) + len(reminders)
    SendRun.objects.filter(pk=run.pk).update(due=F("due") + total)
    run.due += total
    connection = connection or get_connection()
    connection.open()
    try:
        claimed: list[int] = []
        for step, lead_ids in due:
            for start in range(0, len(lead_ids), 500):
                chunk = Lead.objects.filter(pk__in=lead_ids[start : start + 500]).only(
                    "id", "supplier_id", "buyer_id"
                )
                leads = list(chunk)
                people = _recipients({x.supplier_id for x in leads} | {x.buyer_id for x in leads})
                for lead in leads:
                    for side, org_id in (
                        (Side.SUPPLIER, lead.supplier_id),
                        (Side.BUYER, lead.buyer_id),
                    ):
                        rec = people.get(org_id)
                        try:
                            with transaction.atomic():
                                inv = SurveyInvitation.objects.create(
                                    lead=lead,
                                    step=step,
                                    side=side,
                                    run=run,
                                    recipient_id=rec.user_id if rec else None,
                                    email=rec.email if rec else "",
                                    language=rec.language if rec else "",
                                    expires_at=expires,
                                    status=(
                                        SurveyInvitation.Status.CLAIMED
                                        if rec
                                        else SurveyInvitation.Status.NO_ADDRESS
                                    ),
                                )
                        except IntegrityError:
                            _bump(run, skipped=1)
                            continue
                        if rec:
                            claimed.append(inv.pk)
                        else:
                            _bump(run, skipped=1)
        _deliver(claimed + retry, 0, run, connection)
        _deliver(reminders, None, run, connection)
    finally:
        connection.close()


def _deliver(ids: list[int], number: int | None, run: SendRun, connection) -> None:
    """Send the survey (number 0) or the next reminder (number None) of each invitation."""
    pending = {"sent": 0, "reminded": 0, "failed": 0, "skipped": 0}
    for start in range(0, len(ids), 200):
        batch = (
            SurveyInvitation.objects.filter(pk__in=ids[start : start + 200])
            .select_related("lead__supplier", "lead__buyer")
            .order_by("id")
        )
        for inv in batch:
            lead = inv.lead
            other = lead.buyer if inv.side == Side.SUPPLIER else lead.supplier
            n = 0 if number == 0 else inv.reminders_sent + 1
            if n and (inv.answered_at or n > MAX_REMINDERS):
                pending["skipped"] += 1
                continue
            result = _send(
                invitation=inv, number=n, run=run, other_name=other.name, connection=connection
            )
            if result == "sent":
                pending["reminded" if n else "sent"] += 1
            else:
                pending[result] += 1
            if sum(pending.values()) >= PROGRESS_EVERY:
                _bump(run, **pending)
                pending = dict.fromkeys(pending, 0)
    _bump(run, **pending)
