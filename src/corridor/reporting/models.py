"""Value-chain bottleneck reports, their history and followers, and API idempotency records."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.directory.vocab import Currency


class Category(models.TextChoices):
    CUSTOMS = "customs", _("Customs or border procedure")
    TRANSPORT = "transport", _("Transport and logistics")
    STANDARDS = "standards", _("Standards, SPS and certification")
    PAYMENT = "payment", _("Payment and finance")
    INFORMATION = "information", _("Information")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed without resolution")


# The workflow: every other move is refused by services.report_set_status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.OPEN: (Status.ACKNOWLEDGED, Status.CLOSED),
    Status.ACKNOWLEDGED: (Status.IN_PROGRESS, Status.CLOSED),
    Status.IN_PROGRESS: (Status.RESOLVED, Status.CLOSED),
    Status.RESOLVED: (),
    Status.CLOSED: (),
}
ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED, Status.IN_PROGRESS)


class BottleneckReport(models.Model):
    """A problem an SME or buyer met on the way to a customer, and its handling.

    `description` is the reporter's own words: shown to the reporter, their organisation, the
    focal point and staff, never on the public page, its export or the public API.
    """

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    crossing = models.ForeignKey(
        "directory.BorderCrossing",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bottleneck_reports",
        verbose_name=_("border crossing"),
    )
    province = models.ForeignKey(
        "directory.Province",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("province"),
    )
    corridor = models.ForeignKey(
        "directory.EconomicCorridor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("economic corridor"),
    )
    hs_code = models.ForeignKey(
        "directory.HSCode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product (HS code)"),
    )
    # The first two digits of hs_code, kept for the public grouping and the analysis.
    hs_chapter = models.CharField(max_length=2, blank=True, editable=False)
    # "crossing|chapter|YYYY-MM": the group of the public page's three-report rule.
    public_group = models.CharField(max_length=40, editable=False, db_index=True)
    # Set on every report of a group once it holds three reports (services.report_create).
    # Groups only grow, so a flag set stays true; the public page reads it through an index.
    in_public_group = models.BooleanField(default=False, editable=False)
    description = models.TextField(_("what happened"), max_length=4000)
    occurred_on = models.DateField(_("when it happened"), default=timezone.localdate)
    delay_days = models.PositiveIntegerField(
        _("delay (days)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    cost_amount = models.DecimalField(
        _("cost incurred"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    cost_currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.USD
    )
    cost_usd = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="bottleneck_reports",
    )
    reporter_org = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bottleneck_reports",
        verbose_name=_("reported for"),
    )
    on_behalf = models.BooleanField(
        _("for an SME that is not named"),
        default=False,
        help_text=_("A business association reports for one of its members without naming it."),
    )
    source = models.CharField(max_length=10, default="web")  # web, api, demo

    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    focal_point = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_reports",
        limit_choices_to={"kind": "support"},
        verbose_name=_("focal point"),
    )
    deadline = models.DateField(_("answer due by"), null=True, blank=True)
    public_note = models.TextField(_("public note"), max_length=2000, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["status", "crossing"]),
            models.Index(fields=["in_public_group", "occurred_on"]),
            # Covers the analysis query: a date range read from the index alone.
            models.Index(
                fields=[
                    "occurred_on",
                    "crossing",
                    "category",
                    "hs_chapter",
                    "delay_days",
                    "cost_usd",
                    "status",
                    "created_at",
                    "closed_at",
                ],
                name="bottleneck_analysis_cover",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hs_chapter="") | models.Q(hs_code__isnull=False),
                name="bottleneck_chapter_needs_code",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True)
                | models.Q(status__in=["resolved", "closed"]),
                name="bottleneck_closed_at_only_when_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()} ({self.status})"

    @staticmethod
    def group_key(crossing_id: int | None, hs_chapter: str, occurred_on) -> str:
        return f"{crossing_id or '-'}|{hs_chapter or '-'}|{occurred_on:%Y-%m}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_overdue(self) -> bool:
        return bool(self.is_active and self.deadline and self.deadline < timezone.localdate())

    @property
    def light(self) -> str:
        """Traffic light of the public page: red waiting, amber being handled, green done."""
        if self.status == Status.OPEN:
            return "red"
        if self.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS):
            return "amber"
        if self.status == Status.RESOLVED:
            return "green"
        return "grey"

    @property
    def allowed_next(self) -> tuple[str, ...]:
        return TRANSITIONS[self.status]


class ReportEvent(models.Model):
    """One step of a report's history: a status change, an assignment or a new public note."""

    report = models.ForeignKey(BottleneckReport, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15, blank=True)
    action = models.CharField(max_length=20)  # created, status, assigned, note
    public_note = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.action} {self.from_status}→{self.to_status}"

    @property
    def from_label(self) -> str:
        return str(Status(self.from_status).label) if self.from_status in Status.values else ""

    @property
    def to_label(self) -> str:
        return str(Status(self.to_status).label) if self.to_status in Status.values else ""


class ReportFollower(models.Model):
    """Someone told of every change of a report (the reporter follows their own by default)."""

    report = models.ForeignKey(BottleneckReport, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_reports"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="unique_report_follower")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.report_id}"


class IdempotencyRecord(models.Model):
    """The first answer to an API post sent with an Idempotency-Key (see api/idempotency.py).

    Scoped to the token (or, for a browser session, to the user); kept 24 hours.
    """

    token = models.ForeignKey(
        "accounts.ApiToken", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and canonical body
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "key"],
                condition=models.Q(token__isnull=False),
                name="unique_idempotency_token_key",
            ),
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=models.Q(token__isnull=True),
                name="unique_idempotency_session_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.token_id or self.user_id}:{self.key}"
