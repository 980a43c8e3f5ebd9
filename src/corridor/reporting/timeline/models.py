"""An order's shared timeline: steps with expected and actual dates, shipments (an order may
ship in parts), the updates either side posted (with an optional photo or document), and
cancellation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def private_storage():
    """Order photos and documents are between supplier and buyer: the one private storage of
    core.uploads (never under MEDIA_ROOT), served only through views.order_file, which checks
    who asks. Kept as a callable of this module because migration 0001 names it."""
    from corridor.core.uploads import get_private_storage

    return get_private_storage()


class Step(models.TextChoices):
    PLACED = "placed", _("Placed")
    IN_PRODUCTION = "in_production", _("In production")
    READY = "ready", _("Ready")
    SHIPPED = "shipped", _("Shipped")
    AT_BORDER = "at_border", _("At the border")
    CLEARED = "cleared", _("Cleared")
    DELIVERED = "delivered", _("Delivered")
    PAID = "paid", _("Paid")


ORDER_STEPS = (Step.PLACED, Step.IN_PRODUCTION, Step.READY)
SHIPMENT_STEPS = (Step.SHIPPED, Step.AT_BORDER, Step.CLEARED, Step.DELIVERED)
FINAL_STEPS = (Step.PAID,)
BORDER_STEPS = (Step.AT_BORDER, Step.CLEARED)
SEQUENCE = [*ORDER_STEPS, *SHIPMENT_STEPS, *FINAL_STEPS]


class TransportMode(models.TextChoices):
    ROAD = "road", _("Road")
    RAIL = "rail", _("Rail")
    RIVER = "river", _("River")
    SEA = "sea", _("Sea")
    AIR = "air", _("Air")


class Timeline(models.Model):
    """One per order. A domestic order (supplier and buyer in one country) has no border steps."""

    order = models.OneToOneField(
        "followup.Order", on_delete=models.CASCADE, related_name="timeline"
    )
    domestic = models.BooleanField(_("domestic order"), default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), max_length=1000, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=True) | ~models.Q(cancel_reason=""),
                name="timeline_cancel_needs_reason",
            )
        ]

    def __str__(self) -> str:
        return f"timeline of order {self.order_id}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class Shipment(models.Model):
    """A part of the order sent on its way (the first is made with the timeline)."""

    timeline = models.ForeignKey(Timeline, on_delete=models.CASCADE, related_name="shipments")
    number = models.PositiveSmallIntegerField()
    crossing = models.ForeignKey(
        "directory.BorderCrossing",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("border crossing"),
    )
    transport_mode = models.CharField(
        _("transport"), max_length=10, choices=TransportMode.choices, blank=True
    )
    quantity = models.DecimalField(
        _("quantity in this shipment"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["timeline", "number"], name="unique_shipment_number")
        ]

    def __str__(self) -> str:
        return f"shipment {self.number}"


class TimelineStep(models.Model):
    timeline = models.ForeignKey(Timeline, on_delete=models.CASCADE, related_name="steps")
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.CASCADE, related_name="steps"
    )
    kind = models.CharField(max_length=15, choices=Step.choices)
    position = models.PositiveSmallIntegerField(default=0)
    expected_on = models.DateField(_("expected"), null=True, blank=True)
    actual_on = models.DateField(_("done on"), null=True, blank=True)
    late_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "shipment__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["timeline", "kind"],
                condition=models.Q(shipment__isnull=True),
                name="unique_order_step",
            ),
            models.UniqueConstraint(
                fields=["timeline", "shipment", "kind"],
                condition=models.Q(shipment__isnull=False),
                name="unique_shipment_step",
            ),
            models.CheckConstraint(
                condition=models.Q(shipment__isnull=True)
                | models.Q(kind__in=[s.value for s in SHIPMENT_STEPS]),
                name="step_shipment_only_for_shipment_steps",
            ),
        ]
        indexes = [models.Index(fields=["actual_on", "expected_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.timeline.order_id})"

    @property
    def is_late(self) -> bool:
        """Done after the expected date, or not done and the expected date has passed."""
        if self.expected_on is None:
            return False
        if self.actual_on is not None:
            return self.actual_on > self.expected_on
        return self.expected_on < timezone.localdate()


class OrderUpdate(models.Model):
    """What one side posted: a step done or rescheduled, a note, a photo or a document."""

    class Side(models.TextChoices):
        SUPPLIER = "supplier", _("Supplier")
        BUYER = "buyer", _("Buyer")
        STAFF = "staff", _("Programme staff")

    timeline = models.ForeignKey(Timeline, on_delete=models.CASCADE, related_name="updates")
    step = models.ForeignKey(
        TimelineStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="updates"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    side = models.CharField(max_length=10, choices=Side.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    photo = models.ImageField(
        _("photo"), upload_to="orders/photos/%Y/", storage=private_storage, blank=True
    )
    document = models.FileField(
        _("document"), upload_to="orders/documents/%Y/", storage=private_storage, blank=True
    )
    document_name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, default="web")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"update {self.pk} of order {self.timeline.order_id}"


class OrderReport(models.Model):
    """A bottleneck report filed about an order ("the order it hit")."""

    report = models.OneToOneField(
        "reporting.BottleneckReport", on_delete=models.CASCADE, related_name="order_link"
    )
    order = models.ForeignKey(
        "followup.Order", on_delete=models.CASCADE, related_name="bottleneck_links"
    )

    def __str__(self) -> str:
        return f"report {self.report_id} on order {self.order_id}"
