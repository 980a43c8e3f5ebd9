"""`corridor match rank`: rank a JSON Lines catalog of offers for JSON Lines queries."""

from __future__ import annotations

import argparse
import sys

from corridor.matching.jsonl import dump, open_input, read_rows, report, writer
from corridor.matching.records import Offer, Query, RecordError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corridor match", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rank = sub.add_parser("rank", help="rank catalog offers for each query")
    rank.add_argument("--catalog", required=True, help="JSON Lines of offers ('-' for stdin)")
    rank.add_argument("--queries", required=True, help="JSON Lines of queries ('-' for stdin)")
    rank.add_argument("--top", type=int, default=10, help="results per query (default 10)")
    return parser


def _load(path: str, parse) -> tuple[list, int]:
    """Parsed records and the number of bad rows (reported on stderr as they are met)."""
    records, bad = [], 0
    with open_input(path) as stream:
        for number, row, error in read_rows(stream):
            if error is None:
                try:
                    records.append(parse(row))
                    continue
                except RecordError as exc:
                    error = str(exc)
                except (TypeError, ValueError, AttributeError) as exc:
                    error = f"bad row: {exc}"
            report(path, number, error)
            bad += 1
    return records, bad


def main(argv: list[str]) -> int:
    """Entry point; returns 0 when at least one query was ranked."""
    args = _parser().parse_args(argv)
    if args.catalog == "-" and args.queries == "-":
        print("only one of --catalog and --queries can be standard input", file=sys.stderr)
        return 2
    if args.top < 1:
        print("--top must be at least 1", file=sys.stderr)
        return 2
    offers, _ = _load(args.catalog, Offer.from_dict)
    queries, _ = _load(args.queries, Query.from_dict)
    if not queries:
        print("no query could be read", file=sys.stderr)
        return 1
    if not offers:
        print("no offer could be read from the catalog", file=sys.stderr)
        return 1
    seen: set = set()
    unique = []
    for offer in offers:
        if offer.id in seen:
            print(f"duplicate offer id {offer.id!r}: the first one is kept", file=sys.stderr)
            continue
        seen.add(offer.id)
        unique.append(offer)

    from corridor.matching.embedding import default_embedder
    from corridor.matching.engine import GUESS_TOP, Matcher
    from corridor.matching.hs_suggest import CachedGuesser, HsSuggester

    # HS agreement on: the suggester guesses the headings of offers without a code (at build,
    # in batches) and of the queries (a batch at a time, before they are ranked). Shipped
    # examples only (seeds, UK references): a file in, a file out, whatever database is set.
    embedder = default_embedder()
    guesser = CachedGuesser(HsSuggester(embedder=embedder))
    matcher = Matcher(embedder, hs_guesser=guesser).build(unique)
    with writer() as out:
        for start in range(0, len(queries), 64):
            batch = queries[start : start + 64]
            texts = list(dict.fromkeys(q.text for q in batch if q.text and not q.hs_code))
            # The same vectors as rank_many's (the embedder keeps them: no second pass).
            guesser.prepare(texts, embedder.embed_queries(texts), top=GUESS_TOP)
            for query, matches in zip(batch, matcher.rank_many(batch, top=args.top), strict=True):
                dump(out, {"id": query.id, "results": [m.as_dict() for m in matches]})
    return 0
