"""Background work of matching (huey): refresh vectors, rebuild the index, send the digest."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from corridor.matching import services


@db_task()
def reembed(product_ids: list[int], request_ids: list[int], by_id: int | None = None) -> None:
    """Store fresh vectors of changed records and learn HS codes kept from the suggestions."""
    from corridor.accounts.models import User

    services.products_embed(product_ids=product_ids)
    services.requests_embed(request_ids=request_ids)
    if product_ids:
        services.index_publish_schedule()
        by = User.objects.filter(pk=by_id).first() if by_id else None
        services.hs_examples_learn(product_ids=product_ids, by=by)


@db_task()
def index_rebuild(job_id: int) -> None:
    from corridor.matching.models import IndexJob

    job = IndexJob.objects.filter(pk=job_id).first()
    if job is not None:
        services.index_rebuild_run(job=job)


@db_task()
def index_publish() -> str | None:
    """Save the supplier catalog for the web processes (skipped when it is already current)."""
    return services.index_publish()


def index_publish_later(delay: int) -> None:
    """index_publish in `delay` seconds (now when tasks run in-process, as in tests)."""
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate:
        index_publish()
    else:
        index_publish.schedule(delay=delay)


@db_periodic_task(crontab(hour="6", minute="30"))
def daily_digest() -> int:
    """Early morning in the region: the email is there when people open their inbox."""
    return services.digest_send()
