"""Lead life cycle (creation from connections and requests, stage changes with history),
orders, exchange rates, survey answers and settling disagreements between the two sides."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts import permissions
from corridor.core import links
from corridor.core.money import RateTable
from corridor.directory.models import HSCode, Organisation, SourcingRequest
from corridor.followup import impact_cache
from corridor.followup.models import (
    FIRST_STAGE,
    STAGES_BY_KIND,
    DropReason,
    ExchangeRate,
    FollowUpPlan,
    FollowUpStep,
    Lead,
    LeadKind,
    LeadSource,
    LeadStageChange,
    Order,
    Side,
    Stage,
    SurveyAnswer,
    SurveyInvitation,
)

SURVEY_PURPOSE = "followup.survey"


class FollowupError(ValidationError):
    """A follow-up action refused, with a message to show."""


def _kind_for(a: Organisation, b: Organisation) -> str:
    """Trade between a seller and a buyer; collaboration between two clusters or two SMEs."""
    if a.kind == b.kind and a.kind in ("cluster", "sme"):
        return LeadKind.COLLABORATION
    return LeadKind.TRADE


def _orient(a: Organisation, b: Organisation, kind: str) -> tuple[Organisation, Organisation]:
    """(supplier, buyer): the buyer organisation is the buyer; partners by id so a pair is one."""
    if kind == LeadKind.COLLABORATION:
        return (a, b) if a.pk < b.pk else (b, a)
    if a.kind == "buyer" and b.kind != "buyer":
        return b, a
    return a, b


def supplier_place(supplier: Organisation) -> dict:
    """The supplier's country, province and cluster as kept on its leads (see Lead)."""
    return {
        "supplier_country": supplier.country_id or "",
        "supplier_province": supplier.province_id or "",
        "supplier_cluster_id": supplier.pk if supplier.kind == "cluster" else supplier.cluster_id,
    }


def lead_places_refresh(*, supplier_ids=None) -> int:
    """Copy each supplier's current country, province and cluster onto its leads where they
    differ (a supplier moved or joined a cluster); returns how many leads changed. Called by
    the daily follow-up task and `backfill_leads`; `supplier_ids` narrows it to a few."""
    kept = Lead.objects.order_by().values_list(
        "supplier_id", "supplier_country", "supplier_province", "supplier_cluster_id"
    )
    if supplier_ids is not None:
        kept = kept.filter(supplier_id__in=list(supplier_ids))
    kept = set(kept.distinct())
    suppliers = Organisation.objects.filter(pk__in={row[0] for row in kept}).only(
        "id", "kind", "country_id", "province_id", "cluster_id"
    )
    current = {s.pk: supplier_place(s) for s in suppliers}
    stale = {
        row[0] for row in kept if row[0] in current and row[1:] != tuple(current[row[0]].values())
    }
    changed = 0
    for supplier_id in sorted(stale):
        changed += Lead.objects.filter(supplier_id=supplier_id).update(**current[supplier_id])
    if stale:
        orders_refresh(supplier_ids=stale)
    if changed:
        impact_cache.changed()
    return changed


def lead_for_pair(
    *,
    a: Organisation,
    b: Organisation,
    source: str,
    started_on: datetime.date,
    by=None,
    connection=None,
    sourcing_request: SourcingRequest | None = None,
    meeting=None,
    product: str = "",
    hs_code: HSCode | None = None,
) -> tuple[Lead, bool]:
    """The lead between `a` and `b` (created at its first stage when missing): (lead, created).
    A second source for an existing pair only fills links that are still empty."""
    if a.pk == b.pk:
        raise FollowupError(_("A lead needs two different organisations."))
    kind = _kind_for(a, b)
    supplier, buyer = _orient(a, b, kind)
    existing = Lead.objects.filter(supplier=supplier, buyer=buyer, kind=kind).first()
    if existing is not None:
        return _fill(existing, connection, sourcing_request, product, hs_code, meeting), False
    if not product and sourcing_request is not None:
        product, hs_code = sourcing_request.title, sourcing_request.hs_code
    if not product and kind == LeadKind.TRADE:
        first = supplier.products.filter(is_active=True).select_related("hs_code").first()
        if first is not None:
            product, hs_code = first.name, first.hs_code
    now = timezone.now()
    stage = FIRST_STAGE[kind]
    try:
        with transaction.atomic():
            lead = Lead.objects.create(
                kind=kind,
                supplier=supplier,
                buyer=buyer,
                product=product[:200],
                hs_code=hs_code,
                hs_chapter=hs_code.code[:2] if hs_code else "",
                **supplier_place(supplier),
                stage=stage,
                source=source,
                connection=connection,
                sourcing_request=sourcing_request,
                meeting=meeting,
                event_id=meeting.event_id if meeting is not None else None,
                started_on=started_on,
                stage_changed_at=now,
                created_by=by if by is not None and by.is_authenticated else None,
            )
            LeadStageChange.objects.create(
                lead=lead,
                to_stage=stage,
                changed_on=started_on,
                reported_by=lead.created_by,
                side=Side.STAFF,
                via=LeadStageChange.Via.SYSTEM,
                note=str(LeadSource(source).label),
            )
    except IntegrityError:  # a concurrent call created the pair first
        return Lead.objects.get(supplier=supplier, buyer=buyer, kind=kind), False
    impact_cache.changed()
    return lead, True


def _fill(lead: Lead, connection, sourcing_request, product: str, hs_code, meeting=None) -> Lead:
    changed = []
    if meeting is not None and lead.meeting_id is None:
        lead.meeting, lead.event_id = meeting, meeting.event_id
        changed += ["meeting", "event"]
    if connection is not None and lead.connection_id is None:
        lead.connection = connection
        changed.append("connection")
    if sourcing_request is not None and lead.sourcing_request_id is None:
        lead.sourcing_request = sourcing_request
        changed.append("sourcing_request")
    if product and not lead.product:
        lead.product, lead.hs_code = product[:200], hs_code
        lead.hs_chapter = hs_code.code[:2] if hs_code else ""
        changed += ["product", "hs_code", "hs_chapter"]
    if changed:
        lead.save(update_fields=[*changed, "updated_at"])
        orders_refresh(lead_ids=[lead.pk])  # its orders keep its event and HS chapter
        impact_cache.changed()
    return lead


def lead_from_connection(*, connection) -> tuple[Lead, bool]:
    """Called when a connection is accepted (and by `backfill_leads` for older ones)."""
    on = timezone.localdate(connection.responded_at) if connection.responded_at else None
    return lead_for_pair(
        a=connection.from_org,
        b=connection.to_org,
        source=LeadSource.CONNECTION,
        started_on=on or timezone.localdate(),
        by=connection.responded_by,
        connection=connection,
    )


def lead_from_meeting(*, meeting) -> list[Lead]:
    """A held meeting where either side wants to follow up: a lead for each pair at the table
    (called by events.services.meeting_feedback, and by `backfill_leads`)."""
    from corridor.events.models import Meeting
    from corridor.events.services import meeting_outcome

    meeting = (
        Meeting.objects.select_related("slot", "event")
        .prefetch_related("seats__registration__organisation", "outcomes")
        .get(pk=meeting.pk)
    )
    if meeting_outcome(meeting) != Meeting.Outcome.HELD:
        return []
    if not any(o.wants_follow_up for o in meeting.outcomes.all()):
        return []
    orgs = [seat.registration.organisation for seat in meeting.seats.all()]
    on = timezone.localdate(meeting.slot.starts_at) if meeting.slot_id else timezone.localdate()
    leads = []
    for i, a in enumerate(orgs):
        for b in orgs[i + 1 :]:
            if a.pk != b.pk:
                lead, _new = lead_for_pair(
                    a=a, b=b, source=LeadSource.MEETING, started_on=on, meeting=meeting
                )
                leads.append(lead)
    return leads


def lead_from_request_answer(
    *, request: SourcingRequest, supplier: Organisation, by
) -> tuple[Lead, bool]:
    """A supplier answered a buyer's sourcing request: a lead on the requested product."""
    if not permissions.can_act_for_org(by, supplier):
        raise FollowupError(_("You do not act for %(org)s.") % {"org": supplier.name})
    return lead_for_pair(
        a=supplier,
        b=request.buyer,
        source=LeadSource.REQUEST,
        started_on=timezone.localdate(),
        by=by,
        sourcing_request=request,
        product=request.title,
        hs_code=request.hs_code,
    )


def side_of(user, lead: Lead) -> str:
    """Which side `user` speaks for on `lead` (staff when they act for neither)."""
    own = permissions.member_org_ids(user)
    direct = set(user.memberships.values_list("organisation_id", flat=True))
    if lead.supplier_id in direct:
        return Side.SUPPLIER
    if lead.buyer_id in direct:
        return Side.BUYER
    if permissions.is_staff(user):
        return Side.STAFF
    if lead.supplier_id in own:  # a coordinator for a member
        return Side.SUPPLIER
    return Side.BUYER


def _check_stage(lead: Lead, stage: str, drop_reason: str) -> None:
    if stage != Stage.DROPPED and stage not in STAGES_BY_KIND[lead.kind]:
        raise FollowupError(
            _("“%(stage)s” is not a stage of a %(kind)s lead.")
            % {"stage": stage, "kind": lead.get_kind_display()}
        )
    if stage == Stage.DROPPED and drop_reason not in DropReason.values:
        raise FollowupError(_("Say why the lead was dropped."))
    if stage != Stage.DROPPED and drop_reason:
        raise FollowupError(_("A reason is only given when a lead is dropped."))


@transaction.atomic
def lead_set_stage(
    *,
    lead: Lead,
    stage: str,
    by,
    side: str | None = None,
    drop_reason: str = "",
    note: str = "",
    on: datetime.date | None = None,
    via: str = LeadStageChange.Via.WEB,
    check: bool = True,
) -> Lead:
    """Move `lead` to `stage`, keeping the change in its history. `check=False` is for the
    survey and phone paths, whose permission comes from the link or from staff."""
    if check and not permissions.can_update_lead(by, lead):
        raise FollowupError(_("You cannot update this lead."))
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    _check_stage(lead, stage, drop_reason)
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise FollowupError(_("The date of a change cannot be in the future."))
    if lead.stage == stage and lead.drop_reason == drop_reason:
        return lead
    if side is None:
        side = side_of(by, lead) if by is not None else Side.STAFF
    LeadStageChange.objects.create(
        lead=lead,
        from_stage=lead.stage,
        to_stage=stage,
        drop_reason=drop_reason,
        changed_on=on,
        reported_by=by if by is not None and by.is_authenticated else None,
        side=side,
        via=via,
        note=note[:300],
    )
    lead.stage = stage
    if stage in STAGES_BY_KIND[lead.kind]:
        lead.furthest = max(lead.furthest, STAGES_BY_KIND[lead.kind].index(stage))
    lead.drop_reason = drop_reason
    lead.drop_note = note[:300] if stage == Stage.DROPPED else ""
    lead.stage_changed_at = timezone.now()
    lead.save(
        update_fields=[
            "stage",
            "furthest",
            "drop_reason",
            "drop_note",
            "stage_changed_at",
            "updated_at",
        ]
    )
    impact_cache.changed()
    return lead


@transaction.atomic
def lead_update_product(*, lead: Lead, by, product: str, hs_code: HSCode | None) -> Lead:
    if not permissions.can_update_lead(by, lead):
        raise FollowupError(_("You cannot update this lead."))
    lead.product = product.strip()[:200]
    lead.hs_code = hs_code
    lead.hs_chapter = hs_code.code[:2] if hs_code else ""
    lead.save(update_fields=["product", "hs_code", "hs_chapter", "updated_at"])
    orders_refresh(lead_ids=[lead.pk])
    impact_cache.changed()
    return lead


# --- Orders and rates -------------------------------------------------------------------------


@transaction.atomic
def order_create(
    *,
    by,
    supplier: Organisation,
    buyer: Organisation,
    ordered_on: datetime.date,
    value: Decimal | None,
    currency: str,
    lead: Lead | None = None,
    volume: Decimal | None = None,
    unit: str = "",
    product: str = "",
    hs_code: HSCode | None = None,
) -> Order:
    """Record an order: staff for anyone, a supplier for itself. Its lead (if any) moves to
    first or repeat orders."""
    if not (permissions.is_staff(by) or permissions.can_act_for_org(by, supplier)):
        raise FollowupError(_("Only the supplier or programme staff can record an order."))
    if supplier.pk == buyer.pk:
        raise FollowupError(_("An order needs two different organisations."))
    if lead is not None and (lead.supplier_id, lead.buyer_id) != (supplier.pk, buyer.pk):
        raise FollowupError(_("This order is not between the two sides of the lead."))
    if value is not None and value < 0:
        raise FollowupError(_("An order's value cannot be negative."))
    if ordered_on > timezone.localdate():
        raise FollowupError(_("The order date cannot be in the future."))
    previous = Order.objects.filter(supplier=supplier, buyer=buyer).exists()
    order = Order.objects.create(
        lead=lead,
        supplier=supplier,
        buyer=buyer,
        kind=Order.Kind.REPEAT if previous else Order.Kind.FIRST,
        ordered_on=ordered_on,
        value=value,
        currency=currency,
        value_usd=RateTable.load([currency]).to_usd(value, currency, ordered_on),
        volume=volume,
        unit=unit,
        product=product[:200] or (lead.product if lead else ""),
        hs_code=hs_code or (lead.hs_code if lead else None),
        created_by=by,
        **order_copies(
            supplier=supplier,
            lead=lead,
            hs_code_id=hs_code.pk if hs_code else (lead.hs_code_id if lead else None),
        ),
    )
    if lead is not None and lead.kind == LeadKind.TRADE:
        target = Stage.REPEAT_ORDERS if previous else Stage.FIRST_ORDER
        if lead.stage != Stage.REPEAT_ORDERS:
            lead_set_stage(lead=lead, stage=target, by=by, on=ordered_on, check=False)
    impact_cache.changed()
    return order


@transaction.atomic
def rate_set(
    *, by, currency: str, valid_from: datetime.date, usd_per_unit: Decimal, note: str = ""
) -> ExchangeRate:
    if not permissions.can_manage_rates(by):
        raise FollowupError(_("Only programme staff maintain exchange rates."))
    if usd_per_unit is None or usd_per_unit <= 0:
        raise FollowupError(_("A rate must be more than zero."))
    rate, _created = ExchangeRate.objects.update_or_create(
        currency=currency,
        valid_from=valid_from,
        defaults={"usd_per_unit": usd_per_unit, "note": note[:200], "created_by": by},
    )
    orders_refresh(currency=currency, since=valid_from)
    return rate


@transaction.atomic
def rate_delete(*, by, rate: ExchangeRate) -> None:
    if not permissions.can_manage_rates(by):
        raise FollowupError(_("Only programme staff maintain exchange rates."))
    currency, since = rate.currency, rate.valid_from
    rate.delete()
    orders_refresh(currency=currency, since=since)


def order_copies(*, supplier: Organisation, lead: Lead | None, hs_code_id: str | None) -> dict:
    """What an order keeps for the dashboard (see Order): its supplier's place, its HS chapter
    (its own HS code, else its lead's) and its lead's event."""
    chapter = hs_code_id[:2] if hs_code_id else (lead.hs_chapter if lead is not None else "")
    return {
        **supplier_place(supplier),
        "hs_chapter": chapter,
        "event_id": lead.event_id if lead is not None else None,
    }


ORDER_COPIES = [
    "value_usd",
    "supplier_country",
    "supplier_province",
    "supplier_cluster_id",
    "hs_chapter",
    "event_id",
]


def orders_refresh(
    *,
    currency: str | None = None,
    since: datetime.date | None = None,
    lead_ids=None,
    supplier_ids=None,
) -> int:
    """Bring the copies that orders keep for the dashboard up to date (their value in US dollars,
    supplier place, HS chapter, event) for the orders of one currency dated on or after `since`
    (a rate was added, changed or removed), of some leads or suppliers, or all; returns how many
    orders changed. Python converts, so that it rounds exactly like core.money.to_usd."""
    orders = Order.objects.order_by("id")
    if currency is not None:
        orders = orders.filter(currency=currency)
    if since is not None:
        orders = orders.filter(ordered_on__gte=since)
    if lead_ids is not None:
        orders = orders.filter(lead_id__in=list(lead_ids))
    if supplier_ids is not None:
        orders = orders.filter(supplier_id__in=list(supplier_ids))
    table = RateTable.load(None if currency is None else [currency])
    rows = orders.values_list(
        "id",
        "value",
        "currency",
        "ordered_on",
        "hs_code_id",
        "supplier__kind",
        "supplier__country_id",
        "supplier__province_id",
        "supplier__cluster_id",
        "supplier_id",
        "lead__hs_chapter",
        "lead__event_id",
        *ORDER_COPIES,
    )
    stale = []
    for row in rows.iterator(chunk_size=5000):
        pk, value, cur, on, hs, kind, country, province, cluster, sid, lead_chapter, event = row[
            :12
        ]
        wanted = (
            table.to_usd(value, cur, on),
            country or "",
            province or "",
            sid if kind == "cluster" else cluster,
            hs[:2] if hs else (lead_chapter or ""),
            event,
        )
        if wanted != tuple(row[12:]):
            stale.append((*wanted, pk))
    # One prepared UPDATE run for each order: bulk_update builds a CASE per row and field in
    # Python, which took minutes for 10,000 orders.
    quote = connection.ops.quote_name
    columns = [Order._meta.get_field(name).column for name in ORDER_COPIES]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model only
        quote(Order._meta.db_table),
        ", ".join(f"{quote(c)} = %s" for c in columns),
        quote("id"),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(stale), 1000):
            cursor.executemany(sql, stale[start : start + 1000])
    if stale:
        impact_cache.changed()
    return len(stale)


# --- Survey answers and disagreements ---------------------------------------------------------


def _other(side: str) -> str:
    return Side.BUYER if side == Side.SUPPLIER else Side.SUPPLIER


@transaction.atomic
def survey_answer(
    *,
    invitation: SurveyInvitation,
    stage: str,
    drop_reason: str = "",
    order_value: Decimal | None = None,
    currency: str = "USD",
    comment: str = "",
    entered_by=None,
) -> SurveyAnswer:
    """Record one side's answer (from its link, or by phone when `entered_by` is staff).

    The lead moves to the answered stage unless the other side answered the same step with
    another stage: then the lead is marked in conflict for staff to settle."""
    invitation = (
        SurveyInvitation.objects.select_for_update().select_related("lead").get(pk=invitation.pk)
    )
    if entered_by is not None and not permissions.can_manage_followup(entered_by):
        raise FollowupError(_("Only programme staff enter answers taken by phone."))
    if invitation.answered_at is not None:
        raise FollowupError(_("This survey was already answered. Thank you!"))
    lead = invitation.lead
    _check_stage(lead, stage, drop_reason)
    if order_value is not None and order_value < 0:
        raise FollowupError(_("The value cannot be negative."))
    via = LeadStageChange.Via.PHONE if entered_by is not None else LeadStageChange.Via.SURVEY
    answer = SurveyAnswer.objects.create(
        invitation=invitation,
        lead=lead,
        side=invitation.side,
        stage=stage,
        drop_reason=drop_reason,
        order_value=order_value,
        currency=currency,
        comment=comment.strip()[:1000],
        via=via,
        entered_by=entered_by,
    )
    now = timezone.now()
    invitation.answered_at = now
    invitation.status = SurveyInvitation.Status.ANSWERED
    invitation.save(update_fields=["answered_at", "status"])
    links.links_close(purpose=SURVEY_PURPOSE, target=invitation)
    other = (
        SurveyAnswer.objects.filter(
            invitation__lead=lead, invitation__step=invitation.step_id, side=_other(invitation.side)
        )
        .order_by("-id")
        .first()
    )
    if other is not None and (other.stage, other.drop_reason) != (stage, drop_reason):
        Lead.objects.filter(pk=lead.pk).update(in_conflict=True)
        return answer
    lead_set_stage(
        lead=lead,
        stage=stage,
        by=entered_by or invitation.recipient,
        side=invitation.side,
        drop_reason=drop_reason,
        note=comment[:300],
        via=via,
        check=False,
    )
    return answer


@transaction.atomic
def conflict_settle(*, lead: Lead, by, stage: str, drop_reason: str = "", note: str = "") -> Lead:
    """Staff decide where a lead stands when the two sides' answers disagree."""
    if not permissions.can_manage_followup(by):
        raise FollowupError(_("Only programme staff settle a disagreement."))
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not lead.in_conflict:
        raise FollowupError(_("The two sides of this lead do not disagree."))
    lead = lead_set_stage(
        lead=lead,
        stage=stage,
        by=by,
        side=Side.STAFF,
        drop_reason=drop_reason,
        note=note,
        via=LeadStageChange.Via.SETTLEMENT,
        check=False,
    )
    now = timezone.now()
    SurveyAnswer.objects.filter(lead=lead, settled_at__isnull=True).update(settled_at=now)
    Lead.objects.filter(pk=lead.pk).update(in_conflict=False)
    lead.in_conflict = False
    return lead


# --- Follow-up plans --------------------------------------------------------------------------

MAX_STEPS = 12
MAX_STEP_MONTHS = 60  # five years after first contact
MAX_REMINDER_DAYS = 60
MAX_LINK_DAYS = 365


def plan_check_steps(steps: list[int]) -> None:
    """Steps are months after first contact: at least one, at most MAX_STEPS, each within
    0..MAX_STEP_MONTHS, written in increasing order, none twice."""
    if not steps:
        raise FollowupError(_("Give at least one step."))
    if len(steps) > MAX_STEPS:
        raise FollowupError(_("At most %(n)s steps.") % {"n": MAX_STEPS})
    for months in steps:
        if not 0 <= months <= MAX_STEP_MONTHS:
            raise FollowupError(
                _("A step is between 0 and %(max)s months after first contact.")
                % {"max": MAX_STEP_MONTHS}
            )
    if len(set(steps)) != len(steps):
        raise FollowupError(_("A step is given twice."))
    if steps != sorted(steps):
        raise FollowupError(_("Write the steps in increasing order."))


@transaction.atomic
def plan_save(
    *,
    by,
    plan: FollowUpPlan | None = None,
    name: str,
    event=None,
    steps: list[int],
    is_active: bool = True,
    reminder_after_days: int = 5,
    link_valid_days: int = 30,
) -> FollowUpPlan:
    """Create a plan (`plan` None) or change one. What a change does to surveys (the rule is
    in docs/followup.md, "Changing a plan"): a step kept keeps its surveys; a new step is asked
    from the next round on; a removed step at which surveys went out is retired (its surveys,
    links, reminders and answers are kept, nothing new is sent at it) and one never used is
    deleted; the scope (event or programme) is fixed once surveys went out."""
    if not permissions.can_manage_followup(by):
        raise FollowupError(_("Only programme staff change follow-up plans."))
    name = name.strip()[:150]
    if not name:
        raise FollowupError(_("Give the plan a name."))
    plan_check_steps(steps)
    if not 1 <= reminder_after_days <= MAX_REMINDER_DAYS:
        raise FollowupError(_("Remind after 1 to %(max)s days.") % {"max": MAX_REMINDER_DAYS})
    if not 1 <= link_valid_days <= MAX_LINK_DAYS:
        raise FollowupError(_("Links are valid for 1 to %(max)s days.") % {"max": MAX_LINK_DAYS})
    if link_valid_days <= reminder_after_days:
        raise FollowupError(
            _(
                "Links must stay valid longer than the wait before a reminder, or no reminder "
                "could ever be answered."
            )
        )
    used_steps: set[int] = set()
    if plan is None:
        plan = FollowUpPlan(created_by=by if by.is_authenticated else None)
    else:
        plan = FollowUpPlan.objects.select_for_update().get(pk=plan.pk)
        used_steps = set(
            SurveyInvitation.objects.filter(step__plan=plan)
            .order_by()
            .values_list("step_id", flat=True)
            .distinct()
        )
        new_event_id = event.pk if event is not None else None
        if used_steps and plan.event_id != new_event_id:
            raise FollowupError(
                _("Surveys were sent under this plan: its event cannot change. Make a new plan.")
            )
    if is_active:
        clash = FollowUpPlan.objects.filter(is_active=True, event=event)
        if plan.pk:
            clash = clash.exclude(pk=plan.pk)
        if clash.exists():
            raise FollowupError(
                _("Another active plan covers this event.")
                if event is not None
                else _("Another active plan covers the programme.")
            )
    plan.name = name
    plan.event = event
    plan.is_active = is_active
    plan.reminder_after_days = reminder_after_days
    plan.link_valid_days = link_valid_days
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as exc:  # a concurrent save activated a plan of the same scope
        raise FollowupError(_("Another active plan covers the same leads.")) from exc
    now = timezone.now()
    existing = {step.offset_months: step for step in plan.steps.all()}
    for months, step in existing.items():
        if months in steps:
            if step.retired_at is not None:
                step.retired_at = None
                step.save(update_fields=["retired_at"])
        elif step.pk in used_steps:
            if step.retired_at is None:
                step.retired_at = now
                step.save(update_fields=["retired_at"])
        else:
            step.delete()
    FollowUpStep.objects.bulk_create(
        [FollowUpStep(plan=plan, offset_months=m) for m in steps if m not in existing]
    )
    return plan


@transaction.atomic
def plan_delete(*, by, plan: FollowUpPlan) -> None:
    """Only a plan that never sent a survey can go (its surveys and answers are the history);
    one that did is deactivated instead."""
    if not permissions.can_manage_followup(by):
        raise FollowupError(_("Only programme staff change follow-up plans."))
    if SurveyInvitation.objects.filter(step__plan=plan).exists():
        raise FollowupError(
            _("Surveys were sent under this plan: deactivate it instead, to keep their answers.")
        )
    plan.delete()
