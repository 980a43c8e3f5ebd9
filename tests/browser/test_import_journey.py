"""The staff import journey: upload a list, read the row report, fix the file, import it all."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.urls import reverse

from corridor.directory.models import Organisation
from tests import factories
from tests.browser.conftest import login

HEADER = ["name", "local_name", "country", "province", "product_focus"]
NAMES = [
    "Hợp tác xã Mây tre đan Phú Vinh",
    "Làng lụa Vạn Phúc",
    "Làng nón Chuông",
]


@pytest.fixture(autouse=True)
def _stash(settings, tmp_path):
    # The live server runs in this process: the uploads wait in the test's own folder.
    settings.IMPORT_STASH_DIR = tmp_path / "stash"


def _seed() -> None:
    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    factories.ProvinceFactory(code="VN-HN", country=vn, name="Hà Nội", local_name="Hà Nội")


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _upload(page, path: Path) -> None:
    page.select_option("#id_kind", "clusters")
    page.set_input_files("#id_file", str(path))
    page.locator("main form button", has_text="Check the file").click()
    page.wait_for_url("**/directory/import/*/")


def _report(page) -> list[list[str]]:
    """The preview's table: row number, status, name, problems (one per line)."""
    return [
        [cell.inner_text().strip() for cell in row.locator("td").all()]
        for row in page.locator("main table tbody tr").all()
    ]


def _figures(page) -> list[str]:
    return [li.inner_text().strip() for li in page.locator("main ul.figures li").all()]


def test_staff_imports_clusters_after_fixing_the_rows_the_preview_reports(
    page, live_server, staff_user, tmp_path
):
    _seed()
    login(page, live_server, staff_user)
    page.goto("/directory/")
    page.locator("main").get_by_role("link", name="Import", exact=True).click()
    page.wait_for_url("**/directory/import/")

    bad = _write_csv(
        tmp_path / "clusters.csv",
        [
            [NAMES[0], "", "VN", "Hà Nội", "Rattan and bamboo"],
            [NAMES[1], "", "VN", "Atlantis", "Silk"],
            ["", "", "VN", "Hà Nội", "Conical hats"],
        ],
    )
    _upload(page, bad)
    assert _figures(page) == ["3 rows", "1 ready", "2 with errors"]
    # Errors first, each under the row number the spreadsheet shows (the header is row 1).
    assert _report(page) == [
        ["3", "error", NAMES[1], "province: 'Atlantis' is not a province of Viet Nam"],
        ["4", "error", "", "name: is required"],
        ["2", "ok", NAMES[0], ""],
    ]
    main = page.locator("main")
    assert main.locator("form[action$='/confirm/']").count() == 0
    assert main.get_by_role("button", name="Import").count() == 0
    assert main.get_by_text("Nothing can be imported until every row is correct").is_visible()
    assert Organisation.objects.filter(kind="cluster").count() == 0

    main.get_by_role("link", name="Upload a corrected file").click()
    page.wait_for_url("**/directory/import/")
    good = _write_csv(
        tmp_path / "clusters-fixed.csv",
        [
            [NAMES[0], "", "VN", "Hà Nội", "Rattan and bamboo"],
            [NAMES[1], "", "VN", "VN-HN", "Silk"],
            [NAMES[2], "", "VN", "ha noi", "Conical hats"],
        ],
    )
    _upload(page, good)
    assert _figures(page) == ["3 rows", "3 ready", "0 with errors"]
    assert _report(page) == [
        ["2", "ok", NAMES[0], ""],
        ["3", "ok", NAMES[1], ""],
        ["4", "ok", NAMES[2], ""],
    ]
    main.get_by_role("button", name="Import 3 rows").click()
    page.wait_for_url("**/directory/import/done/")
    assert main.locator("h1").inner_text() == "Import done"
    assert _figures(page) == ["3 records imported (Clusters)", "3 profiles updated or created"]
    assert sorted(main.locator("ul.columns a").all_inner_texts()) == sorted(NAMES)

    imported = Organisation.objects.filter(kind="cluster").order_by("name")
    assert sorted(imported.values_list("name", flat=True)) == sorted(NAMES)
    assert set(imported.values_list("country_id", "province_id")) == {("VN", "VN-HN")}

    # Typed without diacritics, the new cluster's name is found in the directory.
    page.goto("/directory/?q=may+tre+dan+phu+vinh")
    results = page.locator("#results")
    assert results.get_by_text(NAMES[0]).is_visible()
    assert results.get_by_text(NAMES[1]).count() == 0


def test_sme_member_has_no_import_link_and_is_refused_the_import_page(page, live_server, sme_owner):
    login(page, live_server, sme_owner)
    page.goto("/directory/")
    assert page.locator("main").get_by_role("link", name="Import", exact=True).count() == 0
    response = page.goto(reverse("directory:import"))
    assert response.status == 403
    assert page.locator("#id_file").count() == 0
