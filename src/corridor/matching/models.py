"""Matching data kept in the database: HS relations, confirmed HS examples, notices, index jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HsRelation(models.Model):
    """An input → output link of a value chain (raw silk → silk fabric → garments), by HS prefix.

    Staff edit this table; cluster collaboration suggestions use it to find upstream and
    downstream partners.
    """

    input_code = models.CharField(_("input HS code"), max_length=6, db_index=True)
    output_code = models.CharField(_("output HS code"), max_length=6, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["input_code", "output_code"], name="unique_hs_relation")
        ]
        verbose_name = _("HS value-chain relation")

    def __str__(self) -> str:
        return f"{self.input_code} → {self.output_code}"


class HsExample(models.Model):
    """A product description whose HS code a user confirmed: training data for suggestions."""

    text = models.TextField(_("description"))
    code = models.CharField(_("HS code"), max_length=6, db_index=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["text", "code"], name="unique_hs_example")]

    def __str__(self) -> str:
        return f"{self.code}: {self.text[:50]}"


class MatchNotice(models.Model):
    """A match already announced to an organisation, so that no match is ever sent twice."""

    request = models.ForeignKey(
        "directory.SourcingRequest", on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey("directory.Product", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="match_notices"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "product", "recipient"], name="unique_match_notice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.product_id} → {self.recipient_id}"


class DigestOptOut(models.Model):
    """A user who does not want the daily email digest of new matches."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_opt_out"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.user)


class IndexJob(models.Model):
    """A full rebuild of the matching index, with progress for staff."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.status} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0
