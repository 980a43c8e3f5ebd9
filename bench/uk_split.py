"""Split the UK reference texts ONCE into a part to learn from and a part to report.

    python bench/uk_split.py          # writes bench/data/uk_references/split.csv (refuses to
                                      # overwrite it: the split must never change)

Texts are grouped by their normalised form (folded words, punctuation dropped), so that no
normalised text is in both parts; each group goes to the report part with probability 0.4,
drawn with a fixed seed. Rows whose subheading is not in HS 2022 are dropped. The learning
part is also shipped as examples (src/corridor/matching/data/uk_references_learn.csv).
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from corridor.core.text import tokens  # noqa: E402

DIR = ROOT / "bench" / "data" / "uk_references"
SEED = 20261206
REPORT_SHARE = 0.4


def key(text: str) -> str:
    return " ".join(tokens(text, ngrams=False))


def main() -> int:
    out = DIR / "split.csv"
    if out.exists():
        print(f"{out} exists: the split never changes", file=sys.stderr)
        return 1
    rows = [
        r
        for r in csv.DictReader((DIR / "uk_references.csv").open(encoding="utf-8"))
        if r["hs6_in_hs2022"] == "1"
    ]
    keys = sorted({key(r["text"]) for r in rows})
    rng = random.Random(SEED)
    report = {k for k in keys if rng.random() < REPORT_SHARE}
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["text", "hs6", "split"])
        for r in rows:
            writer.writerow(
                [r["text"], r["hs6"], "report" if key(r["text"]) in report else "learn"]
            )
    print(f"{len(rows)} rows, {len(keys)} normalised texts, {len(report)} in the report part")
    return 0


if __name__ == "__main__":
    sys.exit(main())
