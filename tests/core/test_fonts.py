"""Tests of the subset script fonts and of the middleware that loads only the ones a page needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.test import RequestFactory
from fontTools.ttLib import TTFont

from corridor.core.middleware import FONT_FAMILIES, ScriptFontsMiddleware, font_face_css
from tests import factories

FONT_DIR = Path(__file__).resolve().parents[2] / "src/corridor/static/corridor/fonts"
PAGE = "<html><head><!--script-fonts--></head><body>{}</body></html>"


def _through_middleware(body: str) -> str:
    middleware = ScriptFontsMiddleware(lambda request: HttpResponse(PAGE.format(body)))
    return middleware(RequestFactory().get("/")).content.decode()


def test_fonts_every_family_has_a_static_woff2_file():
    for script in FONT_FAMILIES:
        path = finders.find(f"corridor/fonts/{script}.woff2")
        assert path is not None, script
        assert Path(path).read_bytes()[:4] == b"wOF2"


def test_fonts_files_stay_small():
    sizes = {script: (FONT_DIR / f"{script}.woff2").stat().st_size for script in FONT_FAMILIES}
    assert all(size < 40 * 1024 for size in sizes.values()), sizes


def test_fonts_licence_ships_next_to_the_fonts():
    text = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in text
    assert "PERMISSION & CONDITIONS" in text


@pytest.mark.parametrize(
    ("script", "sample", "features"),
    [
        ("thai", "สวัสดี", {"mark"}),
        ("lao", "ສະບາຍດີ", {"mark"}),
        ("khmer", "សួស្ដី", {"blwf", "pref", "abvm", "blwm"}),
        ("myanmar", "မင်္ဂလာပါ", {"blwf", "mark"}),
    ],
)
def test_fonts_cover_their_script_and_keep_shaping_features(script, sample, features):
    font = TTFont(FONT_DIR / f"{script}.woff2")
    cmap = font.getBestCmap()
    tags = {
        r.FeatureTag
        for table in ("GSUB", "GPOS")
        for r in font[table].table.FeatureList.FeatureRecord
    }
    assert all(ord(ch) in cmap for ch in sample)
    assert 0x25CC in cmap  # dotted circle, drawn by shapers under a stray combining mark
    assert features <= tags


def test_font_face_css_only_lists_known_scripts():
    css = font_face_css({"thai", "han"})
    assert css.count("@font-face") == 1
    assert "/static/corridor/fonts/thai.woff2" in css
    assert "font-family:'Noto Sans Thai'" in css


def test_script_fonts_middleware_thai_page_gets_thai_font_only():
    html = _through_middleware("ข้าวหอมมะลิ from Surin")
    assert "/static/corridor/fonts/thai.woff2" in html
    assert "khmer.woff2" not in html
    assert "<!--script-fonts-->" not in html


def test_script_fonts_middleware_latin_page_gets_no_font():
    html = _through_middleware("Rice from Đồng Tháp")
    assert "@font-face" not in html
    assert "<style>" not in html
    assert "<!--script-fonts-->" not in html


def test_script_fonts_middleware_mixed_page_gets_each_font():
    html = _through_middleware("ស្រូវ · ເຂົ້າ · ဆန်")
    assert [s for s in ("thai", "lao", "khmer", "myanmar") if f"{s}.woff2" in html] == [
        "lao",
        "khmer",
        "myanmar",
    ]


@pytest.mark.django_db
def test_script_fonts_profile_page_with_thai_name_loads_thai_font(client):
    org = factories.OrganisationFactory(name="วิสาหกิจชุมชนข้าวหอมมะลิ", slug="surin-rice")
    response = client.get(f"/directory/o/{org.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/corridor/fonts/thai.woff2" in html
    assert "khmer.woff2" not in html


@pytest.mark.django_db
def test_script_fonts_english_home_page_loads_no_font(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "@font-face" not in html
    assert "<!--script-fonts-->" not in html
