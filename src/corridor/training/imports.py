"""Attendance lists from CSV or Excel: the directory import's machinery (reading, row report,
all-or-nothing) applied to one session's participants.

`parse_file` reads the upload with the directory import's readers, `validate_rows` checks every
row (name, organisation, optional email and language) and `import_rows` checks again and writes
all rows in one transaction, or none."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.accounts.models import User
from corridor.core.text import fold
from corridor.directory import imports as base
from corridor.directory.imports import (
    ImportFileError,
    ImportRejected,
    Message,
    Report,
    Row,
    RowReport,
)
from corridor.directory.models import Organisation
from corridor.training import permissions, services
from corridor.training.models import Session

KIND = "attendance"
COLUMNS = [
    base.Column("name", True, gettext_lazy("The participant's full name."), "Nguyễn Thị Lan"),
    base.Column(
        "organisation",
        True,
        gettext_lazy("The organisation's name as in the directory, or its address name (slug)."),
        "Bat Trang ceramics cluster",
    ),
    base.Column("email", False, gettext_lazy("Their account's email, if they have one."), ""),
    base.Column(
        "language", False, gettext_lazy("Certificate language: en, vi, th, km, lo, my."), "vi"
    ),
]
LANGUAGES = {"en", "vi", "th", "km", "lo", "my"}

__all__ = ["ImportFileError", "ImportRejected", "import_rows", "parse_file", "validate_rows"]


def template_csv() -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in COLUMNS])
    writer.writerow([c.example for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def parse_file(data: bytes, filename: str) -> list[Row]:
    """Rows of a CSV or .xlsx attendance list; ImportFileError with one message otherwise."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    if len(data) > base.MAX_BYTES:
        raise ImportFileError(_("The file is too large: split it into several files."))
    name = filename.lower()
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        table = base._read_xlsx(data)
    elif name.endswith((".csv", ".txt", ".tsv")):
        table = base._read_csv(data)
    else:
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise ImportFileError(_("The file is empty."))
    header = [base._header_name(h) for h in table[0]]
    while header and not header[-1]:
        header.pop()
    known = [c.name for c in COLUMNS]
    unknown = [h for h in header if h not in known]
    if unknown:
        raise ImportFileError(
            _("Unknown columns: %(cols)s. The columns of this list are: %(known)s.")
            % {"cols": ", ".join(unknown), "known": ", ".join(known)}
        )
    missing = [c.name for c in COLUMNS if c.required and c.name not in header]
    if missing:
        raise ImportFileError(_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)})
    rows = []
    for index, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        rows.append(Row(index, dict(zip(header, cells[: len(header)], strict=True))))
        if len(rows) > base.MAX_ROWS:
            raise ImportFileError(_("The file has too many rows: split it into several files."))
    if not rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
    return rows


def _org_lookup(rows: Sequence[Row]) -> tuple[dict[str, list[int]], dict[str, int]]:
    texts = {r.values.get("organisation", "") for r in rows} - {""}
    by_slug = dict(
        Organisation.objects.filter(slug__in=texts, merged_into__isnull=True).values_list(
            "slug", "id"
        )
    )
    folded = {fold(t) for t in texts}
    by_name: dict[str, list[int]] = {}
    for pk, name in Organisation.objects.filter(merged_into__isnull=True).values_list("id", "name"):
        key = fold(name)
        if key in folded:
            by_name.setdefault(key, []).append(pk)
    return by_name, by_slug


def validate_rows(session: Session, rows: Sequence[Row]) -> Report:
    """Check every row against the directory and the session; a constant number of queries."""
    by_name, by_slug = _org_lookup(rows)
    emails = {r.values.get("email", "").lower() for r in rows} - {""}
    users = {
        e.lower(): pk for pk, e in User.objects.filter(email__in=emails).values_list("id", "email")
    }
    present = set(session.attendances.values_list("person_key", flat=True))
    seen: dict[str, int] = {}
    reports = []
    for row in rows:
        report = RowReport(row.line, dict(row.values))
        name = row.values.get("name", "")
        key = services.person_key(name)
        if not key:
            report.messages.append(Message("name", _("is required")))
        elif len(name) > 200:
            report.messages.append(
                Message("name", _("is longer than %(n)d characters") % {"n": 200})
            )
        elif key in present:
            report.messages.append(Message("name", _("is already marked present at this session")))
        elif key in seen:
            report.messages.append(
                Message("name", _("is also on row %(line)d") % {"line": seen[key]})
            )
        else:
            seen[key] = row.line
        org_text = row.values.get("organisation", "")
        org_id = by_slug.get(org_text)
        if not org_text:
            report.messages.append(Message("organisation", _("is required")))
        elif org_id is None:
            matches = by_name.get(fold(org_text), [])
            if not matches:
                report.messages.append(
                    Message("organisation", _("is not in the directory: add it there first"))
                )
            elif len(matches) > 1:
                report.messages.append(
                    Message("organisation", _("names several organisations: use its slug"))
                )
            else:
                org_id = matches[0]
        email = row.values.get("email", "").lower()
        user_id = None
        if email:
            user_id = users.get(email)
            if user_id is None:
                report.messages.append(Message("email", _("is not the email of any account")))
        language = row.values.get("language", "").lower()
        if language and language not in LANGUAGES:
            report.messages.append(
                Message(
                    "language",
                    _("must be one of: %(list)s") % {"list": ", ".join(sorted(LANGUAGES))},
                )
            )
        report.data = {
            "name": name,
            "organisation_id": org_id,
            "user_id": user_id,
            "language": language,
        }
        reports.append(report)
    return Report(KIND, reports)


@transaction.atomic
def import_rows(session: Session, rows: Sequence[Row], *, by) -> int:
    """Check again and write every row, or nothing (ImportRejected carries the report)."""
    if not permissions.can_manage(by):
        raise PermissionDenied(_("Only programme staff may import."))
    report = validate_rows(session, rows)
    if not report.is_valid:
        raise ImportRejected(report)
    people = [
        services.Person(
            name=r.data["name"],
            organisation_id=r.data["organisation_id"],
            user_id=r.data["user_id"],
            language=r.data["language"],
        )
        for r in report.rows
    ]
    try:
        return services.attendance_import(session=session, people=people, by=by)
    except ValidationError as exc:  # someone marked a person meanwhile
        report.rows[0].messages += [Message("", m) for m in exc.messages]
        raise ImportRejected(report) from exc
