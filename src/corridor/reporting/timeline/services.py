"""Changes to order timelines: start one, record a step (from either side, with a photo or a
document), add a shipment, cancel, and flag late steps. The other side is told of each update;
a late step is flagged to both sides and staff once."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.accounts.permissions import is_staff, member_org_ids
from corridor.reporting import hygiene, messages
from corridor.reporting.timeline import files
from corridor.reporting.timeline.models import (
    BORDER_STEPS,
    ORDER_STEPS,
    SEQUENCE,
    SHIPMENT_STEPS,
    OrderUpdate,
    Shipment,
    Step,
    Timeline,
    TimelineStep,
    TransportMode,
)

# --- Who --------------------------------------------------------------------------------------


def side_of(user, order) -> str | None:
    """ "supplier", "buyer" or "staff" for people who may post on the order, else None."""
    if not (user and user.is_authenticated):
        return None
    own = member_org_ids(user)
    if order.supplier_id in own:
        return OrderUpdate.Side.SUPPLIER
    if order.buyer_id in own:
        return OrderUpdate.Side.BUYER
    if is_staff(user):
        return OrderUpdate.Side.STAFF
    return None


def can_view_order(user, order) -> bool:
    return side_of(user, order) is not None


def _people(org_ids: list[int]):
    return (
        get_user_model()
        .objects.filter(memberships__organisation_id__in=org_ids, is_active=True)
        .distinct()
    )


# --- Start ------------------------------------------------------------------------------------


def _add_steps(timeline: Timeline, shipment: Shipment | None, kinds) -> None:
    TimelineStep.objects.bulk_create(
        TimelineStep(
            timeline=timeline,
            shipment=shipment,
            kind=kind,
            position=SEQUENCE.index(kind),
        )
        for kind in kinds
        if not (timeline.domestic and kind in BORDER_STEPS)
    )


@transaction.atomic
def timeline_for(order) -> Timeline:
    """The order's timeline, made on first use: placed on the order date, one shipment."""
    timeline = Timeline.objects.filter(order=order).first()
    if timeline is not None:
        return timeline
    timeline = Timeline.objects.create(
        order=order, domestic=order.supplier.country_id == order.buyer.country_id
    )
    _add_steps(timeline, None, [*ORDER_STEPS, Step.PAID])
    shipment = Shipment.objects.create(timeline=timeline, number=1)
    _add_steps(timeline, shipment, SHIPMENT_STEPS)
    TimelineStep.objects.filter(timeline=timeline, kind=Step.PLACED).update(
        expected_on=order.ordered_on, actual_on=order.ordered_on
    )
    return timeline


# --- Record a step ----------------------------------------------------------------------------


def _order_url(order) -> str:
    return reverse("reporting:order", args=[order.pk])


def _tell_other_side(order, update: OrderUpdate, step: TimelineStep | None, by) -> None:
    if update.side == OrderUpdate.Side.SUPPLIER:
        others = [order.buyer_id]
    elif update.side == OrderUpdate.Side.BUYER:
        others = [order.supplier_id]
    else:
        others = [order.supplier_id, order.buyer_id]
    for user in _people(others).exclude(pk=by.pk):
        messages.tell(
            user=user,
            kind="reporting.order_update",
            key=f"order-update-{update.pk}",
            subject=gettext_lazy("Order %(id)s was updated"),
            template="reporting/email/order_update.txt",
            context={"order": order, "update": update, "step": step, "id": order.pk},
            url=_order_url(order),
        )


def _flag_late(order, step: TimelineStep) -> bool:
    """Tell both sides and staff, once per step, that it is late."""
    if not step.is_late or step.late_flagged_at is not None:
        return False
    if not TimelineStep.objects.filter(pk=step.pk, late_flagged_at__isnull=True).update(
        late_flagged_at=timezone.now()
    ):
        return False
    people = list(_people([order.supplier_id, order.buyer_id]))
    people += list(get_user_model().objects.filter(is_staff=True, is_active=True))
    for user in {u.pk: u for u in people}.values():
        messages.tell(
            user=user,
            kind="reporting.order_late",
            key=f"order-late-{step.pk}",
            subject=gettext_lazy("Order %(id)s: a step is late"),
            template="reporting/email/order_late.txt",
            context={"order": order, "step": step, "id": order.pk},
            url=_order_url(order),
        )
    return True


@transaction.atomic
def step_record(
    *,
    order,
    by,
    kind: str = "",
    shipment_number: int | None = None,
    actual_on: datetime.date | None = None,
    expected_on: datetime.date | None = None,
    note: str = "",
    crossing=None,
    transport_mode: str = "",
    photo: UploadedFile | None = None,
    document: UploadedFile | None = None,
    source: str = "web",
) -> OrderUpdate:
    """Either side (or staff) marks a step done on `actual_on`, moves its expected date, or only
    adds a note, photo or document. The other side is told; a late step is flagged."""
    side = side_of(by, order)
    if side is None:
        raise PermissionDenied(_("Only the supplier, the buyer and staff update this order."))
    timeline = Timeline.objects.select_for_update().get(pk=timeline_for(order).pk)
    if timeline.is_cancelled:
        raise ValidationError(_("This order was cancelled."))
    errors: dict[str, str] = {}
    step = None
    today = timezone.localdate()
    if kind:
        if kind not in Step.values:
            errors["step"] = _("Unknown step.")
        elif timeline.domestic and kind in BORDER_STEPS:
            errors["step"] = _("A domestic order does not cross a border.")
        else:
            shipments = timeline.shipments.all()
            shipment = None
            if kind in SHIPMENT_STEPS:
                shipment = (
                    shipments.filter(number=shipment_number).first()
                    if shipment_number
                    else shipments.order_by("-number").first()
                )
                if shipment is None:
                    errors["shipment"] = _("No such shipment.")
            step = TimelineStep.objects.filter(
                timeline=timeline, kind=kind, shipment=shipment
            ).first()
    elif not (note.strip() or photo or document):
        errors["step"] = _("Choose a step, or add a note, a photo or a document.")
    if actual_on and actual_on > today:
        errors["actual_on"] = _("A step cannot be done in the future.")
    if actual_on and actual_on < order.ordered_on:
        errors["actual_on"] = _("That is before the order was placed.")
    if (actual_on or expected_on) and not kind:
        errors["step"] = _("Choose the step the date is for.")
    if transport_mode and transport_mode not in TransportMode.values:
        errors["transport_mode"] = _("Unknown transport.")
    note = hygiene.clean(note)
    if len(note) > 2000:
        errors["note"] = _("Keep the note under 2,000 characters.")
    stored_photo = stored_doc = None
    doc_name = ""
    try:
        if photo:
            stored_photo = files.prepare_photo(photo)
        if document:
            stored_doc, doc_name = files.prepare_document(document)
    except ValidationError as exc:
        errors["photo" if photo and stored_photo is None else "document"] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    if step is not None:
        if actual_on:
            step.actual_on = actual_on
        if expected_on:
            step.expected_on = expected_on
            step.late_flagged_at = None if not step.is_late else step.late_flagged_at
        step.save()
        if step.kind == Step.SHIPPED and (crossing or transport_mode):
            ship = step.shipment
            ship.crossing = crossing or ship.crossing
            ship.transport_mode = transport_mode or ship.transport_mode
            ship.save(update_fields=["crossing", "transport_mode"])
    update = OrderUpdate(
        timeline=timeline,
        step=step,
        by=by,
        side=side,
        note=note.strip(),
        source=source,
        document_name=doc_name,
    )
    if stored_photo is not None:
        update.photo.save(stored_photo.name, stored_photo, save=False)
    if stored_doc is not None:
        update.document.save(stored_doc.name, stored_doc, save=False)
    update.save()
    _tell_other_side(order, update, step, by)
    if step is not None:
        _flag_late(order, step)
    return update


@transaction.atomic
def shipment_add(*, order, by, quantity=None, crossing=None, transport_mode: str = "") -> Shipment:
    """Another part of the order is on its way: a new shipment with its own steps."""
    if side_of(by, order) is None:
        raise PermissionDenied(_("Only the supplier, the buyer and staff update this order."))
    timeline = Timeline.objects.select_for_update().get(pk=timeline_for(order).pk)
    if timeline.is_cancelled:
        raise ValidationError(_("This order was cancelled."))
    number = (timeline.shipments.aggregate(n=Max("number"))["n"] or 0) + 1
    shipment = Shipment.objects.create(
        timeline=timeline,
        number=number,
        quantity=quantity,
        crossing=crossing,
        transport_mode=transport_mode,
    )
    _add_steps(timeline, shipment, SHIPMENT_STEPS)
    return shipment


@transaction.atomic
def order_cancel(*, order, by, reason: str) -> Timeline:
    side = side_of(by, order)
    if side is None:
        raise PermissionDenied(_("Only the supplier, the buyer and staff cancel this order."))
    reason = hygiene.clean(reason)
    if not reason:
        raise ValidationError({"reason": _("Say why the order is cancelled.")})
    timeline = Timeline.objects.select_for_update().get(pk=timeline_for(order).pk)
    if timeline.is_cancelled:
        raise ValidationError(_("This order was already cancelled."))
    timeline.cancelled_at = timezone.now()
    timeline.cancel_reason = reason[:1000]
    timeline.cancelled_by = by
    timeline.save()
    update = OrderUpdate.objects.create(
        timeline=timeline, by=by, side=side, note=_("Cancelled: %(reason)s") % {"reason": reason}
    )
    _tell_other_side(order, update, None, by)
    return timeline


def steps_flag_late(*, today: datetime.date | None = None) -> int:
    """Nightly: flag each step whose expected date passed without it being done (once)."""
    today = today or timezone.localdate()
    late = TimelineStep.objects.filter(
        actual_on__isnull=True,
        expected_on__lt=today,
        late_flagged_at__isnull=True,
        timeline__cancelled_at__isnull=True,
    ).select_related("timeline__order")
    return sum(_flag_late(step.timeline.order, step) for step in late)


def report_link_order(*, report, order, by) -> None:
    """Record that a bottleneck report hit this order: only a side of the order may say so."""
    from corridor.reporting.timeline.models import OrderReport

    if side_of(by, order) is None:
        raise PermissionDenied(_("You are not a side of this order."))
    OrderReport.objects.update_or_create(report=report, defaults={"order": order})
