"""Leads from a match to a deal, their orders, exchange rates, personal links and follow-up surveys."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from corridor.directory.vocab import Currency, Unit

# --- Leads ------------------------------------------------------------------------------------


class LeadKind(models.TextChoices):
    TRADE = "trade", _("Trade (supplier and buyer)")
    COLLABORATION = "collaboration", _("Collaboration (cluster or SME partners)")


class Stage(models.TextChoices):
    # Trade leads
    MET = "met", _("Met")
    CONTACT = "contact", _("In contact")
    SAMPLES = "samples", _("Samples or quotation sent")
    NEGOTIATING = "negotiating", _("Negotiating")
    FIRST_ORDER = "first_order", _("First order")
    REPEAT_ORDERS = "repeat_orders", _("Repeat orders")
    # Collaboration leads
    TALKS = "talks", _("Talks")
    AGREEMENT = "agreement", _("Agreement")
    JOINT_ACTIVITY = "joint_activity", _("Joint activity")
    # Both
    DROPPED = "dropped", _("Dropped")


# The stages of each kind, in the order a lead moves through them (dropped is off the path).
STAGES_BY_KIND: dict[str, list[str]] = {
    LeadKind.TRADE: [
        Stage.MET,
        Stage.CONTACT,
        Stage.SAMPLES,
        Stage.NEGOTIATING,
        Stage.FIRST_ORDER,
        Stage.REPEAT_ORDERS,
    ],
    LeadKind.COLLABORATION: [Stage.TALKS, Stage.AGREEMENT, Stage.JOINT_ACTIVITY],
}
FIRST_STAGE = {kind: stages[0] for kind, stages in STAGES_BY_KIND.items()}
# Stages that count as a deal in the indicators (see docs/followup.md).
DEAL_STAGES = {Stage.FIRST_ORDER, Stage.REPEAT_ORDERS, Stage.AGREEMENT, Stage.JOINT_ACTIVITY}


class DropReason(models.TextChoices):
    PRICE = "price", _("Price")
    QUALITY = "quality", _("Quality")
    QUANTITY = "quantity", _("Quantity")
    CERTIFICATION = "certification", _("Certification")
    LOGISTICS = "logistics", _("Logistics")
    PAYMENT = "payment", _("Payment")
    NO_REPLY = "no_reply", _("No reply")
    OTHER = "other", _("Other")


class LeadSource(models.TextChoices):
    CONNECTION = "connection", _("Accepted connection")
    REQUEST = "request", _("Sourcing request answered")
    MEETING = "meeting", _("Meeting at an event")
    MANUAL = "manual", _("Entered by staff")


class Side(models.TextChoices):
    SUPPLIER = "supplier", _("Supplier (or first partner)")
    BUYER = "buyer", _("Buyer (or second partner)")
    STAFF = "staff", _("Programme staff")


def _stage_matches_kind() -> models.Q:
    trade = [str(s) for s in STAGES_BY_KIND[LeadKind.TRADE]] + [Stage.DROPPED.value]
    collab = [str(s) for s in STAGES_BY_KIND[LeadKind.COLLABORATION]] + [Stage.DROPPED.value]
    return models.Q(kind=LeadKind.TRADE, stage__in=trade) | models.Q(
        kind=LeadKind.COLLABORATION, stage__in=collab
    )


class Lead(models.Model):
    """One supplier–buyer pair (or two partners) followed from a first contact to a deal.

    For a collaboration lead, "supplier" and "buyer" are the first and second partner."""

    kind = models.CharField(
        _("kind"), max_length=14, choices=LeadKind.choices, default=LeadKind.TRADE
    )
    supplier = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="leads_as_supplier",
        verbose_name=_("supplier"),
    )
    buyer = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="leads_as_buyer",
        verbose_name=_("buyer"),
    )
    product = models.CharField(_("product"), max_length=200, blank=True)
    hs_code = models.ForeignKey(
        "directory.HSCode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("HS code"),
    )
    # The HS chapter of hs_code, kept for grouping the dashboard without a join.
    hs_chapter = models.CharField(max_length=2, blank=True, db_index=True, editable=False)
    # The supplier's country, province and cluster (the supplier itself when it is a cluster),
    # copied here so that the dashboard groups and filters leads without joining organisations.
    # Set by the services that create leads; `services.lead_places_refresh` (daily task,
    # `backfill_leads`) follows a supplier that moved.
    supplier_country = models.CharField(max_length=2, blank=True, editable=False)
    supplier_province = models.CharField(max_length=12, blank=True, editable=False)
    supplier_cluster = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, db_index=True)
    drop_reason = models.CharField(
        _("reason dropped"), max_length=16, choices=DropReason.choices, blank=True
    )
    # Position (0, 1, ...) in STAGES_BY_KIND of the furthest stage ever reached, dropped or not:
    # the funnel counts it in one GROUP BY.
    furthest = models.PositiveSmallIntegerField(default=0, db_index=True, editable=False)
    drop_note = models.CharField(_("note"), max_length=300, blank=True)
    source = models.CharField(
        _("came from"), max_length=12, choices=LeadSource.choices, default=LeadSource.MANUAL
    )
    connection = models.ForeignKey(
        "connections.Connection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    sourcing_request = models.ForeignKey(
        "directory.SourcingRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    meeting = models.ForeignKey(
        "events.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    # The event the pair met at (kept when the meeting is deleted): dashboards group by it.
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    # The day the two sides first met or connected: follow-up steps count from it.
    started_on = models.DateField(_("first contact"), db_index=True)
    stage_changed_at = models.DateTimeField(_("stage changed"))
    # Set when the two sides' survey answers disagree and staff have not settled it yet.
    in_conflict = models.BooleanField(_("answers disagree"), default=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-stage_changed_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "stage"]),
            models.Index(fields=["started_on"]),
            # The dashboard's GROUP BYs read (group, stage) from these without touching rows.
            models.Index(fields=["supplier_country", "stage"], name="lead_country_stage"),
            models.Index(fields=["supplier_province", "stage"], name="lead_province_stage"),
            models.Index(fields=["supplier_cluster", "stage"], name="lead_cluster_stage"),
            models.Index(fields=["hs_chapter", "stage"], name="lead_chapter_stage"),
            models.Index(fields=["event", "stage"], name="lead_event_stage"),
            # Every column the dashboard reads: a filtered view is answered from this index
            # alone (by chapter, it seeks; otherwise it scans it without touching rows).
            models.Index(
                fields=[
                    "hs_chapter",
                    "supplier_country",
                    "supplier_province",
                    "supplier_cluster",
                    "event",
                    "started_on",
                    "kind",
                    "stage",
                    "furthest",
                    "drop_reason",
                ],
                name="lead_dashboard",
            ),
            # The headline GROUP BY reads this index in order: no sort.
            models.Index(fields=["kind", "stage", "furthest", "drop_reason"], name="lead_headline"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "buyer", "kind"], name="one_lead_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(supplier=models.F("buyer")), name="lead_not_with_itself"
            ),
            models.CheckConstraint(condition=_stage_matches_kind(), name="lead_stage_of_its_kind"),
            models.CheckConstraint(
                condition=models.Q(stage="dropped", drop_reason__gt="")
                | (~models.Q(stage="dropped") & models.Q(drop_reason="")),
                name="lead_drop_reason_iff_dropped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} ↔ {self.buyer} ({self.stage})"

    @property
    def stages(self) -> list[str]:
        return STAGES_BY_KIND[self.kind]


class LeadStageChange(models.Model):
    """The history of a lead: every stage change, when, by whom and from which side."""

    class Via(models.TextChoices):
        WEB = "web", _("Website")
        SURVEY = "survey", _("Survey link")
        PHONE = "phone", _("Phone call (entered by staff)")
        SETTLEMENT = "settlement", _("Settled by staff")
        API = "api", _("API")
        SYSTEM = "system", _("Automatic")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="changes")
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    drop_reason = models.CharField(max_length=16, choices=DropReason.choices, blank=True)
    changed_on = models.DateField(_("date"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    side = models.CharField(_("side"), max_length=8, choices=Side.choices)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.WEB)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["to_stage", "changed_on"])]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_stage or '-'} → {self.to_stage}"


# --- Orders and money -------------------------------------------------------------------------


class Order(models.Model):
    """A first or repeat order between a supplier and a buyer, usually of a lead. Staff or the
    supplier may enter one by hand without a lead. The reporting app adds its timeline."""

    class Kind(models.TextChoices):
        FIRST = "first", _("First order")
        REPEAT = "repeat", _("Repeat order")

    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    supplier = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="orders_as_supplier",
        verbose_name=_("supplier"),
    )
    buyer = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="orders_as_buyer",
        verbose_name=_("buyer"),
    )
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.FIRST)
    ordered_on = models.DateField(_("order date"), db_index=True)
    value = models.DecimalField(
        _("value"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.USD
    )
    volume = models.DecimalField(
        _("volume"),
        max_digits=16,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices, blank=True)
    product = models.CharField(_("product"), max_length=200, blank=True)
    hs_code = models.ForeignKey(
        "directory.HSCode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("HS code"),
    )
    # Copies for the dashboard, which groups and filters orders without joins: the supplier's
    # place (as on Lead), the HS chapter (the order's HS code, else its lead's) and the event of
    # its lead. Set by services.order_create; services.orders_refresh brings them up to date.
    supplier_country = models.CharField(max_length=2, blank=True, editable=False)
    supplier_province = models.CharField(max_length=12, blank=True, editable=False)
    supplier_cluster = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    hs_chapter = models.CharField(max_length=2, blank=True, editable=False)
    event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # The value in US dollars at the rate valid on the order date, stored when the order is
    # recorded and recomputed when staff change a rate (services.orders_convert): the dashboard
    # sums it in SQL. Null: no value, or no rate for the currency on that day ("not converted").
    value_usd = models.DecimalField(
        _("value (USD)"), max_digits=16, decimal_places=2, null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ordered_on", "-id"]
        indexes = [models.Index(fields=["currency", "ordered_on"], name="order_currency_day")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=0),
                name="order_value_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(volume__isnull=True) | models.Q(volume__gte=0),
                name="order_volume_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(supplier=models.F("buyer")), name="order_not_with_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.supplier} → {self.buyer} ({self.ordered_on})"


class ExchangeRate(models.Model):
    """How many US dollars one unit of `currency` was worth from `valid_from` on (staff keep
    this table; no internet needed). See corridor.core.money."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    valid_from = models.DateField(_("valid from"))
    usd_per_unit = models.DecimalField(
        _("US dollars per unit"),
        max_digits=20,
        decimal_places=10,
        validators=[MinValueValidator(0)],
    )
    note = models.CharField(_("source"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="one_rate_per_day"),
            models.CheckConstraint(condition=models.Q(usd_per_unit__gt=0), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.usd_per_unit} USD from {self.valid_from}"


# --- Personal links (corridor.core.links) -----------------------------------------------------


class PersonalLink(models.Model):
    """A no-login link that opens exactly one object for one purpose. Only the SHA-256 of the
    token is stored; the token itself is shown once (in the email or to staff to copy)."""

    purpose = models.CharField(max_length=40)
    token_hash = models.CharField(max_length=64, unique=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0)
    # Set when the purpose is fulfilled (a survey answered) or staff revoke it.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id", "purpose"])]

    def __str__(self) -> str:
        return f"{self.purpose} link to {self.content_type_id}:{self.object_id}"


# --- Follow-up plans and surveys --------------------------------------------------------------


class FollowUpPlan(models.Model):
    """When to ask the two sides of a lead how it goes: steps at month offsets from first contact.

    A plan is for one event (leads from its meetings) or for the programme (every other lead)."""

    name = models.CharField(_("name"), max_length=150)
    # Leads from meetings of this event follow this plan; empty: the programme-wide plan.
    event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followup_plans",
        help_text=_("Empty for the programme-wide plan."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    reminder_after_days = models.PositiveSmallIntegerField(_("remind after (days)"), default=5)
    link_valid_days = models.PositiveSmallIntegerField(_("links valid for (days)"), default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # One active programme-wide plan, and one active plan per event.
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True, event__isnull=True),
                name="one_active_programme_plan",
            ),
            models.UniqueConstraint(
                fields=["event"],
                condition=models.Q(is_active=True, event__isnull=False),
                name="one_active_plan_per_event",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FollowUpStep(models.Model):
    plan = models.ForeignKey(FollowUpPlan, on_delete=models.CASCADE, related_name="steps")
    offset_months = models.PositiveSmallIntegerField(_("months after first contact"))
    # A step removed from its plan after surveys went out at it: kept, with its surveys and
    # answers, but nothing new is sent at it (services.plan_save; docs/followup.md).
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["plan_id", "offset_months"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "offset_months"], name="unique_plan_step")
        ]

    def __str__(self) -> str:
        return f"{self.plan} +{self.offset_months}"


MAX_REMINDERS = 2


class SurveyInvitation(models.Model):
    """One side of a lead asked at one step. Unique per lead, step and side: claiming the row
    is what makes sending idempotent (a retried round finds it and sends nothing again)."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Being sent")
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        FAILED = "failed", _("Not delivered")
        NO_ADDRESS = "no_address", _("No email address")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="invitations")
    step = models.ForeignKey(FollowUpStep, on_delete=models.CASCADE, related_name="invitations")
    side = models.CharField(max_length=8, choices=Side.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.CLAIMED, db_index=True
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expires_at = models.DateTimeField()
    run = models.ForeignKey(
        "SendRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "step", "side"], name="one_invitation"),
            models.CheckConstraint(
                condition=models.Q(reminders_sent__lte=MAX_REMINDERS), name="at_most_two_reminders"
            ),
            models.CheckConstraint(
                condition=models.Q(side__in=["supplier", "buyer"]), name="invitation_side"
            ),
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id} step {self.step_id} {self.side}"


class SurveyAnswer(models.Model):
    """What one side answered at one step (by link, or by phone to staff)."""

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="answer"
    )
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="answers")
    side = models.CharField(max_length=8, choices=Side.choices)
    stage = models.CharField(_("where it stands"), max_length=16, choices=Stage.choices)
    drop_reason = models.CharField(
        _("why it stopped"), max_length=16, choices=DropReason.choices, blank=True
    )
    order_value = models.DecimalField(
        _("value of orders so far"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.USD
    )
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    via = models.CharField(
        max_length=10, choices=LeadStageChange.Via.choices, default=LeadStageChange.Via.SURVEY
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now_add=True)
    # Staff settled a disagreement between this answer and the other side's.
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [models.Index(fields=["lead", "side"])]

    def __str__(self) -> str:
        return f"{self.side} on lead {self.lead_id}: {self.stage}"


class SendRun(models.Model):
    """One pass of the follow-up sender (command, periodic task or staff button), with counts."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=20, default="command")  # command, task, staff
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    reminded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"send run {self.pk} ({self.status})"

    @property
    def done_count(self) -> int:
        return self.sent + self.reminded + self.failed + self.skipped

    @property
    def percent(self) -> int:
        return 100 if not self.due else min(100, round(100 * self.done_count / self.due))


class SurveyMessage(models.Model):
    """The log of what was sent: each survey email and reminder, to whom and when."""

    class Kind(models.TextChoices):
        SURVEY = "survey", _("Survey")
        REMINDER = "reminder", _("Reminder")

    invitation = models.ForeignKey(
        SurveyInvitation, on_delete=models.CASCADE, related_name="messages"
    )
    run = models.ForeignKey(
        SendRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(default=0)  # 0: the survey, 1 and 2: reminders
    to_email = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField(default=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            # A reminder number is sent once: the kind plus the count make the message unique.
            models.UniqueConstraint(
                fields=["invitation", "kind", "number"], name="one_message_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email}"
