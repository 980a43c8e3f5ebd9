"""Background sending of notification emails (huey): a job per batch and a periodic sweep."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from corridor.notifications import services


@db_task(retries=3, retry_delay=60, retry_backoff=2)
def send_emails(ids: list[int]) -> int:
    """Send these queued emails; a failing mail server raises, and huey tries again later."""
    return services.emails_send(ids=ids)


@db_periodic_task(crontab(minute="*/10"))
def outbox_sweep() -> int:
    """Emails whose job was lost (broker down at commit, worker killed) are sent here."""
    return services.outbox_sweep()
