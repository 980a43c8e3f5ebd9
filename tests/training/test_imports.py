"""Attendance import: row-level report, nothing written when any row is bad."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied

from corridor.training import imports
from corridor.training.models import Attendance
from tests import factories


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_import_good_file_writes_every_row(session, sme, other_sme, staff_user):
    user = factories.UserFactory(username="lan", email="lan@example.com")
    data = _csv(
        "name,organisation,email,language",
        f"Nguyen Thi Lan,{sme.name},LAN@example.com,vi",
        f"Tran Van Minh,{other_sme.slug},,",
    )
    rows = imports.parse_file(data, "list.csv")
    assert imports.import_rows(session, rows, by=staff_user) == 2
    lan = Attendance.objects.get(person_name="Nguyen Thi Lan")
    assert (lan.organisation_id, lan.user_id, lan.language) == (sme.pk, user.pk, "vi")
    assert Attendance.objects.get(person_name="Tran Van Minh").organisation_id == other_sme.pk


def test_import_bad_rows_reported_and_nothing_written(session, sme, staff_user, attendance):
    data = _csv(
        "name,organisation,email,language",
        f"Good Person,{sme.name},,",
        "No Org,Unknown Company Ltd,,",
        f",{sme.name},,",
        f"nguyen thi LAN,{sme.name},,",
        f"Good Person,{sme.name},nobody@example.com,xx",
    )
    rows = imports.parse_file(data, "list.csv")
    report = imports.validate_rows(session, rows)
    assert [(r.line, [str(m) for m in r.messages]) for r in report.rows if not r.ok] == [
        (3, ["organisation: is not in the directory: add it there first"]),
        (4, ["name: is required"]),
        (5, ["name: is already marked present at this session"]),
        (
            6,
            [
                "name: is also on row 2",
                "email: is not the email of any account",
                "language: must be one of: en, km, lo, my, th, vi",
            ],
        ),
    ]
    with pytest.raises(imports.ImportRejected):
        imports.import_rows(session, rows, by=staff_user)
    assert list(Attendance.objects.values_list("person_name", flat=True)) == ["Nguyen Thi Lan"]


def test_import_ambiguous_organisation_name(session, staff_user):
    factories.OrganisationFactory(kind="sme", name="Hoa Sen", slug="hoa-sen-1")
    factories.OrganisationFactory(kind="sme", name="Hoa Sen", slug="hoa-sen-2")
    rows = imports.parse_file(_csv("name,organisation", "A,Hoa Sen"), "l.csv")
    report = imports.validate_rows(session, rows)
    assert [str(m) for m in report.rows[0].messages] == [
        "organisation: names several organisations: use its slug"
    ]


def test_import_file_errors(session):
    with pytest.raises(imports.ImportFileError, match="Missing columns: organisation"):
        imports.parse_file(_csv("name", "A"), "l.csv")
    with pytest.raises(imports.ImportFileError, match="Unknown columns: phone"):
        imports.parse_file(_csv("name,organisation,phone", "A,B,1"), "l.csv")
    with pytest.raises(imports.ImportFileError, match="Upload a .csv or .xlsx"):
        imports.parse_file(b"x", "l.pdf")


def test_import_xlsx(session, sme, staff_user):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Name", "Organisation"])
    wb.active.append(["Pham Hoa", sme.slug])
    out = io.BytesIO()
    wb.save(out)
    rows = imports.parse_file(out.getvalue(), "list.xlsx")
    assert imports.import_rows(session, rows, by=staff_user) == 1


def test_import_refused_to_non_staff(session, sme, coordinator):
    rows = imports.parse_file(_csv("name,organisation", f"A,{sme.slug}"), "l.csv")
    with pytest.raises(PermissionDenied):
        imports.import_rows(session, rows, by=coordinator)
    assert Attendance.objects.count() == 0
