"""`corridor flag_overdue_reports`: what the nightly task does, on demand."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from corridor.api.idempotency import purge_expired
from corridor.reporting import services


class Command(BaseCommand):
    help = (
        "Flag bottleneck reports past their deadline (the focal point and staff are told once) "
        "and forget API Idempotency-Keys older than 24 hours."
    )

    def handle(self, *args, **options) -> None:
        flagged = services.reports_flag_overdue()
        purged = purge_expired()
        self.stdout.write(f"{flagged} reports flagged overdue, {purged} old keys forgotten.")
