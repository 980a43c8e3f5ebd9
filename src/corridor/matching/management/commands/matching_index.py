"""`corridor matching_index`: save the supplier catalog for every web process to memory-map."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from corridor.matching import selectors, services


class Command(BaseCommand):
    help = (
        "Build the matching catalog of supplier products from the database and save it under "
        "CORRIDOR_DATA_DIR/matching-index, where every web process memory-maps it. Once saved, "
        "the task worker keeps it current after changes. Run it after a deployment of a large "
        "catalog (from 50,000 products web processes do not build their own)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="save a new version even if the saved one is current",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        started = time.perf_counter()
        name = services.index_publish(force=force)
        elapsed = time.perf_counter() - started
        if name is None:
            self.stdout.write("The saved matching catalog is already current.")
            return
        where = selectors.saved_root() / name
        self.stdout.write(self.style.SUCCESS(f"Saved {where} in {elapsed:.1f} s."))
