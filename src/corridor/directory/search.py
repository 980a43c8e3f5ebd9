"""Search index of organisations: folded cross-script tokens, an inverted index and facet rows.

Three stores, all rebuilt from the ORM by `reindex_organisations`:

- `Organisation.search_text`: the folded tokens (words, and trigrams of no-space scripts), kept
  readable for simple `contains` filters elsewhere.
- An inverted index of the same tokens: an FTS5 table on SQLite, a GIN-indexed tsvector on
  PostgreSQL. FTS tokenizers split Thai combining marks or Burmese medials inside a token, so
  every non-ASCII token is stored as an ASCII surrogate ('x' + a short hash), and queries are
  encoded the same way: the index only ever sees [a-z0-9] words.
- `directory_org_facet`: one row per organisation and facet value (country, province,
  corridor, HS chapter/heading, certification, cluster, type) with the organisation's
  visibility (`vis`), to select the matching ids and count facets from indexes alone instead of
  joins over organisations, products and certificates.

`directory_facet_count` holds the facet counts of the unfiltered directory per visibility,
maintained by triggers (migration 0003), so the browse page does not count 100,000 rows. A
filtered set larger than `EXACT_COUNT_LIMIT` has its facets counted on a regular sample of its
ids and scaled: the page says those counts are approximate.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from corridor.core.text import (
    accented_words,
    char_ngrams,
    fold,
    script_of,
    segment,
    singular,
    stem,
    tokens,
    zawgyi_to_unicode,
)
from corridor.directory.models import HSCode, Organisation
from corridor.matching import glossary

FTS_TABLE = "directory_org_fts"  # SQLite FTS5: rowid = organisation id; columns name, body, vis
FTS_TEXT = "{name body}"  # the text columns (vis holds "v0", "v1" or "v2": see migration 0009)
# bm25 weights of name, body and vis: a match in the name counts five times one elsewhere.
BM25 = f"bm25({FTS_TABLE}, 5.0, 1.0, 0.0)"
PG_TABLE = "directory_org_search"  # PostgreSQL: org_id, tsv (GIN), vis
FACET_TABLE = "directory_org_facet"  # org_id, facet, value, label, until, vis
COUNT_TABLE = "directory_facet_count"  # vis, facet, value, until ('' = none), label, n
META_TABLE = "directory_search_meta"  # key, value: the index generation, for caches

# Visibility of an organisation in the facet rows (kept in step by triggers).
VIS_HIDDEN, VIS_PRIVATE, VIS_PUBLIC = 0, 1, 2
# Facets of a set up to this size are counted exactly (a GROUP BY over ~8 rows per
# organisation); above it on a regular sample of about this size.
EXACT_COUNT_LIMIT = 1000
# PostgreSQL visits every match's table row to count it (its id and visibility are there, not in
# the GIN index), about 1 µs a row without reading the tsvector; probing one id by primary key
# reads the row's tsvector to match it, about six row visits. A text search expected to match at
# least PROBE_FROM organisations, more than PROBE_COST times the probes it would take, is
# counted and its facets sampled by probing every k-th id instead (`_probe_step`).
PROBE_FROM = 10_000
PROBE_COST = 6
# From this many organisations on, a reindex on PostgreSQL skips the per-row count triggers and
# recounts every facet once at the end (about a second per 100,000 organisations).
BULK_REINDEX = 500

# Facet names as stored in FACET_TABLE (and used as query parameters).
FACETS = ("kind", "country", "province", "corridor", "hs2", "hs4", "cert", "cluster")

_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
_WORD_RE = re.compile(
    r"(?:\w|[\u0E00-\u0EFF\u1000-\u109F\u1780-\u17FF\u19E0-\u19FF\uAA60-\uAA7F])+"
)
_NOSPACE_SCRIPTS = {"thai", "lao", "khmer", "myanmar"}
# Prefix matching of the last Latin word only from this length on: "ce*" would match half the
# index and cost more than it helps.
MIN_PREFIX = 3


def term(token: str) -> str:
    """The ASCII word under which `token` is stored in the inverted index."""
    if _ASCII_TOKEN.fullmatch(token):
        return token
    return "x" + hashlib.blake2b(token.encode(), digest_size=6).hexdigest()


def concepts_of(text: str) -> list[str]:
    """Glossary concepts named in a text (matching's multilingual glossary: ข้าว, gạo, rice and
    ស្រូវ are all "rice"), English plurals included ("mangoes", "ceramics")."""
    found = glossary.concepts(text)
    words = re.findall(r"[a-z]+", fold(text))
    plural = [w for w in words if singular(w) != w]
    if plural:
        found += glossary.concepts(" ".join(singular(w) for w in words))
    return list(dict.fromkeys(found))


# Concept tokens start with a character no word token has (tokens are \w runs).
CONCEPT_MARK = "~"


def concept_token(concept: str) -> str:
    """The token under which organisations naming a glossary concept are indexed."""
    return f"{CONCEPT_MARK}{concept}"


def document_tokens(*parts: str | None) -> list[str]:
    """Index tokens of some fields: the folded tokens of `core.text.tokens`, the English stem of
    Latin words ("ceramics" also as "ceram"), the exact accented forms of Vietnamese words
    ("gốm" besides "gom"), and one token per glossary concept named ("~rice" for ข้าว, gạo...)."""
    seen: dict[str, None] = {}
    extra: dict[str, None] = {}
    for part in parts:
        if not part:
            continue
        for tok in tokens(part):
            seen.setdefault(tok, None)
            stemmed = stem(tok)
            if stemmed != tok:
                extra.setdefault(stemmed, None)
        for word in accented_words(part):
            extra.setdefault(word, None)
    # One look-up for all the fields (its cost is per call, not per character); a line break
    # keeps a term from spanning two fields.
    for concept in concepts_of("\n".join(p for p in parts if p)):
        extra.setdefault(concept_token(concept), None)
    return list(seen) + [t for t in extra if t not in seen]


def organisation_document(org: Organisation) -> str:
    """Tokens of an organisation's names, descriptions, places and products."""
    parts: list[str | None] = [org.name, org.local_name, org.description, org.local_description]
    parts += [org.product_focus, org.country.name, org.country.local_name]
    if org.province_id:
        parts += [org.province.name, org.province.local_name]
        parts += [a.name for a in org.province.aliases.all()]
    if org.cluster_id:
        # "bat trang" finds every member of the Bat Trang cluster, not only those saying so.
        parts += [org.cluster.name, org.cluster.local_name]
    for p in org.products.all():
        if p.is_active:
            parts += [p.name, p.local_name, p.description, p.hs_code_id]
    return " ".join(document_tokens(*parts))


# --- Index maintenance -----------------------------------------------------------------------


def _vis(org: Organisation) -> int:
    if org.merged_into_id:
        return VIS_HIDDEN
    return VIS_PUBLIC if org.is_published else VIS_PRIVATE


def _facet_rows(org: Organisation, hs_labels: dict[str, str]) -> list[tuple]:
    """(org_id, facet, value, label, until, name, vis) rows of one organisation."""
    rows = [
        (org.id, "kind", org.kind, "", None),
        (org.id, "country", org.country_id, org.country.name, None),
    ]
    if org.province_id:
        rows.append((org.id, "province", org.province_id, org.province.name, None))
        for c in org.province.corridors.all():
            rows.append((org.id, "corridor", c.slug, c.name, None))
    if org.cluster_id:
        rows.append((org.id, "cluster", str(org.cluster_id), org.cluster.name, None))
    codes = {p.hs_code_id for p in org.products.all() if p.is_active and p.hs_code_id}
    for code in sorted({c[:2] for c in codes}):
        rows.append((org.id, "hs2", code, hs_labels.get(code, ""), None))
    for code in sorted({c[:4] for c in codes if len(c) >= 4}):
        rows.append((org.id, "hs4", code, hs_labels.get(code, ""), None))
    # One row per kind with its latest expiry (None: no expiry): the count query drops expired
    # certificates at query time, so a certificate stops counting the day after it expires.
    until: dict[str, object] = {}
    for cert in org.certifications.all():
        if cert.kind in until and until[cert.kind] is None:
            continue
        if cert.valid_until is None or cert.kind not in until:
            until[cert.kind] = cert.valid_until
        else:
            until[cert.kind] = max(until[cert.kind], cert.valid_until)
    for kind, date in sorted(until.items()):
        rows.append((org.id, "cert", kind, "", date.isoformat() if date else None))
    vis = _vis(org)
    return [(*row, org.name, vis) for row in rows]


def _name_terms(org: Organisation) -> str:
    return " ".join(dict.fromkeys(term(t) for t in document_tokens(org.name, org.local_name)))


def _write_index(
    ids: list[int], docs: list[tuple[int, str, str, int]], facets: list[tuple]
) -> None:
    with connection.cursor() as cur:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join(["%s"] * len(chunk))
            if connection.vendor == "sqlite":
                cur.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", chunk)
            elif connection.vendor == "postgresql":
                cur.execute(f"DELETE FROM {PG_TABLE} WHERE org_id IN ({marks})", chunk)
            cur.execute(f"DELETE FROM {FACET_TABLE} WHERE org_id IN ({marks})", chunk)
        if connection.vendor == "sqlite":
            cur.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, name, body, vis) VALUES (%s, %s, %s, %s)",
                [(*doc[:3], f"v{doc[3]}") for doc in docs],
            )
        elif connection.vendor == "postgresql":
            cur.executemany(
                f"INSERT INTO {PG_TABLE} (org_id, tsv, vis) VALUES (%s, "
                "setweight(to_tsvector('simple', %s), 'A') || "
                "setweight(to_tsvector('simple', %s), 'D'), %s)",
                docs,
            )
        cur.executemany(
            f"INSERT INTO {FACET_TABLE} (org_id, facet, value, label, until, name, vis) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            facets,
        )
        cur.execute(f"UPDATE {META_TABLE} SET value = value + 1 WHERE key = 'generation'")


def reindex_organisations(ids: Iterable[int]) -> int:
    """Recompute the search text, index and facet rows of the given organisations.

    Ids of deleted organisations are welcome: their index rows are removed. Returns how many
    organisations were indexed.
    """
    ids = sorted(set(ids))
    if not ids:
        return 0
    done = 0
    bulk = connection.vendor == "postgresql" and len(ids) >= BULK_REINDEX
    with transaction.atomic(), connection.cursor() as cur:
        if bulk:
            cur.execute("SET LOCAL corridor.bulk_index = 'on'")
        for start in range(0, len(ids), 2000):
            done += _reindex_batch(ids[start : start + 2000])
        if bulk:
            # Not left on for the rest of an enclosing transaction (a rollback undoes it too).
            cur.execute("SET LOCAL corridor.bulk_index = 'off'")
            recount_facets()
    return done


def recount_facets() -> None:
    """Recompute the facet count table from the facet rows."""
    until = "until::text" if connection.vendor == "postgresql" else "until"
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {COUNT_TABLE}")
        cur.execute(
            f"INSERT INTO {COUNT_TABLE} (vis, facet, value, until, label, n) "
            f"SELECT vis, facet, value, COALESCE({until}, ''), MAX(label), COUNT(*) "
            f"FROM {FACET_TABLE} GROUP BY vis, facet, value, COALESCE({until}, '')"
        )


def _reindex_batch(ids: list[int]) -> int:
    orgs = list(
        Organisation.objects.filter(id__in=ids)
        .select_related("country", "province", "cluster")
        .prefetch_related("province__aliases", "province__corridors", "products", "certifications")
    )
    codes = {p.hs_code_id for o in orgs for p in o.products.all() if p.hs_code_id}
    wanted = {c[:2] for c in codes} | {c[:4] for c in codes}
    # Facet labels are varchar(200); PostgreSQL rejects the longer HS headings (chapter 94...).
    hs_labels = {
        code: text[:200]
        for code, text in HSCode.objects.filter(code__in=wanted).values_list("code", "description")
    }
    docs, facets = [], []
    for org in orgs:
        org.search_text = organisation_document(org)
        body = " ".join(dict.fromkeys(term(t) for t in org.search_text.split()))
        docs.append((org.id, _name_terms(org), body, _vis(org)))
        facets += _facet_rows(org, hs_labels)
    Organisation.objects.bulk_update(orgs, ["search_text"], batch_size=500)
    _write_index(ids, docs, facets)
    return len(orgs)


def rebuild_index() -> int:
    """Reindex every organisation (after a bulk import or a restore), then refresh the
    planner's statistics: without them SQLite sorts the whole directory to show 20 names.

    One transaction: searches meanwhile read the previous index, never an empty one."""
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {FACET_TABLE}")
            cur.execute(f"DELETE FROM {FTS_TABLE if connection.vendor == 'sqlite' else PG_TABLE}")
            cur.execute(f"DELETE FROM {COUNT_TABLE}")
        done = reindex_organisations(Organisation.objects.values_list("id", flat=True))
    analyze()
    return done


def analyze() -> None:
    """Refresh the query planner's statistics of the directory and its index."""
    tables = [Organisation._meta.db_table, FACET_TABLE, COUNT_TABLE]
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            for table in tables:
                cur.execute(f"ANALYZE {table}")
        elif connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {', '.join([*tables, PG_TABLE])}")


def index_generation() -> int:
    """A number that changes whenever the index changes (cache keys of facet counts use it)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'generation'")
        row = cur.fetchone()
    return row[0] if row else 0


# --- Queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextQuery:
    """A parsed query: every clause must match; a clause matches when any of its alternatives
    does, and an alternative when all its terms do. A term ending in `*` is a prefix."""

    clauses: tuple[tuple[tuple[str, ...], ...], ...]
    # The index terms of glossary concepts among the alternatives (see `_with_concepts`).
    concepts: frozenset[str] = frozenset()
    # Matched in the organisations' names only (the first tier: see `tiers`).
    names: bool = False
    # Also matched when the names match this broader query (the last tier but one).
    or_names: TextQuery | None = None

    def __bool__(self) -> bool:
        return bool(self.clauses)

    def tiers(self) -> list[TextQuery]:
        """Nested narrowings of the query, strictest first, each distinct: the first (exact)
        alternative of every clause ("ceramics" itself, the dictionary words of a Thai run) in
        the names, then anywhere, then the user's own words in every form (English stems,
        character trigrams), then the query itself (glossary concepts too). The matches of
        each tier come before those that only the next one adds.

        The name tier is where ranking would put most of the first page anyway (names weigh
        five to ten times the rest), and it keeps a broad word cheap: "silk" matches 49,049 of
        100,000 organisations, 16,000 of them by name, and only those are ranked for the first
        pages (ranking is most of a match's cost). For the same reason what the query itself
        adds comes in two steps: first the organisations named for it (`xoài`'s mangoes in any
        language), then the rest of its matches."""
        exact = tuple(c[:1] for c in self.clauses)
        out: list[TextQuery] = []
        tiers = (TextQuery(exact, names=True), TextQuery(exact), self.words(), self)
        for tier in tiers:
            if tier is None or not tier.clauses:
                continue
            if not out or (tier.clauses, tier.names) != (out[-1].clauses, out[-1].names):
                out.append(tier)
        if len(out) > 2 and out[-1] is self:
            named = TextQuery(self.clauses, names=True)
            out.insert(-1, dataclasses.replace(out[-2], or_names=named))
        return out

    def ranking(self) -> TextQuery:
        """The query whose terms rank the matches (the broader one of an `or_names` tier)."""
        return self.or_names or self

    def words(self) -> TextQuery | None:
        """The query without the alternatives made of concept terms only: what the user's own
        words match. None when no concept was added."""
        if not self.concepts:
            return None
        return TextQuery(
            tuple(
                tuple(alt for alt in clause if not set(alt) <= self.concepts)
                for clause in self.clauses
            )
        )


def _runs(word: str) -> list[tuple[bool, str]]:
    """Split a word into runs of no-space script (Thai, Lao, Khmer, Burmese) and the rest."""
    out: list[tuple[bool, str]] = []
    for ch in word:
        nospace = script_of(ch) in _NOSPACE_SCRIPTS
        if out and out[-1][0] == nospace:
            out[-1] = (nospace, out[-1][1] + ch)
        else:
            out.append((nospace, ch))
    return out


# A query longer than this many words is not expanded further (each word costs a clause).
MAX_WORDS = 8
# At most this many ways to spell a run of words that together name one glossary concept.
MAX_SPELLINGS = 8


def exact_in_index(word: str) -> bool:
    """Whether some organisation's text holds this exact (accented) word."""
    t = term(word)
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT 1",
                [f'{FTS_TEXT} : "{t}"'],
            )
        elif connection.vendor == "postgresql":
            cur.execute(
                f"SELECT 1 FROM {PG_TABLE} WHERE tsv @@ to_tsquery('simple', %s) LIMIT 1", [t]
            )
        else:
            return Organisation.objects.filter(search_text__contains=word).exists()
        return cur.fetchone() is not None


def _word_alternatives(run: str, exact_known) -> tuple[list[tuple[str, ...]], bool]:
    """(alternatives of index tokens, whether it is one plain Latin word) of a Latin run."""
    folded = list(dict.fromkeys(tokens(run)))
    if not folded:
        return [], False
    single = len(folded) == 1 and bool(_ASCII_TOKEN.fullmatch(folded[0]))
    if single and accented_words(run) == [run]:
        if exact_known(run):
            # "gốm" (pottery) is written so somewhere: do not let it find "gồm" (consists of).
            return [(run,)], False
        # Written nowhere with these marks: the folded word, whole ("trà" is not "tràng").
        return [tuple(folded)], False
    alts = [tuple(folded)]
    if single and stem(folded[0]) != folded[0]:
        alts.append((stem(folded[0]),))  # "ceramics" finds "ceramic" (both "ceram")
    return alts, single


def parse_query(q: str, *, exact_known=exact_in_index) -> TextQuery:
    """Turn what a user typed into index terms.

    Latin words (Vietnamese folded: "Bat Trang" = "Bát Tràng") must all match, each as itself
    or its English stem; a Vietnamese word typed with its diacritics matches only that word
    when some organisation writes it so (`exact_known`). The last Latin word may be a prefix
    ("ceram" finds ceramics). A run of Thai, Lao, Khmer or Burmese matches when all its
    dictionary words match, or else when all its character trigrams do: the dictionary may cut
    the query differently from the indexed text ("ข้าวอินทรีย์" must find "ข้าวหอมมะลิอินทรีย์").

    A word, or a run of up to three words, that names a glossary concept (ข้าว, gạo, "cà phê")
    also matches every organisation indexed with that concept, whatever its language: the
    words themselves still match too, so exact words rank first.
    """
    text = unicodedata.normalize("NFC", zawgyi_to_unicode(q or "").casefold())
    words: list[tuple[str, list[tuple[str, ...]]]] = []
    last_latin = None
    for word in _WORD_RE.findall(text):
        for nospace, run in _runs(word):
            if nospace:
                run_f = fold(run)
                segs = tuple(dict.fromkeys(segment(run_f)))
                grams = tuple(dict.fromkeys(char_ngrams(run_f, 3)))
                alts = [segs] if segs == grams or not grams else [segs, grams]
                alts = [a for a in alts if a]
                single = False
            else:
                alts, single = _word_alternatives(run, exact_known)
            if alts:
                words.append((run, alts))
                last_latin = len(words) - 1 if single else None
    words = words[:MAX_WORDS]
    if last_latin is not None and last_latin == len(words) - 1:
        alts = words[-1][1]
        if len(alts[0][0]) >= MIN_PREFIX:
            alts[0] = (alts[0][0] + "*",)
    clauses = _with_concepts(words)
    encoded = [
        tuple(dict.fromkeys(tuple(_encode(t) for t in alt) for alt in clause)) for clause in clauses
    ]
    concepts = frozenset(
        _encode(t)
        for clause in clauses
        for alt in clause
        for t in alt
        if t.startswith(CONCEPT_MARK)
    )
    # Drop exact duplicates so "rice rice" costs one clause.
    return TextQuery(tuple(dict.fromkeys(c for c in encoded if c)), concepts)


def _encode(token: str) -> str:
    if token.endswith("*"):
        return term(token[:-1]) + "*"
    return term(token)


def _with_concepts(words: list[tuple[str, list[tuple[str, ...]]]]) -> list[list[tuple]]:
    """Clauses of the words: a word or run of words naming glossary concepts becomes one
    clause, matched by the words or by the concepts' tokens."""
    clauses: list[list[tuple]] = []
    single = [concepts_of(w) for w, _ in words]
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            if i + size > len(words):
                continue
            if size == 1:
                found = single[i]
            else:
                found = concepts_of(" ".join(w for w, _ in words[i : i + size]))
                alone = {c for k in range(i, i + size) for c in single[k]}
                if not set(found) - alone:
                    continue  # "organic rice" is two concepts, one per word
            spellings = [()]
            for _w, alts in words[i : i + size]:
                spellings = [s + a for s in spellings for a in alts][:MAX_SPELLINGS]
            if found:
                spellings.append(tuple(concept_token(c) for c in found))
            clauses.append(spellings)
            i += size
            break
    return clauses


def _fts5_term(t: str) -> str:
    return f'"{t[:-1]}"*' if t.endswith("*") else f'"{t}"'


def _fts5_expression(tq: TextQuery) -> str:
    parts = []
    for clause in tq.clauses:
        alts = [" AND ".join(_fts5_term(t) for t in alt) for alt in clause]
        parts.append("(" + " OR ".join(f"({a})" for a in alts) + ")")
    # Only the text columns: "v2" typed by a user must not match the visibility column.
    columns = "{name}" if tq.names else FTS_TEXT
    expr = f"{columns} : (" + " AND ".join(parts) + ")"
    if tq.or_names is not None:
        expr = f"({expr}) OR ({_fts5_expression(tq.or_names)})"
    return expr


def _tsquery_expression(tq: TextQuery) -> str:
    parts = []
    for clause in tq.clauses:
        alts = [" & ".join(t[:-1] + ":*" if t.endswith("*") else t for t in alt) for alt in clause]
        parts.append("(" + " | ".join(f"({a})" for a in alts) + ")")
    return " & ".join(parts)


# The names' lexemes (weight A of the search row): a GIN index of its own (migration 0010).
PG_NAMES = "ts_filter(tsv, '{a}')"


def _tsquery_match(tq: TextQuery) -> tuple[str, list]:
    """PostgreSQL: the condition that a search row matches `tq`, and its parameter."""
    column = PG_NAMES if tq.names else "tsv"
    where, params = f"{column} @@ to_tsquery('simple', %s)", [_tsquery_expression(tq)]
    if tq.or_names is not None:
        other, other_params = _tsquery_match(tq.or_names)
        where, params = f"({where} OR {other})", [*params, *other_params]
    return where, params


def filter_text(qs, tq: TextQuery):
    """Restrict an Organisation queryset to the matches of `tq`, annotated with `relevance`
    (lower is better, so that ordering by it ascending works on both databases)."""
    if not tq:
        return qs
    org = Organisation._meta.db_table
    if connection.vendor == "sqlite":
        return qs.extra(  # noqa: S610 - constant SQL, the query is a parameter
            tables=[FTS_TABLE],
            where=[f"{FTS_TABLE}.rowid = {org}.id", f"{FTS_TABLE} MATCH %s"],
            params=[_fts5_expression(tq)],
            select={"relevance": BM25},
        )
    if connection.vendor == "postgresql":
        expr = _tsquery_expression(tq)
        return qs.extra(  # noqa: S610
            tables=[PG_TABLE],
            where=[f"{PG_TABLE}.org_id = {org}.id", f"{PG_TABLE}.tsv @@ to_tsquery('simple', %s)"],
            params=[expr],
            select={"relevance": f"-ts_rank({PG_TABLE}.tsv, to_tsquery('simple', %s))"},
            select_params=[expr],
        )
    # Other databases: the folded token text, without trigram fallback or ranking.
    for tok in {t.rstrip("*") for clause in tq.clauses for t in clause[0]}:
        qs = qs.filter(search_text__contains=tok)
    return qs


@dataclass(frozen=True)
class Audience:
    """Whose view of the directory is counted: staff see every profile that was not merged
    away; others the published ones and the unpublished ones of their own organisations."""

    staff: bool = False
    own: tuple[int, ...] = ()

    def condition(self) -> tuple[str, list]:
        """SQL condition on the `vis` and `org_id` columns of facet rows (and search rows)."""
        if self.staff:
            return f"vis >= {VIS_PRIVATE}", []
        if self.own:
            marks = ",".join(["%s"] * len(self.own))
            return (
                f"(vis = {VIS_PUBLIC} OR (vis = {VIS_PRIVATE} AND org_id IN ({marks})))",
                list(self.own),
            )
        return f"vis = {VIS_PUBLIC}", []


# Facets from the one that usually selects the fewest organisations to the broadest.
_SELECTIVITY = ("cluster", "province", "hs4", "cert", "corridor", "country", "hs2", "kind")


def _facet_where(facet: str, values: Sequence[str], today) -> tuple[str, list]:
    marks = ",".join(["%s"] * len(values))
    sql = f"facet = %s AND value IN ({marks})"
    params: list = [facet, *values]
    if facet == "cert":
        sql += " AND (until IS NULL OR until >= %s)"
        params.append(today)
    return sql, params


def facet_subquery(facet: str, values: Sequence[str], today) -> tuple[str, list]:
    """SQL of the ids of organisations having any of `values` for `facet`."""
    where, params = _facet_where(facet, values, today)
    return f"SELECT org_id FROM {FACET_TABLE} WHERE {where}", params


def text_subquery(tq: TextQuery) -> tuple[str, list] | None:
    """SQL of the ids of organisations matching `tq` (None on databases without an index).

    Used as `org_id IN (...)`, never as `rowid IN (...)` on the FTS5 table: that form makes
    SQLite run the whole MATCH once per id."""
    if connection.vendor == "sqlite":
        return f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [_fts5_expression(tq)]
    if connection.vendor == "postgresql":
        return (
            f"SELECT org_id FROM {PG_TABLE} WHERE tsv @@ to_tsquery('simple', %s)",
            [_tsquery_expression(tq)],
        )
    return None


def _by_selectivity(facet_values: dict[str, Sequence[str]]) -> list[tuple[str, Sequence[str]]]:
    """The facets filtered on, the likely smallest set first: `matching_ids` selects its rows
    and tests the others per id through the (org_id, facet) index, which costs less than
    building the list of, say, every rice producer."""
    wanted = [(f, v) for f, v in facet_values.items() if v]
    return sorted(wanted, key=lambda item: _SELECTIVITY.index(item[0]))


def walks_facet(facet_values: dict[str, Sequence[str]]) -> bool:
    """Whether the ids of `matching_ids` (without text) are the rows of one facet value, which
    `named_page` can then read in name order from its index (migration 0011)."""
    wanted = _by_selectivity(facet_values)
    return bool(wanted) and len(wanted[0][1]) == 1


def matching_ids(
    audience: Audience,
    facet_values: dict[str, Sequence[str]],
    tq: TextQuery,
    today,
    *,
    base: bool = False,
) -> tuple[str, list] | None:
    """SQL of the ids of the organisations `audience` sees that have, for every facet of
    `facet_values`, one of its values, and match `tq`; read from the index alone.

    None when nothing filters (the whole directory: see `directory_facet_counts`), unless
    `base`: then the ids `audience` sees (what a text search ranks within)."""
    wanted = _by_selectivity(facet_values)
    text = text_subquery(tq) if tq else None
    if not wanted and text is None and not base:
        return None
    vis_sql, params = audience.condition()
    # Every indexed organisation has exactly one "kind" row: the base of a text-only search.
    (facet, values), *rest = wanted or [("kind", ())]
    if values:
        where, where_params = _facet_where(facet, values, today)
    else:
        where, where_params = "facet = %s", [facet]
    sql = f"SELECT org_id FROM {FACET_TABLE} WHERE {where} AND {vis_sql}"
    params = [*where_params, *params]
    for facet, values in rest:
        where, where_params = _facet_where(facet, values, today)
        # Unqualified columns in the subquery are those of `other`.
        sql += (
            f" AND EXISTS (SELECT 1 FROM {FACET_TABLE} other "
            f"WHERE other.org_id = {FACET_TABLE}.org_id AND {where})"
        )
        params += where_params
    if text is not None:
        sql += f" AND org_id IN ({text[0]})"
        params += text[1]
    return sql, params


@dataclass(frozen=True)
class Matches:
    """Where a text search looks: a condition on the rows of the inverted index (SQLite's FTS
    table, PostgreSQL's search table) and its parameters, and on SQLite possibly an FTS5
    expression that every match must also meet (the audience's visibility tokens).
    `text_search` asks it for the SQL of the matches of a query, ranked or not."""

    condition: str
    params: tuple
    fts: str = ""

    def ranked(self, tq: TextQuery, without: TextQuery | None = None) -> tuple[str, list]:
        """SQL of (org_id, r) of the matches of `tq` (and not of `without`), r lower for a
        better match."""
        if connection.vendor == "sqlite":
            expr = _fts5_expression(tq)
            if without is not None:
                expr = f"({expr}) NOT ({_fts5_expression(without)})"
            return self._sqlite(f"rowid AS org_id, {BM25} AS r", expr)
        where, params = _tsquery_match(tq)
        if without is not None:
            other, other_params = _tsquery_match(without)
            where, params = f"{where} AND NOT {other}", [*params, *other_params]
        return (
            f"SELECT org_id, -ts_rank(tsv, to_tsquery('simple', %s)) AS r FROM {PG_TABLE} "
            f"WHERE {where} AND {self.condition}",
            [_tsquery_expression(tq.ranking()), *params, *self.params],
        )

    def ids(self, tq: TextQuery) -> tuple[str, list]:
        """SQL of the ids of the matches of `tq`, unranked (ranking is most of a match's cost)."""
        if connection.vendor == "sqlite":
            return self._sqlite("rowid AS org_id", _fts5_expression(tq))
        where, params = _tsquery_match(tq)
        return (
            f"SELECT org_id FROM {PG_TABLE} WHERE {where} AND {self.condition}",
            [*params, *self.params],
        )

    def probed(self, tq: TextQuery, step: int) -> tuple[str, list]:
        """PostgreSQL: SQL of the ids of the matches of `tq` among the ids step, 2·step, ...
        looked up one by one on the primary key (see `_probe_step`)."""
        return (
            f"SELECT s.org_id FROM generate_series(%s, (SELECT MAX(org_id) FROM {PG_TABLE}), %s) "
            f"AS probe(id) JOIN {PG_TABLE} s ON s.org_id = probe.id "
            f"WHERE s.tsv @@ to_tsquery('simple', %s) AND {self.condition}",
            [step, step, _tsquery_expression(tq), *self.params],
        )

    def _sqlite(self, columns: str, expr: str) -> tuple[str, list]:
        if self.fts:
            expr = f"({expr}) AND {self.fts}"
        return (
            f"SELECT {columns} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND {self.condition}",
            [expr, *self.params],
        )


def matches_within(filter_sql: str, filter_params: Sequence) -> Matches:
    """The matches of a text search among the ids of `filter_sql`."""
    if connection.vendor == "sqlite":
        # +rowid: FTS5 would otherwise run the MATCH once per id of the filter.
        return Matches(f"+rowid IN ({filter_sql})", tuple(filter_params))
    return Matches(f"org_id IN ({filter_sql})", tuple(filter_params))


def visible_matches(audience: Audience) -> Matches:
    """As `matches_within`, among everything `audience` sees (a search without facets).

    The set of visible ids is most of the directory, and building it to test the matches
    against took half the time of a broad search (100,000 organisations, "cashew nuts"). The
    index rows carry the visibility instead: a column of PostgreSQL's search row (migration
    0005), tokens of SQLite's FTS row that the MATCH itself requires (migration 0009: 35 ms
    less on a search matching 57,000). Someone with unpublished organisations of their own
    also sees those: on SQLite each match is then looked up in the facet index."""
    vis_sql, params = audience.condition()
    if connection.vendor == "postgresql":
        return Matches(vis_sql, tuple(params))  # its vis and org_id are the search row's
    if audience.staff:
        return Matches("1", (), f'vis : ("v{VIS_PRIVATE}" OR "v{VIS_PUBLIC}")')
    if not audience.own:
        return Matches("1", (), f'vis : "v{VIS_PUBLIC}"')
    # Unqualified columns of the condition are those of `v`.
    visible = (
        f"EXISTS (SELECT 1 FROM {FACET_TABLE} v WHERE v.org_id = {FTS_TABLE}.rowid "
        f"AND v.facet = 'kind' AND {vis_sql})"
    )
    return Matches(visible, tuple(params))


@dataclass(frozen=True)
class TextSearch:
    total: int
    page_ids: list[int]  # best first
    counts: dict[str, list[tuple]] | None  # as `facet_counts`, when asked for
    approximate: bool = False  # the total (and counts) estimated from probed ids


def _probe_step(matches: Matches, tq: TextQuery) -> int:
    """k when a PostgreSQL text search should be counted on the ids k, 2k, 3k... only, else 0.

    The planner's estimate of the matches decides: at 100,000 organisations "ข้าว" expanded to
    every language matches 57,039 (only its 12,115 own-word matches are ranked for the first
    pages); visiting their rows cost five times as much as probing every 62nd id (1,612
    probes, 924 matches). The sample is the one `text_search` counts facets on anyway (every
    k-th id), and the total is its size times k. Only for searches of several tiers: a single
    tier is ranked whole anyway, and counted on the way."""
    if connection.vendor != "postgresql":
        return 0
    sql, params = matches.ids(tq)
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cur.fetchone()[0]
        expected = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]
        if expected < PROBE_FROM:
            return 0
        cur.execute(f"SELECT MAX(org_id) FROM {PG_TABLE}")
        span = cur.fetchone()[0] or 0
    step = sample_step(int(expected))
    return step if PROBE_COST * span / step < expected else 0


def text_search(
    matches: Matches, tq: TextQuery, today, offset: int, limit: int, facets: bool
) -> TextSearch:
    """The size of a text search, one page of its ids and (if `facets`) its facet counts, in
    one query that matches the text once: each of the three alone cost as much as the match.

    Matches come in the tiers of `TextQuery.tiers`: the exact words first, ranked among
    themselves, then what the other forms of the user's words add, then what glossary
    concepts add (ข้าว finding "rice", "gạo"...), each ranked among itself by a further query
    only when a page reaches it. Ranking is most of the cost of a match (about 2 µs per match
    and query term on SQLite, matching alone a tenth of that): "ข้าว" matches 57,039 of
    100,000 organisations, 12,115 of them by the word itself, and only those are ranked for
    the first pages.

    Facets of a set above EXACT_COUNT_LIMIT are counted on every k-th id and scaled, k as in
    `sample_step`."""
    tiers = tq.tiers()
    first = matches.ranked(tiers[0])
    limit_n = EXACT_COUNT_LIMIT
    step = f"CASE WHEN n.c <= {limit_n} THEN 1 ELSE (n.c + {limit_n - 1}) / {limit_n} END"
    count = "COUNT(*)"
    probe = _probe_step(matches, tq) if len(tiers) > 1 else 0
    if len(tiers) == 1:
        # One set: it is counted and paged at once.
        with_sql, params = f"m AS MATERIALIZED ({first[0]})", list(first[1])
        head = "m"
    elif probe:
        # m: the probed sample, standing for k matches each.
        sample = matches.probed(tq, probe)
        with_sql = f"w AS MATERIALIZED ({first[0]}), m AS MATERIALIZED ({sample[0]})"
        params = [*first[1], *sample[1]]
        head, step, count = "w", str(probe), f"COUNT(*) * {probe}"
    else:
        every = matches.ids(tq)
        with_sql = f"m AS MATERIALIZED ({every[0]}), w AS MATERIALIZED ({first[0]})"
        params = [*every[1], *first[1]]
        head = "w"
    sql = (
        f"WITH {with_sql}, n AS (SELECT {count} AS c FROM m), "
        f"s AS (SELECT {step} AS k FROM n) "
        "SELECT 't', '', '', c, 0 FROM n UNION ALL "
        f"SELECT 'w', '', '', COUNT(*), 0 FROM {head} UNION ALL "
        "SELECT 'p', CAST(org_id AS TEXT), '', 0, r FROM "
        f"(SELECT org_id, r FROM {head} ORDER BY r, org_id LIMIT %s OFFSET %s) page"
    )
    params += [limit, offset]
    if facets:
        sql += (
            " UNION ALL SELECT facet, value, MAX(label), COUNT(*) * (SELECT k FROM s), 0 "
            f"FROM {FACET_TABLE} WHERE org_id IN (SELECT org_id FROM m "
            "WHERE org_id %% (SELECT k FROM s) = 0) AND (until IS NULL OR until >= %s) "
            "GROUP BY facet, value"
        )
        params.append(today)
    total, reached, page, counts = 0, 0, [], {f: [] for f in FACETS} if facets else None
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for part, value, label, count, rank in cur.fetchall():
            if part == "t":
                total = int(count)
            elif part == "w":
                reached = int(count)  # the rows of the tiers ranked so far
            elif part == "p":
                page.append((rank, int(value)))
            else:
                counts.setdefault(part, []).append((value, label or "", int(count)))
        page_ids = [i for _, i in sorted(page)]
        if probe:
            # An estimate: never below what was counted exactly, and said with 3 figures.
            total = max(reached, _three_figures(total))
        for narrower, tier in zip(tiers, tiers[1:], strict=False):
            wanted = limit - len(page_ids)
            if wanted <= 0 or reached >= total:
                break
            if tier is tiers[-1]:
                size = total
            else:
                ids_sql, ids_params = matches.ids(tier)
                cur.execute(f"SELECT COUNT(*) FROM ({ids_sql}) tier", ids_params)
                size = cur.fetchone()[0]
            if offset < size:  # the page reaches this tier's rows
                rest_sql, rest_params = matches.ranked(tier, without=narrower)
                cur.execute(
                    f"SELECT org_id FROM ({rest_sql}) rest ORDER BY r, org_id LIMIT %s OFFSET %s",
                    [*rest_params, wanted, max(0, offset - reached)],
                )
                page_ids += [int(i) for (i,) in cur.fetchall()]
            reached = size
    return TextSearch(total, page_ids, counts, approximate=bool(probe))


def _three_figures(n: int) -> int:
    return round(n, 3 - len(str(n))) if n >= 1000 else n


def named_page(
    qs, ids_sql: str, ids_params: Sequence, offset: int, limit: int, *, walk: bool = False
):
    """The organisations of `qs` on one page of the ids of `ids_sql` in name order, in one
    query: only the page's rows of the wide organisation table are read.

    With `walk` (the ids are one facet value's rows, see `walks_facet`) the page's ids are read
    along that value's (name, org_id) index, the other filters tested per row. Otherwise they
    are sorted in a subquery over the (id, name) index; PostgreSQL plans this well only with
    the (facet, value) statistics of migration 0004: fencing the ids (selected once, then
    sorted) or testing names against a hash of them cost 30 ms on every page, against 1-7 ms
    for most pages and 40 ms at worst as a join."""
    org = Organisation._meta.db_table
    if walk:
        page_sql = f"{ids_sql} ORDER BY name, org_id LIMIT %s OFFSET %s"
    else:
        page_sql = (
            f"SELECT id FROM {org} WHERE id IN ({ids_sql}) ORDER BY name, id LIMIT %s OFFSET %s"
        )
    return qs.extra(  # noqa: S610 - our SQL, values are parameters
        where=[f"{org}.id IN ({page_sql})"], params=[*ids_params, limit, offset]
    ).order_by("name", "id")


def count_ids(ids_sql: str, ids_params: Sequence) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM ({ids_sql}) matching", list(ids_params))
        return cur.fetchone()[0]


def count_and_facets(ids_sql: str, ids_params: Sequence, today) -> tuple[int, dict]:
    """(size, {facet: [(value, label, count)]}) of the organisations selected by `ids_sql`,
    in one query that selects them once (a text match is the costly part).

    A set above EXACT_COUNT_LIMIT has the facets of every k-th id only counted, and the counts
    multiplied by k (see `sample_step`, which this SQL computes the same way)."""
    limit = EXACT_COUNT_LIMIT
    step = f"CASE WHEN n.c <= {limit} THEN 1 ELSE (n.c + {limit - 1}) / {limit} END"
    sql = (
        f"WITH m AS MATERIALIZED ({ids_sql}), n AS (SELECT COUNT(*) AS c FROM m), "
        f"s AS (SELECT {step} AS k FROM n) "
        "SELECT '', '', '', c FROM n UNION ALL "
        f"SELECT facet, value, MAX(label), COUNT(*) * (SELECT k FROM s) FROM {FACET_TABLE} "
        "WHERE org_id IN (SELECT org_id FROM m WHERE org_id %% (SELECT k FROM s) = 0) "
        "AND (until IS NULL OR until >= %s) GROUP BY facet, value"
    )
    out: dict[str, list[tuple]] = {f: [] for f in FACETS}
    total = 0
    with connection.cursor() as cur:
        cur.execute(sql, [*ids_params, today])
        for facet, value, label, count in cur.fetchall():
            if facet == "":
                total = int(count)
            else:
                out.setdefault(facet, []).append((value, label or "", int(count)))
    return total, out


def sample_step(total: int | None) -> int:
    """1 (count every organisation) or k (count every k-th id) for a set of `total`."""
    if not total or total <= EXACT_COUNT_LIMIT:
        return 1
    return math.ceil(total / EXACT_COUNT_LIMIT)


def directory_facet_counts(audience: Audience, today) -> dict[str, list[tuple]]:
    """Facet counts of everything `audience` sees, from the maintained count table, plus the
    audience's own unpublished organisations."""
    vis = f"vis IN ({VIS_PRIVATE}, {VIS_PUBLIC})" if audience.staff else f"vis = {VIS_PUBLIC}"
    sql = (
        f"SELECT facet, value, MAX(label), SUM(n) FROM {COUNT_TABLE} "
        f"WHERE {vis} AND (until = '' OR until >= %s) GROUP BY facet, value"
    )
    params: list = [today]
    if audience.own and not audience.staff:
        marks = ",".join(["%s"] * len(audience.own))
        sql += (
            f" UNION ALL SELECT facet, value, label, 1 FROM {FACET_TABLE} "
            f"WHERE org_id IN ({marks}) AND vis = {VIS_PRIVATE} "
            "AND (until IS NULL OR until >= %s)"
        )
        params += [*audience.own, today]
    totals: dict[tuple[str, str], list] = {}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for facet, value, label, count in cur.fetchall():
            row = totals.setdefault((facet, value), [label or "", 0])
            row[1] += int(count)
    out: dict[str, list[tuple]] = {f: [] for f in FACETS}
    for (facet, value), (label, count) in totals.items():
        if count > 0:
            out.setdefault(facet, []).append((value, label, count))
    return out
