"""Capacity building: programmes, their modules and sessions, who attended, before/after
self-assessments, and the milestones a cluster reaches on its way to an export consortium."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from corridor.training.files import private_storage


class Topic(models.TextChoices):
    EXPORT = "export", _("Export procedures")
    STANDARDS = "standards", _("Standards and certification")
    PRODUCT = "product", _("Product development")
    CLUSTER = "cluster", _("Cluster management")
    OTHER = "other", _("Other")


class Programme(models.Model):
    """A training programme, usually paid for by one funder over a few months or years."""

    name = models.CharField(_("name"), max_length=200)
    funder = models.CharField(_("funder"), max_length=200, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="programme_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Module(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="modules", verbose_name=_("programme")
    )
    topic = models.CharField(_("topic"), max_length=12, choices=Topic.choices)
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=8, default="en")
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(999)],
    )
    # Checked by corridor.training.files.prepare_material; stored privately, served by a view.
    material = models.FileField(
        _("material"), upload_to="training/materials/%Y/", storage=private_storage, blank=True
    )
    material_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["programme_id", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="module_hours_positive")
        ]

    def __str__(self) -> str:
        return self.title


class Session(models.Model):
    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("module")
    )
    date = models.DateField(_("date"), db_index=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    online = models.BooleanField(_("online"), default=False)
    trainers = models.CharField(_("trainers"), max_length=300, blank=True)
    event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_sessions",
        verbose_name=_("part of the event"),
    )

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.module} ({self.date})"


class Attendance(models.Model):
    """One person at one session, for one organisation."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    person_name = models.CharField(_("name"), max_length=200)
    # The folded name: the same person typed twice (case, accents, spaces) is one attendance.
    person_key = models.CharField(max_length=200, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_attendances",
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="training_attendances",
        verbose_name=_("organisation"),
    )
    # The certificate's language (empty: the user's, else English).
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person_key"], name="one_attendance_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_name} @ {self.session}"


class AssessmentQuestion(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["module_id", "order", "id"]

    def __str__(self) -> str:
        return self.text


class Phase(models.TextChoices):
    BEFORE = "before", _("Before the training")
    AFTER = "after", _("After the training")


class AssessmentResponse(models.Model):
    """A participant's self-assessment before or after a module: {question id: 1..5}."""

    attendance = models.ForeignKey(Attendance, on_delete=models.CASCADE, related_name="responses")
    phase = models.CharField(max_length=6, choices=Phase.choices)
    answers = models.JSONField(default=dict)
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attendance_id", "phase"]
        constraints = [
            models.UniqueConstraint(fields=["attendance", "phase"], name="one_response_per_phase")
        ]

    def __str__(self) -> str:
        return f"{self.attendance} ({self.phase})"


class MilestoneKind(models.TextChoices):
    FORMED = "formed", _("Cluster formed")
    COORDINATOR = "coordinator", _("Coordinator named")
    CONSORTIUM = "consortium", _("Export consortium formed")
    BRAND = "brand", _("Joint brand")
    JOINT_EXPORT = "joint_export", _("First joint export")
    CERTIFICATION = "certification", _("Certification obtained")
    TRADE_FAIR = "trade_fair", _("First trade fair")


class ClusterMilestone(models.Model):
    cluster = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="milestones",
        limit_choices_to={"kind": "cluster"},
        verbose_name=_("cluster"),
    )
    kind = models.CharField(_("milestone"), max_length=14, choices=MilestoneKind.choices)
    date = models.DateField(_("date"))
    evidence = models.TextField(_("evidence"), max_length=2000, blank=True)
    evidence_file = models.FileField(
        _("evidence document"),
        upload_to="training/milestones/%Y/",
        storage=private_storage,
        blank=True,
    )
    evidence_file_name = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["cluster", "date"])]

    def __str__(self) -> str:
        return f"{self.cluster}: {self.get_kind_display()} ({self.date})"
