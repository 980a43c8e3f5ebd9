"""A small hand-made multilingual glossary of traded products of the region → English concepts.

It bridges scripts where the embedding model is weak (Khmer, Lao, Burmese; short queries) and
lets BM25 match a Vietnamese request with a Thai offer through a shared concept token. It names
product nouns and common states (frozen, dried, organic); it deliberately holds no HS codes and
was written from general trade vocabulary, not from any evaluation set.

Matching is on folded text (corridor.core.text.fold): longest terms first, and a matched term
is blanked so that a shorter one inside it does not match too (ข้าวโพด is maize, not rice).
Latin-script terms match whole words; other scripts match anywhere (they have no spaces).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib import resources

from corridor.core.text import fold, zawgyi_to_unicode


@functools.cache
def _concepts() -> dict[str, tuple[str, tuple[str, ...]]]:
    """concept -> (English words for HS descriptions, terms in en/vi/th/km/lo/my/zh).

    Kept in data/glossary.json so that staff can extend it without touching code.
    """
    path = resources.files("corridor.matching") / "data" / "glossary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {c: (v["gloss"], tuple(v["terms"])) for c, v in data.items()}


_NOSPACE = re.compile(r"[^\x00-\u02ff]")
# Short English words that folded Vietnamese syllables spell ("đồ gỗ" -> "do go").
_ENGLISH_WORDS = frozenset(
    "a an as at be by do go he hi if in is it me my no of on or so to up us we "
    "ban bat can con hat man mat may tan ten the top van".split()
)


@functools.cache
def _terms() -> list[tuple[str, str, str]]:
    """(term, concept, how) sorted longest first; how is "ascii", "accented" or "nospace".

    Vietnamese terms keep their diacritics (folding would make "cà" aubergine into "cá" fish);
    plain ASCII terms match folded text, and other scripts match anywhere in folded text.

    SME owners often type Vietnamese without diacritics on a phone: a term of two words or more
    also matches folded ("ca phe" is coffee) when its folded form names one concept only;
    single words stay accented-only ("lua" is rice or silk, "giay" paper or shoes).
    """
    out = []
    unaccented: dict[str, set[str]] = {}
    for concept, (_english, terms) in _concepts().items():
        for term in terms:
            if _NOSPACE.search(fold(term)):
                out.append((fold(term), concept, "nospace"))
            elif term.isascii():
                out.append((term.casefold(), concept, "ascii"))
            else:
                out.append((_lower(term), concept, "accented"))
                unaccented.setdefault(fold(term), set()).add(concept)
    taken = {t for t, _c, how in out if how == "ascii"}
    for folded, named in unaccented.items():
        if " " not in folded or len(named) > 1 or folded in taken:
            continue
        if all(word in _ENGLISH_WORDS for word in folded.split()):
            continue  # "đồ gỗ" folds to "do go": English text would name furniture
        out.append((folded, next(iter(named)), "ascii"))
    out.sort(key=lambda t: (-len(t[0]), t[0]))
    return out


def _lower(text: str) -> str:
    return unicodedata.normalize("NFC", text.casefold())


@functools.cache
def _word_pattern(how: str) -> tuple[re.Pattern, dict[str, str]]:
    table = {t: c for t, c, h in _terms() if h == how}
    alternation = "|".join(re.escape(t) for t in sorted(table, key=lambda t: (-len(t), t)))
    return re.compile(rf"(?<![\w])(?:{alternation})(?![\w])"), table


def concepts(text: str) -> list[str]:
    """The glossary concepts named in a text, in order of first appearance, without repeats."""
    return list(_concepts_of(text)) if text else []


@functools.lru_cache(maxsize=1024)
def _concepts_of(text: str) -> tuple[str, ...]:
    """concepts(), kept for recent texts: a text's BM25 tokens, its English gloss and the
    suggester's product conflicts each ask for them."""
    folded = fold(text)
    found: dict[int, str] = {}
    for how, haystack in (("accented", _lower(zawgyi_to_unicode(text))), ("ascii", folded)):
        pattern, table = _word_pattern(how)
        for m in pattern.finditer(haystack):
            found.setdefault(m.start(), table[m.group(0)])
    if _NOSPACE.search(folded):
        blanked = folded
        for term, concept in _nospace_candidates(folded):
            start = blanked.find(term)
            while start >= 0:
                found.setdefault(start, concept)
                blanked = blanked[:start] + " " * len(term) + blanked[start + len(term) :]
                start = blanked.find(term, start + len(term))
    return tuple(dict.fromkeys(found[k] for k in sorted(found)))


@functools.cache
def _nospace_by_start() -> dict[str, list[tuple[int, str, str]]]:
    """The no-space terms by their first two characters ("" when those hold a space), with
    their place in _terms()' order."""
    out: dict[str, list[tuple[int, str, str]]] = {}
    for order, (term, concept, how) in enumerate(_terms()):
        if how == "nospace":
            start = term[:2] if len(term) > 1 and " " not in term[:2] else ""
            out.setdefault(start, []).append((order, term, concept))
    return out


def _nospace_candidates(folded: str) -> list[tuple[str, str]]:
    """The no-space terms that may occur in a folded text, in _terms()' order: those whose
    first two characters occur together in it (blanking only turns characters into spaces,
    so no other can be found). A text then tries tens of terms instead of all ~1,400."""
    by_start = _nospace_by_start()
    found = list(by_start.get("", ()))
    for pair in {folded[i : i + 2] for i in range(len(folded) - 1)}:
        found.extend(by_start.get(pair, ()))
    return [(term, concept) for _order, term, concept in sorted(found)]


def concept_tokens(text: str) -> list[str]:
    """Language-neutral tokens ('~rice') for BM25, so that ข้าว and gạo meet."""
    return [f"~{c}" for c in concepts(text)]


def english_gloss(text: str) -> str:
    """English words for the concepts of a text ('ข้าวหอมมะลิ' -> 'rice'), for HS descriptions."""
    return " ".join(_concepts()[c][0] for c in concepts(text))
