"""Matchmaking events: days, sessions, slots, tables, registrations, requests, meetings, outcomes.

No participant and no table is ever in two meetings of one slot: `MeetingSeat` copies the slot of
its meeting onto each participant's row, and unique constraints on (registration, slot) and
(slot, table) make the database refuse a double booking whatever the code above it does.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _token() -> str:
    return secrets.token_urlsafe(24)


class Event(models.Model):
    """A business-matching forum organised by programme staff (and optionally its own organisers)."""

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        REGISTRATION_OPEN = "registration_open", _("Registration open")
        REGISTRATION_CLOSED = "registration_closed", _("Registration closed")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(_("description"), blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Bangkok")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    registration_deadline = models.DateTimeField(_("registration deadline"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity (organisations)"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    requires_approval = models.BooleanField(_("registrations need approval"), default=False)
    # Meeting requests may be sent until then; empty: until scheduling starts.
    requests_close_at = models.DateTimeField(_("requests close at"), null=True, blank=True)
    request_expiry_days = models.PositiveSmallIntegerField(
        _("days before an unanswered request expires"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    tables = models.PositiveIntegerField(_("number of tables"), default=10)
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organised_events"
    )
    # Raised by every change to the schedule; a staff change made against an older version is
    # refused (optimistic locking).
    schedule_version = models.PositiveIntegerField(default=0)
    schedule_published_at = models.DateTimeField(null=True, blank=True)
    scheduling_started_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def connection_source(self) -> str:
        return f"event:{self.pk}"


class Day(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["event", "date"], name="unique_event_day")]

    def __str__(self) -> str:
        return f"{self.event} {self.date}"


class Session(models.Model):
    """A business-matching session: slots of `slot_minutes` separated by `pause_minutes`."""

    day = models.ForeignKey(Day, on_delete=models.CASCADE, related_name="sessions")
    name = models.CharField(_("name"), max_length=100, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=20, validators=[MinValueValidator(5)]
    )
    pause_minutes = models.PositiveSmallIntegerField(_("pause between slots (minutes)"), default=5)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after"
            )
        ]

    def __str__(self) -> str:
        return self.name or str(self.starts_at)


class Slot(models.Model):
    """One meeting slot (UTC). `key` is the id given to the scheduler engine."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="slots")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    key = models.CharField(max_length=20)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "key"], name="unique_slot_key"),
            models.UniqueConstraint(fields=["event", "starts_at"], name="unique_slot_start"),
        ]

    def __str__(self) -> str:
        return self.key


class Registration(models.Model):
    """An organisation taking part in an event."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="event_registrations"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    offers = models.TextField(_("what we offer at this event"), max_length=2000, blank=True)
    looks_for = models.TextField(_("what we look for at this event"), max_length=2000, blank=True)
    offer_hs_codes = models.ManyToManyField(
        "directory.HSCode", blank=True, related_name="+", verbose_name=_("HS codes offered")
    )
    wanted_hs_codes = models.ManyToManyField(
        "directory.HSCode", blank=True, related_name="+", verbose_name=_("HS codes wanted")
    )
    max_meetings = models.PositiveSmallIntegerField(
        _("at most this many meetings"), null=True, blank=True
    )
    unavailable_slots = models.ManyToManyField(
        Slot, blank=True, related_name="+", verbose_name=_("unavailable slots")
    )
    # An unpublished organisation is shown to the other participants only once it agrees.
    visible_to_participants = models.BooleanField(
        _("show our profile to the other participants"), default=True
    )
    # Private calendar feed: whoever has the URL reads this agenda (revocable by a new token).
    calendar_token = models.CharField(max_length=64, unique=True, default=_token)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Any saved change (text, HS codes): part of the suggestion indexes' version.
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "What we look for", embedded once by the suggestion task (`events.suggest`), and the
    # digest of the text it was made from (a changed text is embedded again). Its HS guess
    # (the suggester's, as `directory.Product.hs_guess`) is made and stored with the vector.
    looks_for_vector = models.BinaryField(null=True, blank=True, editable=False)
    looks_for_vector_of = models.CharField(max_length=16, blank=True, editable=False)
    looks_for_guess = models.BinaryField(null=True, blank=True, editable=False)
    # What it offers, HS-guessed by the same task from the text of its suggestion entry when
    # its organisation's products give no guess, and the digest of that text (vector not kept).
    offers_guess = models.BinaryField(null=True, blank=True, editable=False)
    offers_guess_of = models.CharField(max_length=16, blank=True, editable=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "organisation"],
                condition=~models.Q(status="cancelled"),
                name="unique_live_registration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} @ {self.event}"

    @property
    def engine_id(self) -> str:
        return f"r{self.pk}"


class Representative(models.Model):
    """A person who attends for a registered organisation (one company, several people)."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="representatives"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    languages = models.CharField(_("languages"), max_length=100, blank=True)
    needs_interpreter = models.BooleanField(_("needs an interpreter"), default=False)
    # Each person is checked in on arrival (by their badge's QR code or by name); the
    # registration's Attendance is made with the first of them ("the company has arrived").
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checkin_method = models.CharField(max_length=10, blank=True)  # "qr" or "search"

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Table(models.Model):
    """A numbered table; a host (a buyer who stays put) may be fixed to it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="table_set")
    number = models.PositiveIntegerField(_("number"), validators=[MinValueValidator(1)])
    label = models.CharField(_("label"), max_length=100, blank=True)
    host = models.OneToOneField(
        Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="fixed_table"
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="unique_table_number")
        ]

    def __str__(self) -> str:
        return str(self.number)


class MeetingRequest(models.Model):
    """One participant asks another (and optionally more invitees) for a meeting."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="meeting_requests")
    from_registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="requests_sent"
    )
    to_registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="requests_received"
    )
    message = models.TextField(_("message"), max_length=1000, blank=True)
    from_priority = models.PositiveSmallIntegerField(
        _("priority"), default=2, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    to_priority = models.PositiveSmallIntegerField(
        _("their priority"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_registration=models.F("to_registration")),
                name="request_not_to_self",
            ),
            models.UniqueConstraint(
                fields=["from_registration", "to_registration"],
                condition=models.Q(status__in=["pending", "accepted"]),
                name="unique_live_request",
            ),
            models.CheckConstraint(
                condition=models.Q(from_priority__gte=1, from_priority__lte=3),
                name="request_priority_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_registration_id} → {self.to_registration_id} ({self.status})"


class RequestInvitee(models.Model):
    """A further organisation invited to a multi-party meeting; each one accepts for itself."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    request = models.ForeignKey(MeetingRequest, on_delete=models.CASCADE, related_name="invitees")
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="invitations"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    priority = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "registration"], name="unique_invitee")
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} invited to {self.request_id} ({self.status})"


class Meeting(models.Model):
    """A meeting to hold: from an accepted request or added by staff. No slot: waiting."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        HELD = "held", _("Held")
        NO_SHOW = "no_show", _("No-show")

    # Not indexed alone: the (event, status, slot) index serves every read by event, and each
    # index is one more write per meeting when a schedule of thousands is saved.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="meetings", db_index=False
    )
    request = models.OneToOneField(
        MeetingRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="meeting"
    )
    participants = models.ManyToManyField(
        Registration, through="MeetingSeat", related_name="meetings"
    )
    weight = models.PositiveSmallIntegerField(_("weight"), default=2)
    slot = models.ForeignKey(
        Slot, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    table = models.PositiveIntegerField(_("table"), null=True, blank=True)
    locked = models.BooleanField(_("locked"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    video_link = models.URLField(_("video link"), blank=True)
    # iCalendar: the UID never changes, SEQUENCE rises with each change of time, place or status.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    # Staff's decision when the two sides' marks disagree; empty: "held" by either side counts.
    settled_outcome = models.CharField(
        _("outcome decided by staff"), max_length=10, choices=Outcome.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slot__starts_at", "table", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "table"],
                condition=models.Q(status="scheduled", slot__isnull=False, table__isnull=False),
                name="one_meeting_per_table_and_slot",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0, weight__lte=9), name="meeting_weight_range"
            ),
        ]
        # The staff schedule page counts and lists one slot's meetings (and the waiting ones,
        # slot IS NULL) of an event: without it both scan all of the event's meetings.
        indexes = [models.Index(fields=["event", "status", "slot"], name="meeting_event_slot")]

    def __str__(self) -> str:
        return f"meeting {self.pk}"

    @property
    def engine_id(self) -> str:
        return f"m{self.pk}"


class MeetingSeat(models.Model):
    """A registration in a meeting. `slot` copies the meeting's slot while the meeting is
    scheduled, so that the database itself refuses a participant in two meetings of one slot."""

    # Indexed by the (meeting, registration) unique constraint, which starts with it.
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="seats", db_index=False
    )
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="seats")
    slot = models.ForeignKey(
        Slot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "registration"], name="unique_seat"),
            models.UniqueConstraint(
                fields=["registration", "slot"],
                condition=models.Q(slot__isnull=False),
                name="one_meeting_per_participant_and_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} in {self.meeting_id}"


class MeetingOutcome(models.Model):
    """One side's marks for a meeting: held or no-show, then a rating and "follow up?"."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="outcomes")
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="outcomes"
    )
    mark = models.CharField(_("mark"), max_length=10, choices=Meeting.Outcome.choices, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    wants_follow_up = models.BooleanField(_("wants to follow up"), null=True, blank=True)
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "registration"], name="unique_outcome"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="outcome_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} on {self.meeting_id}: {self.mark or '-'}"


class Attendance(models.Model):
    """A participant (organisation) has arrived: made when its first representative is checked
    in, or by the registration's own QR code when it named no representative."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="attendance"
    )
    checked_in_at = models.DateTimeField(default=timezone.now)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=10, blank=True)  # "qr" or "search"

    def __str__(self) -> str:
        return f"{self.registration_id} checked in"


class ScheduleRun(models.Model):
    """One run of the scheduler engine (solve or resolve) in the task queue, with its progress."""

    class Kind(models.TextChoices):
        SOLVE = "solve", _("Schedule")
        RESOLVE = "resolve", _("Re-schedule")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")  # computed; a resolve waits for staff to confirm
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="schedule_runs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SOLVE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    message = models.CharField(max_length=300, blank=True)
    time_limit = models.FloatField(default=10)
    # The schedule version the run started from: applying it over a newer one is refused.
    base_version = models.PositiveIntegerField(default=0)
    changes = models.JSONField(default=dict, blank=True)
    # Statistics and the changed meetings (small, shown on pages); the full list of assignments
    # (large) apart, loaded only to apply the run.
    result = models.JSONField(default=dict, blank=True)
    assignments = models.JSONField(default=list, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"
