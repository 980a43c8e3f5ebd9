"""Background work of follow-up: the periodic sending round (thin: it calls the service)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def send_followups_task(run_id: int) -> None:
    from corridor.followup.models import SendRun
    from corridor.followup.sending import send_followups

    run = SendRun.objects.filter(pk=run_id).first()
    if run is not None:
        send_followups(trigger=run.trigger, run=run)


@db_periodic_task(crontab(hour="2", minute="15"))
def send_followups_daily() -> None:
    from corridor.followup.sending import send_followups
    from corridor.followup.services import lead_places_refresh

    # Leads keep their supplier's place for the dashboard: follow suppliers that moved.
    lead_places_refresh()
    send_followups(trigger="task")
