"""Tests of the cross-script text normalisation."""

from corridor.core.text import fold, scripts_in, search_document, tokens


def test_fold_vietnamese_diacritics_and_d_stroke():
    assert fold("Đồng Tháp") == "dong thap"
    assert fold("Bát Tràng") == "bat trang"


def test_tokens_thai_segments_words_and_ngrams():
    toks = tokens("ข้าวหอมมะลิอินทรีย์")
    assert "ข้าว" in toks and "หอม" in toks
    assert "หอมมะลิ" not in toks  # words come from the dictionary, not whole runs


def test_tokens_zawgyi_and_unicode_burmese_agree():
    assert tokens("ျမန္မာ") == tokens("မြန်မာ")


def test_tokens_chinese_bigrams():
    assert tokens("茉莉香米") == ["茉莉", "莉香", "香米"]


def test_scripts_in_names_non_latin_scripts():
    assert scripts_in("Rice ข้าว ស្រូវ") == {"thai", "khmer"}


def test_search_document_deduplicates():
    assert search_document("rice rice", "Rice") == "rice"
