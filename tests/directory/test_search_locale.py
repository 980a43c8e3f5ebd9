"""Pages in the reader's language: filter headings, country names, dates, plain decimals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import formats, translation

from corridor.directory.search import reindex_organisations
from tests import factories

pytestmark = pytest.mark.django_db

LANGUAGES = ["vi", "th", "km", "lo", "my"]


def _page(client, url, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(url).content.decode()


@pytest.fixture
def thai_org():
    org = factories.OrganisationFactory(
        name="Surin Rice Mill", slug="surin-rice-mill", country=factories.CountryFactory(code="TH")
    )
    reindex_organisations([org.pk])
    return org


@pytest.mark.parametrize("language", LANGUAGES)
def test_directory_filter_headings_follow_the_readers_language(client, thai_org, language):
    html = _page(client, "/directory/", language)
    with translation.override(language):
        heading = translation.gettext("Type of organisation")
    assert heading in html
    if heading != "Type of organisation":
        assert "Type of organisation" not in html


def test_directory_filter_headings_are_translated_in_vietnamese_and_thai(client, thai_org):
    assert "Type of organisation" not in _page(client, "/directory/", "vi")
    assert "Type of organisation" not in _page(client, "/directory/", "th")


@pytest.mark.parametrize(
    ("language", "name"),
    [("vi", "Thái Lan"), ("th", "ไทย"), ("km", "ថៃ"), ("lo", "ໄທ"), ("my", "ထိုင်း")],
)
def test_country_names_in_the_readers_language(client, thai_org, language, name):
    search_page = _page(client, "/directory/", language)
    assert search_page.count(name) >= 2  # the card and the country filter
    assert ">Thailand<" not in search_page
    assert name in _page(client, "/directory/o/surin-rice-mill/", language)
    assert name in _page(client, "/directory/places/", language)


def test_country_select_of_a_form_in_the_readers_language(client, sme, sme_owner):
    factories.CountryFactory(code="TH")
    client.force_login(sme_owner)
    html = _page(client, f"/directory/o/{sme.slug}/edit/", "vi")
    assert ">Thái Lan</option>" in html
    assert ">Campuchia</option>" in html


@pytest.mark.parametrize("language", ["lo", "my"])
def test_dates_in_lao_and_burmese_are_not_in_english_format(language):
    day = dt.date(2026, 12, 5)
    with translation.override(language):
        assert formats.date_format(day) == "5/12/2026"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "5/12/2026"


def test_lao_numbers_use_the_decimal_comma():
    with translation.override("lo"):
        assert formats.number_format(Decimal("1234.5"), 1, force_grouping=True) == "1.234,5"


def test_product_form_shows_capacity_without_trailing_zeros(client, sme, sme_owner):
    product = factories.ProductFactory(
        organisation=sme, capacity_amount=Decimal("900.000"), capacity_unit="kg"
    )
    client.force_login(sme_owner)
    html = _page(client, f"/directory/products/{product.pk}/edit/", "vi")
    assert 'value="900"' in html
    assert "900.000" not in html
