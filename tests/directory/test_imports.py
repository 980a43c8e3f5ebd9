"""Directory import: parsing files, the row-by-row report, and all-or-nothing writes."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from corridor.accounts.models import ConsentRecord
from corridor.directory import imports
from corridor.directory.imports import ImportFileError, ImportRejected, Row
from corridor.directory.models import Certification, Organisation, Product
from tests import factories
from tests.directory.import_helpers import (
    BUYER_HEADER,
    CLUSTER_HEADER,
    PRODUCT_HEADER,
    SME_HEADER,
    csv_bytes,
    make_world,
    snapshot,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return make_world()


def _rows(kind: str, header: list[str], *rows: list[str]) -> list[Row]:
    return imports.parse_file(csv_bytes(header, *rows), "list.csv", kind)


def _messages(kind: str, header: list[str], *rows: list[str]) -> list[str]:
    report = imports.validate_rows(kind, _rows(kind, header, *rows))
    return [line for r in report.rows for line in r.lines()]


def _sme(**values) -> list[str]:
    base = {
        "name": "Hoa Sen lacquer",
        "cluster": "",
        "country": "VN",
        "province": "Hà Nội",
        "employees": "8",
        "founded_year": "2004",
        "email": "",
        "phone": "",
        "website": "",
    }
    base.update(values)
    return [base[c] for c in SME_HEADER]


def _product(**values) -> list[str]:
    base = dict.fromkeys(PRODUCT_HEADER, "")
    base.update({"organisation": "Minh Long pottery", "name": "Tea set"})
    base.update(values)
    return [base[c] for c in PRODUCT_HEADER]


# --- Parsing -----------------------------------------------------------------------------------


def test_parse_csv_with_and_without_bom_gives_the_same_rows():
    header = ["name", "country"]
    with_bom = imports.parse_file(csv_bytes(header, ["Lúa gạo", "VN"]), "a.csv", "buyers")
    without = imports.parse_file(csv_bytes(header, ["Lúa gạo", "VN"], bom=False), "a.csv", "buyers")
    assert with_bom == without == [Row(2, {"name": "Lúa gạo", "country": "VN"})]


def test_parse_csv_with_semicolons_and_header_spelling():
    data = b"Name;Country;Buyer type\nSiam Foods;TH;importer\n"
    rows = imports.parse_file(data, "a.csv", "buyers")
    assert rows == [Row(2, {"name": "Siam Foods", "country": "TH", "buyer_type": "importer"})]


def test_parse_skips_blank_rows_and_keeps_spreadsheet_row_numbers():
    data = csv_bytes(["name", "country"], ["A", "VN"], ["", ""], ["B", "KH"])
    rows = imports.parse_file(data, "a.csv", "buyers")
    assert [(r.line, r.values["name"]) for r in rows] == [(2, "A"), (4, "B")]


def test_parse_rejects_a_file_that_is_not_utf8():
    data = "name,country\nCông ty,VN\n".encode("cp1258")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        imports.parse_file(data, "a.csv", "buyers")


def test_parse_rejects_an_empty_file():
    with pytest.raises(ImportFileError, match="empty"):
        imports.parse_file(b"", "a.csv", "buyers")
    with pytest.raises(ImportFileError, match="empty"):
        imports.parse_file(b"\xef\xbb\xbf\n\n", "a.csv", "buyers")


def test_parse_rejects_a_header_without_rows():
    with pytest.raises(ImportFileError, match="no data rows"):
        imports.parse_file(csv_bytes(["name", "country"]), "a.csv", "buyers")


def test_parse_rejects_a_missing_required_column():
    with pytest.raises(ImportFileError, match="Missing columns: province"):
        imports.parse_file(csv_bytes(["name", "country"], ["A", "VN"]), "a.csv", "clusters")


def test_parse_rejects_unknown_columns():
    with pytest.raises(ImportFileError, match="Unknown columns: colour"):
        imports.parse_file(
            csv_bytes(["name", "country", "colour"], ["A", "VN", "red"]), "a.csv", "buyers"
        )


def test_parse_rejects_repeated_columns():
    with pytest.raises(ImportFileError, match="Repeated columns: name"):
        imports.parse_file(
            csv_bytes(["name", "country", "name"], ["A", "VN", "B"]), "a.csv", "buyers"
        )


def test_parse_rejects_other_file_types():
    with pytest.raises(ImportFileError, match=r"\.csv or \.xlsx"):
        imports.parse_file(b"%PDF-1.4", "list.pdf", "buyers")
    with pytest.raises(ImportFileError, match=r"\.xls\)"):
        imports.parse_file(b"\xd0\xcf\x11\xe0", "list.xls", "buyers")
    with pytest.raises(ImportFileError, match="not a valid Excel"):
        imports.parse_file(b"PK\x03\x04broken", "list.xlsx", "buyers")


def test_parse_rejects_a_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    with pytest.raises(ImportFileError, match="larger than"):
        imports.parse_file(csv_bytes(["name", "country"], ["A" * 200, "VN"]), "a.csv", "buyers")


def test_parse_xlsx_turns_cells_into_text():
    data = xlsx_bytes(PRODUCT_HEADER[:5], ["Minh Long pottery", "VN", "Tea set", 80450, 1200.0])
    rows = imports.parse_file(data, "list.xlsx", "products")
    assert rows == [
        Row(
            2,
            {
                "organisation": "Minh Long pottery",
                "country": "VN",
                "name": "Tea set",
                "hs_code": "80450",
                "capacity": "1200",
            },
        )
    ]


def test_templates_have_the_columns_and_parse_back():
    for kind in imports.KINDS:
        names = [c.name for c in imports.columns(kind)]
        from_csv = imports.parse_file(imports.template_csv(kind), f"{kind}.csv", kind)
        from_xlsx = imports.parse_file(imports.template_xlsx(kind), f"{kind}.xlsx", kind)
        assert list(from_csv[0].values) == names
        assert from_csv == from_xlsx


# --- The row report: each kind of bad row ------------------------------------------------------


def test_report_names_row_column_and_value_of_an_unknown_province(world):
    lines = _messages(
        "clusters",
        CLUSTER_HEADER,
        ["Koh Kong fish", "", "KH", "Kaoh Kong", "", "", "", "", "", "", ""],
        ["Kampot pepper", "", "KH", "Kampong Xyz", "", "", "", "", "", "", ""],
    )
    assert lines == ["Row 3, province: 'Kampong Xyz' is not a province of Cambodia"]


def test_report_rejects_a_province_of_another_country(world):
    assert _messages("smes", SME_HEADER, _sme(country="KH", province="Hà Nội")) == [
        "Row 2, province: 'Hà Nội' is not a province of Cambodia"
    ]


def test_report_rejects_a_bad_hs_code(world):
    lines = _messages(
        "products",
        PRODUCT_HEADER,
        _product(name="A", hs_code="0804.50"),
        _product(name="B", hs_code="9999.99"),
        _product(name="C", hs_code="tea"),
    )
    assert lines == [
        "Row 3, hs_code: '9999.99' is not an HS code",
        "Row 4, hs_code: 'tea' is not an HS code",
    ]


def test_report_accepts_hs_code_spellings_and_a_lost_leading_zero(world):
    rows = _rows(
        "products",
        PRODUCT_HEADER,
        *[
            _product(name=f"P{i}", hs_code=code)
            for i, code in enumerate(["080450", "0804.50", "0804 50", "80450", "0804"])
        ],
    )
    report = imports.validate_rows("products", rows)
    assert [r.data["hs_code"] for r in report.rows] == ["080450"] * 4 + ["0804"]


def test_report_flags_missing_required_fields(world):
    lines = _messages("smes", SME_HEADER, _sme(name="", country="", province=""))
    assert lines == [
        "Row 2, name: is required",
        "Row 2, country: is required",
        "Row 2, province: is required",
    ]
    assert _messages(
        "products", PRODUCT_HEADER, _product(organisation="", name="", hs_code="0804")
    ) == [
        "Row 2, organisation: is required",
        "Row 2, name: is required",
    ]


def test_report_flags_a_name_repeated_in_the_file(world):
    lines = _messages(
        "smes",
        SME_HEADER,
        _sme(name="Hoa Sen lacquer"),
        _sme(name="Other"),
        _sme(name="HOA SEN Lacquer"),
        _sme(name="Hoa Sen lacquer", country="KH", province="Phnom Penh"),
    )
    assert lines == ["Row 4, name: 'HOA SEN Lacquer' is already in row 2 of this file"]


def test_report_flags_a_name_already_in_the_database(world):
    lines = _messages("smes", SME_HEADER, _sme(name="Minh Lông Pottery"))
    assert lines == ["Row 2, name: 'Minh Lông Pottery' already exists in Viet Nam"]
    # The same name in another country, or as another kind, is not a duplicate.
    assert (
        _messages(
            "smes", SME_HEADER, _sme(name="Minh Long pottery", country="KH", province="Phnom Penh")
        )
        == []
    )
    assert _messages("buyers", BUYER_HEADER, ["Minh Long pottery", "VN", "", "", "", ""]) == []


def test_report_flags_a_product_repeated_in_file_or_database(world):
    factories.ProductFactory(organisation=world["sme"], name="Vase")
    lines = _messages(
        "products",
        PRODUCT_HEADER,
        _product(name="Bowl"),
        _product(name="bowl"),
        _product(name="Vase"),
        _product(organisation="Bat Trang ceramics cluster", name="Vase"),
    )
    assert lines == [
        "Row 3, name: 'bowl' of this organisation is already in row 2 of this file",
        "Row 4, name: 'Minh Long pottery' already has a product named 'Vase'",
    ]


def test_report_flags_bad_numbers(world):
    lines = _messages(
        "smes",
        SME_HEADER,
        _sme(name="A", employees="twelve"),
        _sme(name="B", employees="-3"),
        _sme(name="C", founded_year="1700"),
        _sme(name="D", employees="1,200"),
    )
    assert lines[:2] == [
        "Row 2, employees: 'twelve' is not a whole number",
        "Row 3, employees: -3 must be between 0 and 10000000",
    ]
    assert lines[2].startswith("Row 4, founded_year: 1700 must be between 1800 and ")
    assert len(lines) == 3  # "1,200" is twelve hundred
    products = _messages(
        "products",
        PRODUCT_HEADER,
        _product(name="A", capacity="-5", capacity_unit="kg"),
        _product(name="B", price_min="1,5"),
        _product(name="C", min_order="lots", min_order_unit="kg"),
    )
    assert products == [
        "Row 2, capacity: -5 must not be negative",
        "Row 3, price_min: '1,5' is not a number (use a dot for decimals)",
        "Row 4, min_order: 'lots' is not a number",
    ]


def test_report_flags_a_bad_unit_period_currency_and_a_unit_missing(world):
    lines = _messages(
        "products",
        PRODUCT_HEADER,
        _product(name="A", capacity="10", capacity_unit="bushels"),
        _product(name="B", capacity="10"),
        _product(name="C", currency="BTC"),
        _product(name="D", capacity="1", capacity_unit="t", capacity_period="fortnight"),
    )
    units = ", ".join(
        ["kg", "g", "t", "pieces", "dozen", "sets", "m", "m2", "m3", "l", "ml", "container20"]
    )
    assert lines == [
        f"Row 2, capacity_unit: 'bushels' is not one of {units}",
        "Row 3, capacity_unit: is required when capacity is given",
        "Row 4, currency: 'BTC' is not one of USD, THB, VND, KHR, LAK, MMK, CNY, JPY, EUR",
        "Row 5, capacity_period: 'fortnight' is not one of day, week, month, year",
    ]


def test_report_flags_a_bad_country_code(world):
    lines = _messages("buyers", BUYER_HEADER, ["Acme", "ZZ", "", "", "", ""])
    assert lines == ["Row 2, country: 'ZZ' is not a country code we know (KH, TH, VN)"]
    # Names of known countries are accepted as well as codes.
    assert _messages("buyers", BUYER_HEADER, ["Acme", "viet nam", "", "", "", ""]) == []


def test_report_flags_bad_markets_and_certifications(world):
    lines = _messages(
        "products",
        PRODUCT_HEADER,
        _product(name="A", markets="JP, XX"),
        _product(name="B", certifications="haccp, fairtrade, kosher"),
    )
    assert lines == [
        "Row 2, markets: 'XX' is not a two-letter ISO country code",
        "Row 3, certifications: 'kosher' is not a certification we know "
        "(organic, gap, gmp, haccp, halal, fair_trade, gi, iso9001, iso22000, brc, fsc, otop)",
    ]


def test_report_flags_bad_email_website_boolean_and_buyer_type(world):
    lines = _messages(
        "buyers",
        BUYER_HEADER,
        ["Acme", "TH", "Bangkok", "smuggler", "not-an-email", "http://"],
    )
    assert lines == [
        "Row 2, buyer_type: 'smuggler' is not one of importer, trader, distributor, retailer, manufacturer, hospitality",
        "Row 2, email: 'not-an-email' is not an email address",
        "Row 2, website: 'http://' is not a web address",
    ]
    clusters = _messages(
        "clusters",
        CLUSTER_HEADER,
        ["X", "", "VN", "Hà Nội", "", "", "maybe", "", "", "", ""],
    )
    assert clusters == ["Row 2, export_consortium: 'maybe' is not yes or no"]


def test_report_flags_an_unknown_cluster_for_an_sme(world):
    lines = _messages("smes", SME_HEADER, _sme(cluster="Dong Ky woodwork cluster"))
    assert lines == ["Row 2, cluster: no cluster named 'Dong Ky woodwork cluster'"]


def test_report_flags_an_unknown_or_ambiguous_organisation_for_a_product(world):
    factories.OrganisationFactory(
        kind="sme", name="Minh Long pottery", slug="minh-long-kh", country=world["kh"]
    )
    lines = _messages(
        "products",
        PRODUCT_HEADER,
        _product(organisation="Nobody Ltd"),
        _product(name="A", country=""),
        _product(name="B", country="VN"),
        _product(name="C", organisation="Mekong Trading Co.", country="TH"),
    )
    assert lines == [
        "Row 2, organisation: no SME or cluster named 'Nobody Ltd'",
        "Row 3, organisation: several organisations are named 'Minh Long pottery': add the country column",
        "Row 5, organisation: no SME or cluster named 'Mekong Trading Co.'",
    ]


def test_report_flags_price_min_above_price_max(world):
    lines = _messages("products", PRODUCT_HEADER, _product(price_min="20", price_max="12.5"))
    assert lines == ["Row 2, price_max: 12.5 is below price_min 20"]


def test_report_resolves_a_merged_vietnamese_province_to_its_successor(world):
    report = imports.validate_rows("smes", _rows("smes", SME_HEADER, _sme(province="Ha Giang")))
    assert report.is_valid
    assert report.rows[0].data["province"] == world["tuyen_quang"]


def test_report_lists_errors_first(world):
    report = imports.validate_rows(
        "smes", _rows("smes", SME_HEADER, _sme(name="A"), _sme(name="B", province="Nowhere"))
    )
    assert (report.n_rows, report.n_ok, report.n_errors) == (2, 1, 1)
    assert [r.line for r in report.errors_first()] == [3, 2]
    assert [r.status for r in report.errors_first()] == ["error", "ok"]


# --- Writing -----------------------------------------------------------------------------------


def test_import_clusters_from_csv(world, staff_user):
    rows = _rows(
        "clusters",
        CLUSTER_HEADER,
        [
            "Koh Kong fish",
            "ត្រីកោះកុង",
            "KH",
            "Kaoh Kong",
            "Dried fish",
            "2010",
            "yes",
            "Coastal",
            "fish@example.com",
            "kohkongfish.org",
            "yes",
        ],
    )
    result = imports.import_rows("clusters", rows, by=staff_user)
    org = Organisation.objects.get(pk=result.organisation_ids[0])
    assert (result.count, org.kind, org.name, org.local_name) == (
        1,
        "cluster",
        "Koh Kong fish",
        "ត្រីកោះកុង",
    )
    assert (org.country_id, org.province_id, org.founded_year) == ("KH", "KH-9", 2010)
    assert (org.is_export_consortium, org.website, org.email) == (
        True,
        "https://kohkongfish.org",
        "fish@example.com",
    )
    assert org.is_published is True
    consent = ConsentRecord.objects.get(organisation=org)
    assert (consent.published, consent.by) == (True, staff_user)
    assert "fish" in org.search_text  # indexed in the same transaction


def test_import_smes_from_xlsx(world, staff_user):
    data = xlsx_bytes(
        SME_HEADER,
        [
            "Hoa Sen lacquer",
            "bat trang ceramics cluster",
            "VN",
            "VN-HN",
            8,
            2004,
            "",
            "024 3874",
            "",
        ],
        ["Ha Giang tea", "", "VN", "Hà Giang", None, None, "", "", ""],
    )
    rows = imports.parse_file(data, "smes.xlsx", "smes")
    result = imports.import_rows("smes", rows, by=staff_user)
    orgs = list(Organisation.objects.filter(pk__in=result.organisation_ids).order_by("name"))
    assert [(o.name, o.province_id, o.cluster_id, o.employees, o.is_published) for o in orgs] == [
        ("Ha Giang tea", "VN-07", None, None, False),
        ("Hoa Sen lacquer", "VN-HN", world["cluster"].pk, 8, False),
    ]
    assert ConsentRecord.objects.count() == 0


def test_import_buyers_from_csv_and_xlsx(world, staff_user):
    imports.import_rows(
        "buyers",
        _rows("buyers", BUYER_HEADER, ["Siam Foods", "TH", "", "Importer", "", ""]),
        by=staff_user,
    )
    rows = imports.parse_file(
        xlsx_bytes(BUYER_HEADER, ["Mekong Trading", "KH", "Phnom Penh", "trader", "", ""]),
        "b.xlsx",
        "buyers",
    )
    imports.import_rows("buyers", rows, by=staff_user)
    buyers = Organisation.objects.filter(kind="buyer").order_by("name")
    assert [(b.name, b.country_id, b.province_id, b.buyer_type) for b in buyers] == [
        ("Mekong Trading", "KH", "KH-12", "trader"),
        ("Siam Foods", "TH", None, "importer"),
    ]


def test_import_products_from_csv_and_xlsx(world, staff_user):
    rows = _rows(
        "products",
        PRODUCT_HEADER,
        _product(
            name="Tea set",
            hs_code="6912.00",
            capacity="500",
            capacity_unit="Sets",
            capacity_period="per week",
            min_order="50",
            min_order_unit="pcs",
            price_min="12.50",
            price_max="18",
            currency="vnd",
            price_unit="sets",
            markets="jp, KR, JP",
            certifications="HACCP, ISO 9001",
        ),
    )
    result = imports.import_rows("products", rows, by=staff_user)
    product = Product.objects.get(pk=result.product_ids[0])
    assert (product.organisation, product.hs_code_id, product.capacity_amount) == (
        world["sme"],
        "691200",
        Decimal("500.000"),
    )
    assert (product.capacity_unit, product.capacity_period, product.min_order_unit) == (
        "sets",
        "week",
        "pieces",
    )
    assert (product.price_min, product.price_max, product.currency) == (
        Decimal("12.50"),
        Decimal("18.00"),
        "VND",
    )
    assert product.markets == ["JP", "KR"]
    assert sorted(Certification.objects.filter(product=product).values_list("kind", flat=True)) == [
        "haccp",
        "iso9001",
    ]
    xlsx = xlsx_bytes(
        ["organisation", "name", "hs_code"], ["Bat Trang ceramics cluster", "Vase", 80450]
    )
    result = imports.import_rows(
        "products", imports.parse_file(xlsx, "p.xlsx", "products"), by=staff_user
    )
    vase = Product.objects.get(pk=result.product_ids[0])
    assert (vase.organisation, vase.hs_code_id, vase.capacity_period, vase.currency) == (
        world["cluster"],
        "080450",
        "month",
        "USD",
    )


def test_failed_import_changes_nothing(world, staff_user):
    rows = _rows(
        "smes",
        SME_HEADER,
        _sme(name="Good one"),
        _sme(name="Bad one", province="Atlantis"),
        _sme(name="Another good one"),
    )
    before = snapshot()
    with pytest.raises(ImportRejected) as caught:
        imports.import_rows("smes", rows, by=staff_user)
    assert snapshot() == before
    assert caught.value.report.n_errors == 1
    assert str(caught.value) == "1 rows have errors: nothing was imported."


def test_failure_in_the_middle_of_writing_rolls_back_the_rows_before(
    world, staff_user, monkeypatch
):
    rows = _rows("smes", SME_HEADER, *[_sme(name=f"Workshop {i}") for i in range(1, 6)])
    write = imports._write_row
    calls = []

    def failing_write(kind, data, by):
        calls.append(data["name"])
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return write(kind, data, by)

    monkeypatch.setattr(imports, "_write_row", failing_write)
    before = snapshot()
    with pytest.raises(RuntimeError, match="disk full"):
        imports.import_rows("smes", rows, by=staff_user)
    assert calls == ["Workshop 1", "Workshop 2", "Workshop 3"]
    assert snapshot() == before
    assert not Organisation.objects.filter(name__startswith="Workshop").exists()


def test_failed_product_import_mid_write_leaves_no_certificates(world, staff_user, monkeypatch):
    rows = _rows(
        "products",
        PRODUCT_HEADER,
        *[_product(name=f"P{i}", certifications="organic") for i in range(5)],
    )
    write = imports._write_row
    calls = []

    def failing_write(kind, data, by):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return write(kind, data, by)

    monkeypatch.setattr(imports, "_write_row", failing_write)
    before = snapshot()
    with pytest.raises(RuntimeError):
        imports.import_rows("products", rows, by=staff_user)
    assert snapshot() == before


def test_import_is_refused_to_non_staff(world):
    sme_owner = factories.MembershipFactory(organisation=world["sme"]).user
    rows = _rows("smes", SME_HEADER, _sme())
    before = snapshot()
    with pytest.raises(PermissionDenied):
        imports.import_rows("smes", rows, by=sme_owner)
    assert snapshot() == before


def test_import_revalidates_against_the_database(world, staff_user):
    rows = _rows("smes", SME_HEADER, _sme(name="Late comer"))
    assert imports.validate_rows("smes", rows).is_valid
    factories.OrganisationFactory(kind="sme", name="Late comer", country=world["vn"])
    with pytest.raises(ImportRejected):
        imports.import_rows("smes", rows, by=staff_user)
    assert Organisation.objects.filter(name="Late comer").count() == 1


def test_report_csv_lists_each_message(world):
    report = imports.validate_rows(
        "smes", _rows("smes", SME_HEADER, _sme(name="=cmd()", province="Nowhere", employees="x"))
    )
    text = imports.report_csv(report).decode("utf-8-sig").splitlines()
    assert text == [
        "Row,Column,Value,Problem",
        "2,province,Nowhere,'Nowhere' is not a province of Viet Nam",
        "2,employees,x,'x' is not a whole number",
    ]


def test_stash_is_private_to_its_owner(world, staff_user, settings, tmp_path):
    settings.IMPORT_STASH_DIR = tmp_path
    other_staff = factories.UserFactory(username="other", is_staff=True)
    rows = _rows("smes", SME_HEADER, _sme())
    token = imports.stash_save(kind="smes", filename="a.csv", rows=rows, by=staff_user)
    assert imports.stash_load(token, by=staff_user) == ("smes", "a.csv", rows)
    assert imports.stash_load(token, by=other_staff) is None
    assert imports.stash_load("../../etc/passwd", by=staff_user) is None
    imports.stash_delete(token)
    assert imports.stash_load(token, by=staff_user) is None


def test_a_row_refused_by_the_model_while_writing_rejects_the_whole_import(
    world, staff_user, monkeypatch
):
    from django.core.exceptions import ValidationError

    rows = _rows("smes", SME_HEADER, _sme(name="First"), _sme(name="Second"))
    write = imports._write_row

    def refusing_write(kind, data, by):
        if data["name"] == "Second":
            raise ValidationError("Name taken meanwhile.")
        return write(kind, data, by)

    monkeypatch.setattr(imports, "_write_row", refusing_write)
    before = snapshot()
    with pytest.raises(ImportRejected) as caught:
        imports.import_rows("smes", rows, by=staff_user)
    assert caught.value.report.rows[1].lines() == ["Row 3, Name taken meanwhile."]
    assert snapshot() == before
