"""`corridor import_directory KIND FILE [--dry-run]`: check a CSV/XLSX list and import it whole."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from corridor.accounts.models import User
from corridor.directory import imports


class Command(BaseCommand):
    help = (
        "Import clusters, SMEs, buyers or products from a CSV (UTF-8) or .xlsx file. Every row "
        "is checked first; if any row is bad the report is printed and nothing is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=list(imports.KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and print the report, write nothing."
        )
        parser.add_argument(
            "--user", help="Username of the staff member recorded as the author in the history."
        )

    def handle(self, *args, kind: str, file: Path, dry_run: bool, user: str | None, **options):
        by = None
        if user:
            by = User.objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user {user!r}.")
        try:
            rows = imports.parse_file(file.read_bytes(), file.name, kind)
        except OSError as e:
            raise CommandError(f"Cannot read {file}: {e}") from e
        except imports.ImportFileError as e:
            raise CommandError(str(e)) from e
        report = imports.validate_rows(kind, rows)
        self._print(report)
        if not report.is_valid:
            raise CommandError(
                f"{report.n_errors} of {report.n_rows} rows have errors: nothing was imported."
            )
        if dry_run:
            self.stdout.write(f"Dry run: {report.n_rows} rows are ready; nothing was written.")
            return
        try:
            result = imports.import_rows(kind, rows, by=by)
        except imports.ImportRejected as e:
            self._print(e.report)
            raise CommandError(str(e)) from e
        self.stdout.write(self.style.SUCCESS(f"Imported {result.count} {kind}."))

    def _print(self, report: imports.Report) -> None:
        for row in report.rows:
            if row.ok:
                self.stdout.write(f"Row {row.line}: ok")
            else:
                for line in row.lines():
                    self.stdout.write(line)
        self.stdout.write(f"{report.n_rows} rows: {report.n_ok} ok, {report.n_errors} with errors.")
