"""A notification (in-app row and, when wanted, one queued email) and per-kind email choices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one person (or, for invitations, to one address without an account).

    `key` makes it idempotent: the same key for the same recipient is one row, one email.
    """

    class EmailStatus(models.TextChoices):
        NONE = "none", _("Not emailed")  # opted out, no address, or in-app only
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    to_email = models.EmailField(_("email address"), blank=True)
    kind = models.CharField(_("kind"), max_length=80)
    key = models.CharField(max_length=200)
    language = models.CharField(max_length=8, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=500, blank=True)
    # Files sent with the email, kept with the queued row so that a retried job sends the same
    # ones: [{"name", "mimetype", "content" (base64)}]. Cleared once the email is sent.
    attachments = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=300, blank=True)
    # Which sending job holds the row (a random token), and since when.
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=Q(recipient__isnull=False),
                name="notification_key_per_user",
            ),
            models.UniqueConstraint(
                fields=["to_email", "key"],
                condition=Q(recipient__isnull=True),
                name="notification_key_per_address",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(to_email=""),
                name="notification_has_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
            # The unread count of the header: only unread rows are in this index.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(
                fields=["email_status", "created_at"],
                condition=Q(email_status__in=["pending", "sending"]),
                name="notification_outbox",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id or self.to_email}: {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def absolute_url(self) -> str:
        if self.url.startswith("/"):
            return settings.CORRIDOR["SITE_URL"] + self.url
        return self.url


class NotificationPreference(models.Model):
    """A person's choice of email for one kind; without a row the kind's default applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=80)
    email = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {'email' if self.email else 'no email'}"
