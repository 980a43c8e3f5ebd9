"""Background work of reporting (huey): flag overdue reports, forget old Idempotency-Keys."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from corridor.reporting import services


@db_periodic_task(crontab(hour="1", minute="15"))
def daily_reporting() -> tuple[int, int, int]:
    """Once a night: each report past its deadline is flagged once to its focal point and staff;
    order steps past their expected date are flagged to both sides and staff; API keys older
    than 24 hours are forgotten."""
    from django.apps import apps

    from corridor.api.idempotency import purge_expired

    late_steps = 0
    if apps.is_installed("corridor.reporting.timeline"):
        from corridor.reporting.timeline.services import steps_flag_late

        late_steps = steps_flag_late()
    return services.reports_flag_overdue(), late_steps, purge_expired()
