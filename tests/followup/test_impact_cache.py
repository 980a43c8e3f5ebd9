"""The impact figures' version: bumped by each change, and once more when its transaction commits."""

from __future__ import annotations

from corridor.followup import impact_cache


def test_a_transaction_bumps_the_version_once_after_commit(db, django_capture_on_commit_callbacks):
    before = impact_cache.version()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _ in range(3):
            impact_cache.changed()
        during = impact_cache.version()

    assert (during - before, len(callbacks)) == (3, 1)
    assert impact_cache.version() - before == 4
