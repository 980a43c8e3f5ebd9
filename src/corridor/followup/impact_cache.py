"""The version of the impact figures: bumped by every service that changes a lead, an order or
a rate, so that the dashboard's cached figures (selectors.impact_cached) are never stale."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "followup:impact:version"
# Changes made outside the follow-up services (the admin's raw edits, an organisation deleted
# with its leads) show once the cached figures expire.
TIMEOUT = 600


def version() -> int:
    value = cache.get(VERSION_KEY)
    if value is None:
        # A new or emptied cache: start from the clock so that figures cached under an older
        # run of the counter can never be taken for current ones.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        value = cache.get(VERSION_KEY, 0)
    return value


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key expired or the cache was emptied
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)


def changed() -> None:
    """A lead, an order or a rate changed. Bumped now (this request reads its own change) and
    again after commit (a request that computed the figures in between, from the data before
    the commit, cached them under the first bump): once per transaction, however many changes
    it holds (an order moves its lead too; a backfill creates thousands of leads)."""
    _bump()
    connection = transaction.get_connection()
    # A callback of a savepoint rolled back has left this list: the next change adds one again.
    if not any(entry[1] is _bump for entry in connection.run_on_commit):
        transaction.on_commit(_bump)
