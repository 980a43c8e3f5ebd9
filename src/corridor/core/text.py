"""Text normalisation for search and matching across the region's scripts.

Vietnamese is folded to plain ASCII letters (case, diacritics, and đ which Unicode does not
decompose), Burmese typed in Zawgyi is converted to Unicode, and the scripts written without
spaces between words (Thai, Lao, Khmer, Burmese) are split into words with ICU's dictionary-based
word break iterator and also into character n-grams, so that a search still matches when the
dictionary segments a compound differently from the query.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable

# Scripts written without spaces between words.
_NOSPACE_RANGES = (
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0xAA60, 0xAA7F),  # Myanmar extended-A
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
)
_SCRIPT_BY_RANGE = {
    (0x0E00, 0x0E7F): "thai",
    (0x0E80, 0x0EFF): "lao",
    (0x1000, 0x109F): "myanmar",
    (0xAA60, 0xAA7F): "myanmar",
    (0x1780, 0x17FF): "khmer",
    (0x19E0, 0x19FF): "khmer",
    (0x4E00, 0x9FFF): "han",
    (0x3400, 0x4DBF): "han",
}
# Letters that Unicode does not decompose into base + combining mark.
_EXTRA_FOLD = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae"})
# \w does not match combining vowel signs, which are part of words in the no-space scripts.
_TOKEN_RE = re.compile(
    r"(?:\w|[\u0E00-\u0EFF\u1000-\u109F\u1780-\u17FF\u19E0-\u19FF\uAA60-\uAA7F])+"
)
# Combining marks belong to the letter before them in the scripts above; only Latin marks go.
_LATIN_MARK_BASE = re.compile(r"([A-Za-z])[\u0300-\u036f]+")


def _is_nospace(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _NOSPACE_RANGES)


def script_of(ch: str) -> str:
    """Name the script of one character as this module groups them ('latin' by default)."""
    cp = ord(ch)
    for (lo, hi), name in _SCRIPT_BY_RANGE.items():
        if lo <= cp <= hi:
            return name
    return "latin"


_ANY_SCRIPT_RE = re.compile(
    "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _SCRIPT_BY_RANGE) + "]+"
)


def scripts_in(text: str) -> set[str]:
    """The non-Latin scripts that occur in a text (used to load only the fonts a page needs).

    Every page's HTML goes through this: one regular-expression scan for the characters of
    those scripts, not a Python loop over 80,000 characters (11 ms for a directory page)."""
    return {script_of(ch) for run in set(_ANY_SCRIPT_RE.findall(text)) for ch in set(run)}


# An ICU BreakIterator holds the text it is splitting: two threads sharing one (gunicorn threads,
# huey workers) would split each other's text. Each thread gets its own ICU objects, made once.
_local = threading.local()

_MYANMAR_RE = re.compile("[\u1000-\u109f]")


@functools.lru_cache(maxsize=1)
def _zawgyi_detector():
    from myanmartools import ZawgyiDetector

    return ZawgyiDetector()  # plain Python, read-only once loaded: shared by all threads


def _zawgyi_converter():
    # ICU objects are not safe to share between threads: one transliterator per thread.
    if not hasattr(_local, "zawgyi"):
        import icu

        _local.zawgyi = icu.Transliterator.createInstance("Zawgyi-my")
    return _local.zawgyi


@functools.lru_cache(maxsize=1024)
def _zawgyi_probability(text: str) -> float:
    """The detector's verdict, kept for recent texts: it is plain Python (~0.7 ms for a
    product description) and matching folds a text several times (BM25 tokens, glossary
    concepts, the HS suggester's exact-example look-up)."""
    return _zawgyi_detector().get_zawgyi_probability(text)


def zawgyi_to_unicode(text: str, threshold: float = 0.95) -> str:
    """Convert Burmese typed in the Zawgyi font encoding to Unicode; other text is unchanged."""
    if not _MYANMAR_RE.search(text):
        return text
    if _zawgyi_probability(text) >= threshold:
        return _zawgyi_converter().transliterate(text)
    return text


def fold(text: str) -> str:
    """Lower-case, Zawgyi-to-Unicode and strip Latin diacritics: 'Đồng Tháp' -> 'dong thap'."""
    if not text:
        return ""
    text = zawgyi_to_unicode(text)
    text = unicodedata.normalize("NFKD", text.casefold()).translate(_EXTRA_FOLD)
    # Drop combining marks only after Latin letters: Thai or Burmese vowel signs are letters.
    text = _LATIN_MARK_BASE.sub(lambda m: m.group(1), text)
    text = re.sub(r"(?<=[a-z])[\u0300-\u036f]+", "", text)
    return unicodedata.normalize("NFC", text)


def _break_iterator(locale: str):
    iterators = _local.__dict__.setdefault("iterators", {})
    if locale not in iterators:
        import icu

        iterators[locale] = icu.BreakIterator.createWordInstance(icu.Locale(locale))
    return iterators[locale]


def segment(run: str) -> list[str]:
    """Split a run of a no-space script into words with ICU's dictionary word breaker."""
    bi = _break_iterator("th")  # the root word rules carry dictionaries for all four scripts
    bi.setText(run)
    words, start = [], 0
    for end in bi:
        word = run[start:end].strip()
        if word:
            words.append(word)
        start = end
    return words


def char_ngrams(run: str, n: int = 3) -> list[str]:
    """Overlapping character n-grams of a run (the run itself when it is shorter than n)."""
    if len(run) <= n:
        return [run]
    return [run[i : i + n] for i in range(len(run) - n + 1)]


_NOSPACE_CLASS = "".join(f"\\u{lo:04X}-\\u{hi:04X}" for lo, hi in _NOSPACE_RANGES)
# One regex pass instead of a range test per character: tokenising is on the matching hot path.
_RUNS_RE = re.compile(f"([{_NOSPACE_CLASS}]+)|([^{_NOSPACE_CLASS}]+)")


def _split_runs(token: str) -> Iterable[tuple[bool, str]]:
    """Split a \\w+ token into runs of no-space script and the rest (mixed tokens happen)."""
    for m in _RUNS_RE.finditer(token):
        yield (True, m.group(1)) if m.group(1) else (False, m.group(2))


def _is_han(ch: str) -> bool:
    return 0x3400 <= ord(ch) <= 0x9FFF


_HAN_RE = re.compile("[\u3400-\u9fff]")  # _is_han, one scan of a run instead of a call per letter


def tokens(text: str, *, ngrams: bool = True) -> list[str]:
    """Search tokens of a text: folded words, plus n-grams for no-space scripts and Chinese.

    Latin-script words are kept whole. Runs of Thai, Lao, Khmer or Burmese are segmented into
    words and, when `ngrams` is on, also into character trigrams; Chinese is split into
    character bigrams (Chinese has no spaces and two characters make most words).
    """
    out: list[str] = []
    for raw in _TOKEN_RE.findall(fold(text)):
        for nospace, run in _split_runs(raw):
            if not nospace:
                if _HAN_RE.search(run):
                    han = "".join(c for c in run if _is_han(c))
                    rest = "".join(c if not _is_han(c) else " " for c in run).split()
                    out.extend(rest)
                    out.extend(char_ngrams(han, 2) if len(han) > 1 else [han])
                else:
                    out.append(run)
                continue
            out.extend(segment(run))
            if ngrams:
                out.extend(char_ngrams(run, 3))
    return out


def search_document(*parts: str | None) -> str:
    """One space-separated string of the tokens of several fields, to store and match against."""
    seen: dict[str, None] = {}
    for part in parts:
        if part:
            for tok in tokens(part):
                seen.setdefault(tok, None)
    return " ".join(seen)


# --- Exact accented words and English stems (search) -------------------------------------------

_LATIN_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def accented_words(text: str) -> list[str]:
    """The Latin words of a text that carry diacritics, lower-cased and NFC ('Gốm sứ' -> ['gốm',
    'sứ']): folding makes 'gốm' (pottery) and 'gồm' (consists of) one word, so search keeps
    these as well to tell them apart."""
    if not text:
        return []
    lowered = unicodedata.normalize("NFC", text.casefold())
    return [
        w
        for w in _LATIN_WORD_RE.findall(lowered)
        if not w.isascii() and all(script_of(c) == "latin" for c in w) and fold(w).isascii()
    ]


def _stemmer():
    if not hasattr(_local, "stemmer"):
        import snowballstemmer

        _local.stemmer = snowballstemmer.stemmer("english")
    return _local.stemmer


@functools.lru_cache(maxsize=65536)  # words repeat across profiles; Snowball is pure Python
def stem(word: str) -> str:
    """The English (Snowball) stem of a folded ASCII word: 'ceramics' and 'ceramic' -> 'ceram';
    other words come back unchanged. Folded Vietnamese syllables are left alone by the rules
    (none ends in -s, -ed or -ing)."""
    if len(word) < 4 or not word.isascii() or not word.isalpha():
        return word
    return _stemmer().stemWord(word)


def singular(word: str) -> str:
    """An English plural made singular for dictionary look-ups ('mangoes' -> 'mango',
    'potteries' -> 'pottery', 'ceramics' -> 'ceramic'); other words unchanged."""
    if len(word) < 4 or not word.isascii() or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("oes", "ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


# --- Readable ASCII (slugs) ---------------------------------------------------------------------

# ICU romanises Thai and Burmese but has no Lao or Khmer to Latin. The Lao block was laid out
# parallel to the Thai one (ກ U+0E81 ↔ ก U+0E01), so Lao is read through ICU's Thai rules; the
# few Lao letters without a Thai twin are spelled out first. Khmer goes through anyascii.
_LAO_EXTRA = {0x0EBD: "ย", 0x0EBC: "ล", 0x0EDC: "หน", 0x0EDD: "หม", 0x0EDE: "ก", 0x0EDF: "ญ"}
_LAO_AS_THAI = {
    cp: _LAO_EXTRA.get(cp) or (chr(cp - 0x80) if unicodedata.name(chr(cp - 0x80), "") else "")
    for cp in range(0x0E80, 0x0F00)
}
_LAO_AS_THAI[0x0ECD] = "อ"  # ໍ: the vowel "o" (its Thai twin is a silent mark)


def _latin_converter():
    if not hasattr(_local, "latin"):
        import icu

        _local.latin = icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")
    return _local.latin


def to_ascii(text: str) -> str:
    """Readable ASCII of a name in any of the region's scripts ('ข้าวหอม' -> 'khaw hxm',
    'Đồng Tháp' -> 'Dong Thap', Zawgyi Burmese as Unicode), for slugs and file names."""
    if not text:
        return ""
    from anyascii import anyascii

    text = zawgyi_to_unicode(text).translate(_LAO_AS_THAI)
    return anyascii(_latin_converter().transliterate(text))


def slug_text(text: str, max_length: int = 200) -> str:
    """A URL slug of a name in any script: 'ร้านข้าวสุรินทร์' -> 'ran-khaw-surinthr' (empty when the
    name has no letters at all)."""
    from django.utils.text import slugify

    return slugify(to_ascii(text))[:max_length].strip("-")
