"""Tests of the translation catalogs and of language selection (cookie, Accept-Language, switcher)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
COMPLETE_LANGUAGES = ["vi", "th"]
PARTIAL_LANGUAGES = ["km", "lo", "my"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [text for text in entry.msgstr_plural.values() if text]
    return [entry.msgstr] if entry.msgstr else []


def test_i18n_every_language_but_english_has_a_catalog():
    codes = [code for code, _name in settings.LANGUAGES if code != "en"]
    assert codes == COMPLETE_LANGUAGES + PARTIAL_LANGUAGES
    for code in codes:
        assert (LOCALE_DIR / code / "LC_MESSAGES" / "django.po").exists()
        assert (LOCALE_DIR / code / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_i18n_complete_catalog_has_no_untranslated_or_fuzzy_entry(language):
    po = catalog(language)
    assert len(po) > 100
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES + PARTIAL_LANGUAGES)
def test_i18n_translations_keep_the_placeholders(language):
    wrong = []
    for entry in catalog(language):
        expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in _translations(entry):
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append((entry.msgid, text))
    assert wrong == []


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES + PARTIAL_LANGUAGES)
def test_i18n_compiled_catalog_matches_the_po_file(language):
    """The committed .mo must be rebuilt (scripts/translate.py compile) after each .po edit."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(folder / "django.mo"))}
    stale = [
        e.msgid
        for e in catalog(language).translated_entries()
        if not e.msgid_plural and not e.msgctxt and compiled.get(e.msgid) != e.msgstr
    ]
    assert stale == []


@pytest.mark.django_db
def test_i18n_home_page_in_vietnamese_through_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    content = client.get("/").content.decode()
    assert '<html lang="vi">' in content
    assert "Bán hàng khắp hành lang Mê Kông" in content
    assert "Đăng nhập" in content


@pytest.mark.django_db
def test_i18n_home_page_in_thai_through_accept_language_loads_the_thai_font(client):
    content = client.get("/", HTTP_ACCEPT_LANGUAGE="th-TH,th;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="th">' in content
    assert "ขายสินค้าทั่วระเบียงเศรษฐกิจลุ่มน้ำโขง" in content
    assert "/static/corridor/fonts/thai.woff2" in content


@pytest.mark.django_db
def test_i18n_partial_language_falls_back_to_english_string_by_string(client):
    content = client.get("/", HTTP_ACCEPT_LANGUAGE="km").content.decode()
    assert '<html lang="km">' in content
    assert "ស្វែងរក" in content  # "Search" is translated
    assert "Sell across the Mekong corridor" in content  # the hero is not yet


@pytest.mark.django_db
def test_i18n_set_language_view_stores_the_choice_and_redirects(client):
    response = client.post(reverse("set_language"), {"language": "th", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "th"
    assert '<html lang="th">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_i18n_set_language_view_refuses_an_unknown_language(client):
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_i18n_switcher_names_each_language_in_its_own_script(client):
    content = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    switcher = html.unescape(content.split('id="lang-select"')[1].split("</select>")[0])
    names = re.findall(r'<option value="(\w+)"(?: selected)?>([^<]+)</option>', switcher)
    assert names == [
        ("en", "English"),
        ("vi", "Tiếng Việt"),
        ("th", "ภาษาไทย"),
        ("km", "ភាសាខ្មែរ"),
        ("lo", "ພາສາລາວ"),
        ("my", "မြန်မာဘာသာ"),
    ]
