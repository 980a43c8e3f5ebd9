"""`corridor send_followups`: send the follow-up surveys and reminders that are due (for cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from corridor.followup.sending import send_followups


class Command(BaseCommand):
    help = (
        "Send the follow-up surveys and reminders that are due. Safe to run again or after a "
        "crash: nothing already sent is sent twice."
    )

    def handle(self, *args, **options) -> None:
        run = send_followups(trigger="command")
        self.stdout.write(
            f"run {run.pk}: {run.sent} surveys sent, {run.reminded} reminders, "
            f"{run.failed} failed, {run.skipped} skipped ({run.status})."
        )
