"""`corridor reindex_directory`: rebuild the directory's search index and facet counts."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from corridor.directory.search import rebuild_index


class Command(BaseCommand):
    help = (
        "Rebuild the search index and facet counts of every organisation: after an upgrade that "
        "changes what is indexed, or a restore. Searches keep working while it runs."
    )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        done = rebuild_index()
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Indexed {done} organisations in {elapsed:.1f} s."))
