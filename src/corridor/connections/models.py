"""Connections between organisations: the consent that reveals contact details."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Connection(models.Model):
    """One organisation asks another to connect; only an accepted connection reveals contacts."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # An accepted connection that one side ended (not a withdrawn request).
        DISCONNECTED = "disconnected", _("Disconnected")

    from_org = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="connections_sent"
    )
    to_org = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="connections_received"
    )
    message = models.TextField(_("message"), blank=True, max_length=2000)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    # Where the connection came from (a match, an event meeting...), for follow-up and impact.
    source = models.CharField(_("source"), max_length=40, blank=True)
    # The buyer's sourcing request this connection answers ("I can supply this"), if any.
    sourcing_request = models.ForeignKey(
        "directory.SourcingRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        verbose_name=_("sourcing request"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one live (requested or accepted) connection per ordered pair.
            models.UniqueConstraint(
                fields=["from_org", "to_org"],
                condition=models.Q(status__in=["requested", "accepted"]),
                name="unique_live_connection",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_org=models.F("to_org")), name="connection_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_org} → {self.to_org} ({self.status})"
