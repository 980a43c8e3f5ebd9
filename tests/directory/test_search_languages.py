"""Search across the six languages: glossary concepts, exact Vietnamese words, English stems."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from corridor.directory import selectors
from corridor.directory.search import parse_query, reindex_organisations
from tests import factories

pytestmark = pytest.mark.django_db

_slugs = itertools.count()


def _org(name, description="", products=()):
    org = factories.OrganisationFactory(
        name=name, description=description, slug=f"org-{next(_slugs)}"
    )
    for product in products:
        factories.ProductFactory(organisation=org, name=product, description="")
    reindex_organisations([org.pk])
    return org


def _names(query):
    results = selectors.search_organisations(AnonymousUser(), query, {})
    return [o.name for o in results.organisations]


@pytest.fixture
def region():
    """Rice mills, mango growers, potters and a tea cooperative, each in its own language."""
    _org("Mekong Rice Mill", "Jasmine rice, milled and polished")
    _org("โรงสีข้าวสุรินทร์", "ข้าวหอมมะลิ")
    _org("Nhà máy xay xát gạo An Giang", "Gạo thơm xuất khẩu")
    _org("រោងម៉ាស៊ីនកិនស្រូវ បាត់ដំបង", "អង្ករ ក្រអូប")
    _org("Hòa Lộc Mango Farm", products=["Fresh mangoes"])
    _org("สวนมะม่วงน้ำดอกไม้", products=["มะม่วงสด"])
    _org("Hợp tác xã xoài Cao Lãnh", products=["Xoài cát Hòa Lộc"])
    _org("Bát Tràng Pottery", "Gốm sứ Bát Tràng, bình hoa", products=["Ceramic vases"])
    _org("Lotus Ceramics", products=["Glazed ceramics"])
    _org("Hợp tác xã chè Tân Cương", "Gồm 40 hộ trồng chè", products=["Chè xanh"])
    _org("Lao Silk Weavers", "Sản phẩm gồm khăn lụa")
    _org("ຮ້ານກາເຟ ປາກຊ່ອງ", products=["ເມັດກາເຟ"])
    _org("Shan Coffee Estate", "Arabica coffee from Ywangan")
    _org("ရွှေဆန် ကုမ္ပဏီ", "ဆန် ရောင်းဝယ်ရေး")


RICE = {
    "Mekong Rice Mill",
    "โรงสีข้าวสุรินทร์",
    "Nhà máy xay xát gạo An Giang",
    "រោងម៉ាស៊ីនកិនស្រូវ បាត់ដំបង",
    "ရွှေဆန် ကုမ္ပဏီ",
}
MANGO = {"Hòa Lộc Mango Farm", "สวนมะม่วงน้ำดอกไม้", "Hợp tác xã xoài Cao Lãnh"}
COFFEE = {"ຮ້ານກາເຟ ປາກຊ່ອງ", "Shan Coffee Estate"}


@pytest.mark.parametrize("query", ["rice", "ข้าว", "gạo", "អង្ករ", "ເຂົ້າ", "ဆန်", "Rice"])
def test_search_rice_in_every_language_finds_every_rice_mill(region, query):
    assert set(_names(query)) == RICE


@pytest.mark.parametrize("query", ["mango", "มะม่วง", "xoài", "ស្វាយ", "ໝາກມ່ວງ", "mangoes"])
def test_search_mango_in_every_language_finds_the_mango_growers(region, query):
    assert set(_names(query)) == MANGO


@pytest.mark.parametrize("query", ["coffee", "cà phê", "ca phe", "กาแฟ", "ກາເຟ", "ကော်ဖီ"])
def test_search_coffee_across_scripts(region, query):
    assert set(_names(query)) == COFFEE


def test_search_exact_words_rank_before_other_languages(region):
    assert _names("ข้าว")[0] == "โรงสีข้าวสุรินทร์"
    assert _names("xoài")[0] == "Hợp tác xã xoài Cao Lãnh"
    assert _names("mango")[0] == "Hòa Lộc Mango Farm"


def test_search_own_words_come_before_every_concept_only_match(region):
    # The concept-only match has "rice" in its name three times, the Thai mill the word once
    # in its description only: by rank alone the English mill would come first.
    _org("Rice Rice Rice Trading")
    _org("Chiang Mai Trading", "ข้าวเหนียว")
    names = _names("ข้าว")
    own = {"โรงสีข้าวสุรินทร์", "Chiang Mai Trading"}
    assert set(names[:2]) == own
    assert set(names[2:]) == RICE - own | {"Rice Rice Rice Trading"}


@pytest.mark.parametrize("per_page", [1, 2, 3, 5])
def test_search_pages_across_the_concept_tier_list_every_match_once(region, per_page):
    # The page that straddles the own-words tier and the concept tier is filled from both.
    first = selectors.search_organisations(AnonymousUser(), "ข้าว", {}, per_page=per_page)
    seen = []
    for number in range(1, first.page.paginator.num_pages + 1):
        results = selectors.search_organisations(
            AnonymousUser(), "ข้าว", {}, page=number, per_page=per_page
        )
        assert results.total == len(RICE)
        seen += [o.name for o in results.organisations]
    assert len(seen) == len(RICE)
    assert set(seen) == RICE
    assert seen[0] == "โรงสีข้าวสุรินทร์"


def test_parse_query_tells_the_users_words_from_the_concepts():
    tq = parse_query("ข้าว", exact_known=lambda w: False)
    words = tq.words()
    assert len(words.clauses[0]) == 2  # dictionary words and trigrams, not the concept
    assert parse_query("Chiang Mai", exact_known=lambda w: False).words() is None


def test_search_accented_vietnamese_word_does_not_match_a_different_word(region):
    assert set(_names("gốm")) == {"Bát Tràng Pottery", "Lotus Ceramics"}
    assert set(_names("gồm")) == {"Hợp tác xã chè Tân Cương", "Lao Silk Weavers"}


def test_search_unaccented_vietnamese_still_matches_every_accent(region):
    assert set(_names("gom")) >= {
        "Bát Tràng Pottery",
        "Hợp tác xã chè Tân Cương",
        "Lao Silk Weavers",
    }


def test_search_accented_word_written_nowhere_falls_back_to_folding():
    _org("Gom Su Viet", "gom su bat trang")  # typed without diacritics
    assert _names("gốm") == ["Gom Su Viet"]


def test_search_english_plurals_and_stems_find_the_same(region):
    assert set(_names("ceramic")) == set(_names("ceramics"))
    assert {"Bát Tràng Pottery", "Lotus Ceramics"} <= set(_names("ceramics"))
    assert _names("weaver") == ["Lao Silk Weavers"]


def test_search_tea_in_vietnamese_and_thai(region):
    assert _names("chè") == ["Hợp tác xã chè Tân Cương"]
    assert _names("ชา") == ["Hợp tác xã chè Tân Cương"]
    assert _names("tea") == ["Hợp tác xã chè Tân Cương"]


def test_search_maize_is_not_rice():
    _org("ไร่ข้าวโพดเลี้ยงสัตว์")
    _org("Mekong Rice Mill")
    assert _names("rice") == ["Mekong Rice Mill"]
    assert _names("corn") == ["ไร่ข้าวโพดเลี้ยงสัตว์"]


def test_search_burmese_typed_in_zawgyi_finds_unicode_text():
    _org("ရွှေဆန် ကုမ္ပဏီ", "ဆန် ရောင်းဝယ်ရေး")
    # "ဆန္" is how a Zawgyi keyboard spells ဆန် (rice).
    assert _names("ေရႊဆန္") == ["ရွှေဆန် ကုမ္ပဏီ"]


def test_search_two_concepts_must_both_match(region):
    _org("Organic Rice Co-op", "Certified organic jasmine rice")
    assert _names("organic rice") == ["Organic Rice Co-op"]
    assert _names("ข้าวอินทรีย์") == ["Organic Rice Co-op"]


def test_parse_query_expands_a_word_with_its_concept():
    tq = parse_query("ข้าว", exact_known=lambda w: False)
    assert len(tq.clauses) == 1
    assert len(tq.clauses[0]) == 3  # dictionary words, trigrams, the concept "rice"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("โรงสีข้าวสุรินทร์", "rong-si-khaw-surinthr"),
        ("ໂຮງງານເຂົ້າ ວຽງຈັນ", "ho-ngngan-khea-w-yng-can"),
        ("ရွှေဆန် ကုမ္ပဏီ", "shwaysaan-kumpane"),
        ("Hợp tác xã Đồng Tháp", "hop-tac-xa-dong-thap"),
    ],
)
def test_organisation_slug_from_a_local_script_name_is_readable(name, slug):
    from corridor.accounts.services import unique_slug

    assert unique_slug(name) == slug


@pytest.fixture
def real_model(settings):
    # What a query means comes from the sentence embeddings: the model-free test embedder has
    # no sense of meaning, so this asks for the real one (about 20 s to load).
    settings.CORRIDOR = {**settings.CORRIDOR, "EMBEDDER": "e5"}


def test_search_by_meaning_when_no_word_matches(client, real_model):
    factories.HSCodeFactory(code="6911", description="Tableware of porcelain or china")
    factories.HSCodeFactory(code="691110", description="Tableware and kitchenware of porcelain")
    org = _org("Bát Tràng Tea Sets")
    factories.ProductFactory(organisation=org, name="Tea set", hs_code_id="691110")
    reindex_organisations([org.pk])
    _org("Mekong Rice Mill")
    results = selectors.search_organisations(AnonymousUser(), "porcelain", {})
    assert "6911" in results.meaning
    assert [o.name for o in results.organisations] == ["Bát Tràng Tea Sets"]
    html = client.get("/directory/?q=porcelain").content.decode()
    assert "6911" in html and "Bát Tràng Tea Sets" in html


def test_search_by_meaning_not_for_names_or_stray_words(real_model):
    _org("Mekong Rice Mill")
    results = selectors.search_organisations(AnonymousUser(), "Nguyen Van A", {})
    assert (results.total, results.meaning) == (0, ())
