"""Exports of search results: CSV and Excel, same filters as the page, contacts for staff."""

import csv
import io

import pytest
from openpyxl import load_workbook

from corridor.directory.models import Organisation
from corridor.directory.search import reindex_organisations
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(db):
    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    a = factories.OrganisationFactory(name="Gốm Bát Tràng", country=vn, email="a@example.com")
    factories.ProductFactory(
        organisation=a,
        name="Vase",
        hs_code=factories.HSCodeFactory(code="691200", description="Ceramic tableware"),
    )
    factories.CertificationFactory(organisation=a, kind="gi")
    factories.OrganisationFactory(name="=HYPERLINK(evil)", country=vn)
    factories.OrganisationFactory(name="Cambodia rice")
    factories.OrganisationFactory(name="Private rice", is_published=False)
    reindex_organisations(Organisation.objects.values_list("id", flat=True))


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_csv_follows_filters(client, orgs, stranger):
    client.force_login(stranger)
    response = client.get("/directory/export.csv", {"country": "VN"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert rows[0][:3] == ["Name", "Local name", "Type"]
    assert "Email" not in rows[0]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(evil)", "Gốm Bát Tràng"]
    vase = rows[2]
    assert vase[6:9] == ["Vase", "691200", "Geographical indication"]


def test_export_csv_text_query_and_visibility(client, orgs, stranger, staff_user):
    client.force_login(stranger)
    assert [r[0] for r in _csv(client.get("/directory/export.csv", {"q": "rice"}))[1:]] == [
        "Cambodia rice"
    ]
    client.force_login(staff_user)
    rows = _csv(client.get("/directory/export.csv", {"q": "rice"}))
    assert sorted(r[0] for r in rows[1:]) == ["Cambodia rice", "Private rice"]
    assert rows[0][-4:] == ["Email", "Phone", "Address", "Contact persons"]


def test_export_xlsx_content(client, orgs, staff_user):
    client.force_login(staff_user)
    response = client.get("/directory/export.xlsx", {"q": "bat trang"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0] == "Name"
    assert len(rows) == 2
    assert rows[1][0] == "Gốm Bát Tràng"
    assert rows[1][rows[0].index("Email")] == "a@example.com"


def test_export_anonymous_redirected_to_login(client, orgs):
    response = client.get("/directory/export.xlsx")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/directory/export.xlsx")


def test_search_page_offers_download_to_signed_in_users(client, orgs, stranger):
    assert "export.csv" not in client.get("/directory/?q=rice").content.decode()
    client.force_login(stranger)
    html = client.get("/directory/?q=rice").content.decode()
    assert 'href="/directory/export.csv?q=rice"' in html
    assert 'href="/directory/export.xlsx?q=rice"' in html
