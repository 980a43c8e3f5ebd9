"""`corridor backup [--output FILE]`: the database and the uploaded files in one archive."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from corridor.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (pg_dump or SQLite's backup API) and the uploaded files."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output",
            help="archive to write (default: $CORRIDOR_DATA_DIR/backups/corridor-<time>.tar.gz)",
        )

    def handle(self, *args, **options) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        output = Path(
            options["output"] or Path(settings.DATA_DIR) / "backups" / f"corridor-{stamp}.tar.gz"
        )
        try:
            manifest = backup_create(output=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["rows"].values())
        files = sum(manifest["files"].values())
        self.stdout.write(f"{output}: {manifest['engine']} database, {rows} rows, {files} files")
