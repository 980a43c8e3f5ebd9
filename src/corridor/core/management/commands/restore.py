"""`corridor restore FILE [--force]`: a backup archive into an empty database and the file folders."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from corridor.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a `corridor backup` archive (into an empty database unless --force)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the contents of a database that is not empty",
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["archive"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            manifest = backup_restore(archive_path=path, force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["rows"].values())
        files = sum(manifest["files"].values())
        self.stdout.write(
            f"restored {rows} rows and {files} files from {manifest['created_at']}; "
            "run `corridor migrate` if this version is newer than the backup"
        )
