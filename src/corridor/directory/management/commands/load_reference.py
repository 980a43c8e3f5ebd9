"""`corridor load_reference`: load or refresh countries, provinces, corridors and HS codes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from corridor.directory.reference import load_reference


class Command(BaseCommand):
    help = (
        "Load the reference data (countries, provinces and their aliases, economic corridors, "
        "border crossings, HS codes). Safe to run again: existing rows are updated, not duplicated."
    )

    def handle(self, *args, **options) -> None:
        counts = load_reference(stdout=self.stdout)
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"Reference data loaded: {total} rows."))
