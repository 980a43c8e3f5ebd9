"""Derive the shipped HS text index and the UK example pool from ../shared/data (run once).

    python -m corridor.matching.build_hs_text [SHARED_DATA_DIR] [BENCH_SPLIT_CSV]

* data/hts_paths.tsv: for each HS 2022 subheading, the distinct words of the US HTS tariff
  lines under it ("Mangoes > Fresh", "Keyboards"), one line `hs6<TAB>text`. The US
  Harmonized Tariff Schedule is a work of the US Government (public domain).
* data/uk_references_learn.csv: the learning part of the UK reference texts (the split of
  bench/data/uk_references/split.csv; MIT, Crown copyright HMRC, see data/UK_REFERENCES_LICENSE),
  used as examples; their query vectors: `python -m corridor.matching.build_hs_vectors uk`.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from corridor.matching.build_hs_vectors import DATA

# Path segments that name nothing ("Other", "Valued over $5/kg") are dropped; words of the
# remaining segments are kept once per subheading, in order of first appearance.
_SKIP = {
    "other",
    "other:",
    "described in general note 15 of the tariff schedule and entered pursuant to its provisions",
}


def build_hts(shared: Path, out: Path = DATA / "hts_paths.tsv") -> int:
    from corridor.matching.hs import subheadings

    known = {e.code for e in subheadings()}
    per_code: dict[str, dict[str, None]] = {}
    with (shared / "us-hts" / "hts_lines.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["hs6"] not in known:
                continue
            words = per_code.setdefault(row["hs6"], {})
            # The first segment (heading text) is already in the nomenclature line.
            for segment in row["path"].split(" > ")[1:]:
                seg = segment.strip().rstrip(":")
                if seg.lower() in _SKIP or len(seg) < 3:
                    continue
                words.setdefault(seg, None)
    with out.open("w", encoding="utf-8") as fh:
        for code in sorted(per_code):
            text = "; ".join(per_code[code]).replace("\t", " ").replace("\n", " ")
            fh.write(f"{code}\t{text}\n")
    return len(per_code)


def build_uk(split_csv: Path, out: Path = DATA / "uk_references_learn.csv") -> int:
    with split_csv.open(encoding="utf-8", newline="") as fh:
        rows = [(r["text"], r["hs6"]) for r in csv.DictReader(fh) if r["split"] == "learn"]
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["text", "code"])
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str]) -> int:
    shared = Path(argv[0]) if argv else Path("../shared/data")
    split = Path(argv[1]) if len(argv) > 1 else Path("bench/data/uk_references/split.csv")
    print(f"{build_hts(shared)} subheadings with US HTS text")
    print(f"{build_uk(split)} UK learning examples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
