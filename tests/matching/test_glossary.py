"""The glossary table's safety rules (no false matches across words) and cross-script matches."""

from __future__ import annotations

import json
import re
import unicodedata
from importlib import resources

import pytest

from corridor.core.text import fold
from corridor.matching.embedding import HashEmbedder
from corridor.matching.engine import Matcher
from corridor.matching.glossary import concepts, english_gloss
from corridor.matching.records import Offer, Query

SCRIPTS = {
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "km": re.compile(r"[\u1780-\u17ff]"),
    "lo": re.compile(r"[\u0e80-\u0eff]"),
    "my": re.compile(r"[\u1000-\u109f]"),
    "zh": re.compile(r"[\u4e00-\u9fff]"),
}
# Short terms of the scripts written without spaces match inside longer words: each new one was
# checked against Thai and Lao word lists (ลวด is inside ลวดลาย "pattern", ມີດ inside ລະເມີດ, so
# longer terms are used instead). Those of the first table stay as they were; ไหม (silk) is also
# the Thai question particle, a known weakness.
SHORT_NOSPACE_OK = {
    "ขิง", "ชา", "ซอส", "ธูป", "นม", "ปลา", "ปู", "ผัก", "ผ้า", "มีด", "สด", "หยก", "อิฐ", "แพะ", "แยม",
    "ไก่", "ไข่", "ไม้", "ไหม",
    "កកក", "កង់", "គុជ", "ងាវ", "ចេក", "ឈីស", "ឈើ", "ដូង", "ដែក", "ទៀន", "ធូប", "ពពែ", "ពោត", "ភួយ",
    "មឹក", "មួក", "មៀន", "ល្ង",
    "ຂີງ", "ນົມ", "ປາ", "ປູ", "ຜັກ", "ຜ້າ", "ສົດ", "ເບຍ", "ເຝີ", "ແຢມ", "ໄກ່", "ໄຂ່", "ໄມ້", "ໄໝ", "ໝວກ",
    "ကမာ", "ဆန်", "ဆား",
}  # fmt: skip
MIN_NOSPACE = 4  # code points; Chinese is checked apart (two characters, or one listed below)
SINGLE_HAN_OK = {
    "冻", "棉", "煤", "盐", "竹", "篮", "纸", "茶", "藤", "虾", "钢", "铁", "铜", "铝", "鞋", "鱼", "鸭",
}  # fmt: skip
# English words that fold to common Vietnamese syllables (hạt, mặt, tín, cấp, câu, cám, ...):
# Latin terms match folded text, so they would fire inside Vietnamese offers.
FOLDED_VI_COLLISIONS = {"hat", "mat", "tin", "cap", "cau", "cam", "can", "nut", "ton", "tra", "me"}


def _table() -> dict:
    path = resources.files("corridor.matching") / "data" / "glossary.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _languages(terms: list[str]) -> set[str]:
    found = set()
    for term in terms:
        script = next((name for name, rx in SCRIPTS.items() if rx.search(term)), None)
        if script:
            found.add(script)
        elif term.isascii():
            found.add("en")
        else:
            found.add("vi")
    return found


def test_glossary_is_broad():
    assert len(_table()) >= 250


def test_glossary_every_concept_has_gloss_and_five_languages():
    thin = {
        name: sorted(_languages(entry["terms"]))
        for name, entry in _table().items()
        if len(_languages(entry["terms"])) < 5
    }
    # The first table's concepts that a native check left in fewer languages.
    assert set(thin) <= {"longan", "cinnamon"}
    assert all(entry["gloss"].strip() for entry in _table().values())


def test_glossary_no_term_maps_to_two_concepts():
    owners: dict[str, str] = {}
    clashes = []
    for name, entry in _table().items():
        for term in entry["terms"]:
            key = unicodedata.normalize("NFC", term.casefold())
            if key in owners and owners[key] != name:
                clashes.append((term, owners[key], name))
            owners[key] = name
    assert clashes == []


def test_glossary_short_terms_of_spaceless_scripts_are_vetted():
    short = []
    for entry in _table().values():
        for term in entry["terms"]:
            if SCRIPTS["zh"].search(term):
                if len(term) < 2 and term not in SINGLE_HAN_OK:
                    short.append(term)
            elif any(rx.search(term) for rx in SCRIPTS.values()):
                if len(term) < MIN_NOSPACE and term not in SHORT_NOSPACE_OK:
                    short.append(term)
    assert short == []


def test_glossary_latin_terms_do_not_collide_with_folded_vietnamese():
    latin = {fold(t) for e in _table().values() for t in e["terms"] if t.isascii()}
    assert latin & FOLDED_VI_COLLISIONS == set()


def test_glossary_terms_are_written_in_one_script():
    mixed = [
        term
        for entry in _table().values()
        for term in entry["terms"]
        if len(_languages([term]) - {"en", "vi"}) > 1
    ]
    assert mixed == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ทำงานที่บ้าน", []),  # work: not sesame (งา)
        ("หนังสือ", []),  # book: not leather
        ("mặt hàng uy tín, cung cấp ổn định", []),  # no "mat", "tin", "cap"
        ("cam kết chất lượng", []),  # commitment: not orange
        ("เสื้อไหมพรม", ["sweater"]),  # knitted sweater, not silk
        ("กล้วยไม้", ["orchid"]),  # orchid, not banana
        ("ไข่มุก", ["pearl"]),  # pearl, not egg
        ("bánh mì", ["bread"]),  # bread, not noodles
        ("bột mì", ["wheat_flour"]),
        ("ตะปู", ["nail"]),  # nail, not crab
        ("หม้อหุงข้าว", ["rice_cooker"]),
        ("စပါးလင်ဆီ", ["lemongrass"]),  # lemongrass, not paddy
        ("ស្វាយកែវរមៀត", ["mango"]),  # a mango variety, not turmeric
        ("chanh dây", ["passion_fruit"]),
        ("than gáo dừa", ["charcoal"]),
        ("ลำไยอบแห้ง", ["longan", "dried"]),
        ("冷冻鱿鱼", ["frozen", "squid"]),
        ("น้ำตาลทราย", ["sugar"]),  # granulated sugar, not sand
        ("ลวดลายสวยงาม", []),  # a fine pattern: not wire
        ("บัญชีสินค้า", []),  # a product list: not cheese
        ("ຕຳລວດ", []),  # police: not wire
        ("សមាសធាតុធម្មជាតិ", []),  # natural ingredients: not gold
        ("ខាងត្បូង", []),  # south: not gemstone
        ("công nghệ hiện đại", []),  # technology: not turmeric
        ("จักรยานยนต์", ["motorcycle"]),
        ("ဂျင်းဘောင်းဘီ", ["trousers"]),  # jeans, not ginger
    ],
)
def test_glossary_longest_term_wins_and_no_false_friends(text, expected):
    assert concepts(text) == expected


def test_english_gloss_of_new_concepts_uses_hs_words():
    assert english_gloss("ปลาทูน่ากระป๋อง") == "tunas skipjack prepared or preserved"
    assert english_gloss("cà phê hòa tan") == "extracts essences concentrates of coffee instant"


@pytest.fixture
def catalog():
    offers = [
        Offer(id="th-longan", title="ลำไยอบแห้ง", description="เนื้อลำไยอบแห้งจากเชียงใหม่"),
        Offer(id="th-mango", title="มะม่วงอบแห้ง", description="มะม่วงน้ำดอกไม้อบแห้ง"),
        Offer(id="km-pepper", title="ម្រេចកំពត", description="ម្រេចខ្មៅពីកំពត"),
        Offer(id="lo-coffee", title="ກາເຟສຳເລັດຮູບ", description="ກາເຟຊອງ ຈາກປາກຊ່ອງ"),
        Offer(id="my-charcoal", title="မီးသွေး", description="အုန်းမှုတ်ခွံ မီးသွေး"),
        Offer(id="zh-gloves", title="橡胶手套", description="乳胶检查手套，每箱1000只"),
    ]
    return Matcher(embedder=HashEmbedder()).build(offers)


@pytest.mark.parametrize(
    ("text", "offer_id"),
    [
        ("long nhãn sấy khô", "th-longan"),  # Vietnamese request, Thai offer
        ("cà phê hòa tan 3 trong 1", "lo-coffee"),  # Vietnamese request, Lao offer
        ("coconut shell charcoal", "my-charcoal"),  # English request, Burmese offer
        ("ถุงมือยางทางการแพทย์", "zh-gloves"),  # Thai request, Chinese offer
    ],
)
def test_glossary_new_concepts_match_across_scripts(catalog, text, offer_id):
    assert [m.offer_id for m in catalog.rank(Query(id="q", text=text), top=1)] == [offer_id]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ca phe robusta rang xay", ["coffee"]),  # typed without diacritics on a phone
        ("hat dieu rang muoi", ["cashew"]),
        ("nhan long sau rieng", ["durian"]),
        ("gao lua", []),  # one-word terms stay accented-only: "lua" is rice or silk
        ("giay dep", []),  # "giay" is paper or shoes
        ("we do go there by boat", []),  # "đồ gỗ" folds to English words
    ],
)
def test_glossary_multiword_vietnamese_terms_match_without_diacritics(text, expected):
    assert concepts(text) == expected


def test_unaccented_vietnamese_request_finds_a_lao_offer(catalog):
    ranked = catalog.rank(Query(id="q", text="ca phe hoa tan"), top=1)
    assert [m.offer_id for m in ranked] == ["lo-coffee"]
