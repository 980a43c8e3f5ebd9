"""Pages of the staff import: who may use them, upload → preview → confirm, templates."""

import io

import pytest
from django.urls import reverse

from corridor.directory import imports
from corridor.directory.models import Organisation
from tests import factories
from tests.directory.import_helpers import SME_HEADER, csv_bytes, make_world, snapshot

pytestmark = pytest.mark.django_db

TOKEN = "A" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.IMPORT_STASH_DIR = tmp_path


def _upload(client, kind: str, data: bytes, name: str = "list.csv"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("directory:import"), {"kind": kind, "file": upload})


def _sme_row(name: str, province: str = "Hà Nội") -> list[str]:
    return [name, "", "VN", province, "5", "", "", "", ""]


URLS = [
    ("get", reverse("directory:import")),
    ("get", reverse("directory:import_template", args=["smes", "csv"])),
    ("get", reverse("directory:import_preview", args=[TOKEN])),
    ("post", reverse("directory:import_confirm", args=[TOKEN])),
    ("get", reverse("directory:import_errors", args=[TOKEN])),
    ("get", reverse("directory:import_done")),
]


@pytest.mark.parametrize(("method", "url"), URLS)
def test_import_pages_send_anonymous_visitors_to_log_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("method", "url"), URLS)
@pytest.mark.parametrize("role", ["sme_owner", "buyer_user", "coordinator", "stranger"])
def test_import_pages_are_forbidden_to_non_staff(client, request, role, method, url):
    client.force_login(request.getfixturevalue(role))
    assert getattr(client, method)(url).status_code == 403


def test_import_page_is_open_to_staff_and_documents_columns(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("directory:import"))
    assert response.status_code == 200
    page = response.content.decode()
    for kind in imports.KINDS:
        for column in imports.columns(kind):
            assert f"<code>{column.name}</code>" in page
    assert reverse("directory:import_template", args=["products", "xlsx"]) in page


def test_staff_see_the_import_link_in_the_directory(client, staff_user, stranger):
    url = reverse("directory:import")
    client.force_login(stranger)
    assert url not in client.get(reverse("directory:search")).content.decode()
    client.force_login(staff_user)
    assert url in client.get(reverse("directory:search")).content.decode()


def test_templates_download_as_csv_and_xlsx(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("directory:import_template", args=["clusters", "csv"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode("utf-8-sig").splitlines()[0] == ",".join(
        c.name for c in imports.columns("clusters")
    )
    response = client.get(reverse("directory:import_template", args=["products", "xlsx"]))
    rows = imports.parse_file(response.content, "p.xlsx", "products")
    assert rows[0].values["organisation"] == "Minh Long pottery"
    assert (
        client.get(reverse("directory:import_template", args=["widgets", "csv"])).status_code == 404
    )


@pytest.mark.parametrize(
    ("data", "name", "error"),
    [
        (b"", "list.csv", "The submitted file is empty."),
        ("name,country\nCông ty,VN\n".encode("cp1258"), "list.csv", "not UTF-8"),
        (b"name,country\n", "list.csv", "no data rows"),
        (b"name,colour\nA,red\n", "list.csv", "Unknown columns: colour"),
        (b"name\nA\n", "list.csv", "Missing columns: country"),
        (b"%PDF-1.4", "list.pdf", "Upload a .csv or .xlsx file."),
    ],
)
def test_upload_explains_a_file_it_cannot_read(client, staff_user, data, name, error):
    client.force_login(staff_user)
    response = _upload(client, "buyers", data, name)
    assert response.status_code == 200
    assert error in response.content.decode()


def test_upload_preview_and_import_of_a_good_file(client, staff_user):
    world = make_world()
    client.force_login(staff_user)
    response = _upload(
        client, "smes", csv_bytes(SME_HEADER, _sme_row("Hoa Sen lacquer"), _sme_row("Lotus silk"))
    )
    assert response.status_code == 302
    token = response["Location"].rstrip("/").split("/")[-1]
    assert response["Location"] == reverse("directory:import_preview", args=[token])
    page = client.get(response["Location"]).content.decode()
    assert "Import 2 rows" in page
    response = client.post(reverse("directory:import_confirm", args=[token]))
    assert response["Location"] == reverse("directory:import_done")
    done = client.get(response["Location"]).content.decode()
    assert "2 records imported" in done
    org = Organisation.objects.get(name="Lotus silk")
    assert (org.province, org.is_published) == (world["hanoi"], False)
    assert reverse("directory:organisation", args=[org.slug]) in done
    # The upload is gone: confirming twice imports nothing more.
    assert client.post(reverse("directory:import_confirm", args=[token])).status_code == 404
    assert Organisation.objects.filter(name="Lotus silk").count() == 1


def test_preview_of_a_bad_file_lists_errors_first_and_offers_no_import(client, staff_user):
    make_world()
    client.force_login(staff_user)
    response = _upload(
        client,
        "smes",
        csv_bytes(SME_HEADER, _sme_row("Good"), _sme_row("Bad", province="Kampong Xyz")),
    )
    page = client.get(response["Location"]).content.decode()
    assert "Import 2 rows" not in page
    assert "1 with errors" in page
    assert "&#x27;Kampong Xyz&#x27; is not a province of Viet Nam" in page
    assert page.index("Kampong Xyz") < page.index("<td>Good")
    token = response["Location"].rstrip("/").split("/")[-1]
    errors = client.get(reverse("directory:import_errors", args=[token]))
    assert errors.content.decode("utf-8-sig").splitlines() == [
        "Row,Column,Value,Problem",
        "3,province,Kampong Xyz,'Kampong Xyz' is not a province of Viet Nam",
    ]


def test_confirming_a_bad_file_writes_nothing(client, staff_user):
    make_world()
    client.force_login(staff_user)
    response = _upload(
        client,
        "smes",
        csv_bytes(SME_HEADER, _sme_row("Good"), _sme_row("Bad", province="Kampong Xyz")),
    )
    token = response["Location"].rstrip("/").split("/")[-1]
    before = snapshot()
    response = client.post(reverse("directory:import_confirm", args=[token]))
    assert response.status_code == 409
    assert "nothing was imported" in response.content.decode()
    assert snapshot() == before


def test_another_staff_member_cannot_open_my_upload(client, staff_user):
    make_world()
    client.force_login(staff_user)
    response = _upload(client, "smes", csv_bytes(SME_HEADER, _sme_row("Good")))
    client.force_login(factories.UserFactory(username="colleague", is_staff=True))
    assert client.get(response["Location"]).status_code == 404


def test_preview_query_count_does_not_grow_with_rows(client, staff_user, django_assert_num_queries):
    make_world()
    client.force_login(staff_user)
    rows = [_sme_row(f"Workshop {i}", "Hà Giang" if i % 2 else "Nowhere") for i in range(200)]
    for row in rows[::3]:
        row[1] = "Bat Trang ceramics cluster"
    response = _upload(client, "smes", csv_bytes(SME_HEADER, *rows))
    # Session, user, countries, provinces, aliases, names of existing SMEs, clusters, and the
    # unread notifications of the header.
    with django_assert_num_queries(8):
        page = client.get(response["Location"])
    assert page.status_code == 200
    assert "100 with errors" in page.content.decode()
