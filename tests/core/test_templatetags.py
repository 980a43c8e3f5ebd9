"""Tests of the corridor_format template filters and the formatting functions behind them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from corridor.core import formatting

NOON_UTC = dt.datetime(2025, 11, 25, 20, 30, tzinfo=dt.UTC)


def render(source: str, language: str = "en", **context) -> str:
    with translation.override(language):
        return Template("{% load corridor_format %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "1,234.5"), ("vi", "1.234,5"), ("th", "1,234.5"), ("lo", "1.234,5")],
)
def test_number_filter_groups_digits_for_the_language(language, expected):
    assert render("{{ x|number }}", language, x=Decimal("1234.500")) == expected


def test_number_filter_fixed_decimals():
    assert render("{{ x|number:2 }}", "vi", x=3) == "3,00"
    assert render("{{ x|number:0 }}", "en", x=Decimal("1234.6")) == "1,235"


def test_number_filter_empty_and_invalid_values_render_empty():
    assert (
        render("[{{ x|number }}][{{ y|number }}][{{ z|money:'USD' }}]", x=None, y="abc") == "[][][]"
    )


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("vi", 1234500, "VND", "1.234.500\xa0₫"),
        ("th", Decimal("1234.5"), "THB", "฿1,234.50"),
        ("en", Decimal("1234.5"), "usd", "$1,234.50"),
        ("th", 1234500, "VND", "₫1,234,500"),
        ("vi", Decimal("20"), "USD", "20,00\xa0US$"),
    ],
)
def test_money_filter_formats_amount_and_currency_for_the_language(
    language, amount, currency, expected
):
    assert render("{{ a|money:c }}", language, a=amount, c=currency) == expected


def test_money_filter_without_currency_is_a_plain_number():
    assert render("{{ a|money }}", "vi", a=Decimal("1500.25")) == "1.500,25"


def test_money_range_tag_joins_both_ends_or_shows_one():
    assert render("{% money_range 20 35 'THB' %}", "th") == "฿20.00 – ฿35.00"
    assert render("{% money_range 20 None 'THB' %}", "th") == "฿20.00"
    assert render("{% money_range 20 20 'THB' %}", "th") == "฿20.00"
    assert render("{% money_range None None 'THB' %}", "th") == ""


def test_quantity_filter_translates_the_unit_label():
    assert render("{{ q|quantity:'kg' }}", "vi", q=Decimal("1234.500")) == "1.234,5\xa0kg"
    assert render("{{ q|quantity:'t' }}", "en", q=12) == "12\xa0t (tonnes)"
    assert render("{{ q|quantity:'crates' }}", "en", q=3) == "3\xa0crates"
    assert render("{{ q|quantity:'kg' }}", "en", q=None) == ""


def test_percent_filter():
    assert render("{{ r|percent }}", "en", r=0.255) == "26%"


def test_local_date_filter_uses_the_active_time_zone():
    with timezone.override("Asia/Bangkok"):
        assert render("{{ d|local_date }}", "en", d=NOON_UTC) == "Nov 26, 2025"
    with timezone.override("UTC"):
        assert render("{{ d|local_date }}", "en", d=NOON_UTC) == "Nov 25, 2025"


def test_local_date_filter_names_months_in_the_language():
    assert render("{{ d|local_date:'Asia/Ho_Chi_Minh' }}", "vi", d=NOON_UTC) == "26 thg 11, 2025"
    assert render("{{ d|local_date:'Asia/Bangkok' }}", "th", d=NOON_UTC) == "26 พ.ย. 2025"


def test_local_date_filter_accepts_plain_dates():
    assert render("{{ d|local_date }}", "en", d=dt.date(2026, 1, 5)) == "Jan 5, 2026"


def test_local_datetime_filter_converts_to_the_given_zone():
    assert render("{{ d|local_datetime:'Asia/Yangon' }}", "en", d=NOON_UTC) == (
        "Nov 26, 2025, 3:00\u202fAM"
    )
    # CLDR 47 (Babel 2.18+) appends "น." to Thai times: the date and zone are what matter here.
    assert render("{{ d|local_datetime:'Asia/Bangkok' }}", "th", d=NOON_UTC).startswith(
        "26 พ.ย. 2025 03:30"
    )


def test_local_datetime_filter_unknown_zone_falls_back_to_active_zone():
    with timezone.override("UTC"):
        assert render("{{ d|local_datetime:'Mars/Olympus' }}", "en", d=NOON_UTC) == (
            "Nov 25, 2025, 8:30\u202fPM"
        )


def test_local_time_filter():
    assert render("{{ d|local_time:'Asia/Bangkok' }}", "vi", d=NOON_UTC) == "03:30"
    assert render("{{ d|local_time }}", "vi", d="not a time") == ""


def test_charrefs_filter_writes_non_ascii_as_references_and_escapes_html():
    assert render("{{ s|charrefs }}", s="ไทย <b>") == "&#3652;&#3607;&#3618; &lt;b&gt;"


def test_babel_locale_falls_back_to_english_for_unknown_languages():
    assert str(formatting.babel_locale("xx")) == "en"
    assert str(formatting.babel_locale("en-us")) == "en_US"
    with translation.override("km"):
        assert str(formatting.babel_locale()) == "km"


def test_countries_and_certifications_filters_follow_the_language():
    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        "{% load corridor_format %}{{ codes|countries }} | {{ one|countries }} | "
        "{{ kinds|certifications }}"
    )
    context = Context({"codes": ["JP", "TH"], "one": "VN", "kinds": ["organic", "mystery"]})
    with translation.override("en"):
        assert template.render(context) == "Japan, Thailand | Vietnam | Organic, mystery"
    with translation.override("vi"):
        out = template.render(context)
    assert out.startswith("Nhật Bản, Thái Lan | Việt Nam | ")
