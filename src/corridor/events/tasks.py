"""Background work of events (huey): engine runs, placing late meetings, suggestion indexes,
expiry, deadlines."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def schedule_run(run_id: int) -> None:
    from corridor.events import services
    from corridor.events.models import ScheduleRun

    run = ScheduleRun.objects.select_related("event", "started_by").filter(pk=run_id).first()
    if run is not None:
        services.schedule_run_execute(run=run)


@db_task()
def place_meeting(meeting_id: int) -> None:
    from corridor.events import services

    services.meeting_place_late(meeting_id=meeting_id)


@db_task()
def suggest_index_build(event_id: int) -> None:
    """Build and publish an event's 'Suggested for you' indexes (`events.suggest`)."""
    from corridor.events import suggest
    from corridor.events.models import Event

    event = Event.objects.filter(pk=event_id).first()
    if event is not None:
        suggest.index_build(event=event)


@db_periodic_task(crontab(minute="*/15"))
def expire_requests() -> int:
    from corridor.events import services

    return services.requests_expire()


@db_periodic_task(crontab(minute="*/5"))
def close_registration() -> int:
    from corridor.events import services

    return services.events_close_registration()
