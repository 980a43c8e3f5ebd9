"""Build the subset Noto web fonts in static/corridor/fonts/ from Debian's fonts-noto-core.

Run by a developer when the fonts should change, never at run time; the output is committed.

    apt-get install fonts-noto-core            # provides /usr/share/fonts/truetype/noto/
    .venv/bin/pip install fonttools brotli
    .venv/bin/python scripts/build_fonts.py    # writes thai/lao/khmer/myanmar.woff2 + OFL.txt

Each font keeps only its script's Unicode block(s), the characters shaping needs (dotted
circle, zero-width joiners/spaces) and basic punctuation and digits, but ALL OpenType layout
features: Khmer and Myanmar cannot be displayed correctly without their GSUB/GPOS reordering,
stacking and mark positioning rules. Hinting is dropped: phones ignore it and it doubles the size.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "corridor" / "static" / "corridor" / "fonts"
NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-core/copyright")

# Characters every subset keeps when the source font has them: space, basic punctuation and
# digits, no-break space, soft hyphen, zero-width space/non-joiner/joiner (used inside words of
# these scripts), typographic quotes, ellipsis, and the dotted circle that shapers insert
# before a stray combining mark.
COMMON = [
    *range(0x20, 0x40),  # space, punctuation, digits
    0xA0,
    0xAD,
    0xAB,
    0xBB,
    *range(0x200B, 0x200E),
    0x2010,
    0x2013,
    0x2014,
    0x2018,
    0x2019,
    0x201C,
    0x201D,
    0x2026,
    0x25CC,
]
# file stem -> (source font, Unicode ranges of the script, inclusive)
FONTS: dict[str, tuple[str, list[tuple[int, int]]]] = {
    "thai": ("NotoSansThai-Regular.ttf", [(0x0E00, 0x0E7F)]),
    "lao": ("NotoSansLao-Regular.ttf", [(0x0E80, 0x0EFF), (0x20AD, 0x20AD)]),  # + kip sign
    "khmer": ("NotoSansKhmer-Regular.ttf", [(0x1780, 0x17FF), (0x19E0, 0x19FF)]),
    "myanmar": ("NotoSansMyanmar-Regular.ttf", [(0x1000, 0x109F), (0xAA60, 0xAA7F)]),
}


def subset_font(source: Path, ranges: list[tuple[int, int]], target: Path) -> int:
    """Write a woff2 subset of `source` limited to `ranges` + COMMON; return its size in bytes."""
    font = TTFont(source)
    available = set(font.getBestCmap())
    wanted = {cp for lo, hi in ranges for cp in range(lo, hi + 1)} | set(COMMON)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # reordering/stacking rules are essential for Khmer/Myanmar
    options.layout_scripts = ["*"]
    options.hinting = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep copyright and licence records
    options.notdef_outline = True
    options.glyph_names = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted & available))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = "woff2"
    font.save(target)
    return target.stat().st_size


def ofl_text() -> str:
    """The SIL OFL 1.1 text, taken from Debian's machine-readable copyright file."""
    lines = DEBIAN_COPYRIGHT.read_text(encoding="utf-8").splitlines()
    # The stand-alone licence paragraph is the "License: OFL-1.1" line followed by the text.
    start = next(
        i
        for i, line in enumerate(lines[:-1])
        if line == "License: OFL-1.1" and lines[i + 1].strip() == "PREAMBLE"
    )
    body = []
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break
        body.append("" if line.strip() == "." else line[1:])
    header = [
        "The fonts in this folder are subsets of Noto Sans Thai, Lao, Khmer and Myanmar",
        "(https://github.com/notofonts), Copyright 2015-2017 Google Inc.,",
        "made with scripts/build_fonts.py from Debian's fonts-noto-core package.",
        "",
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        "This license is copied below, and is also available with a FAQ at:",
        "https://openfontlicense.org",
        "",
        "-----------------------------------------------------------",
        "SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007",
        "-----------------------------------------------------------",
        "",
    ]
    return "\n".join(header + body).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, default=NOTO_DIR)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    for stem, (filename, ranges) in FONTS.items():
        source = args.source_dir / filename
        if not source.exists():
            print(f"missing {source}: apt-get install fonts-noto-core", file=sys.stderr)
            return 1
        size = subset_font(source, ranges, args.out_dir / f"{stem}.woff2")
        print(f"{stem}.woff2  {size / 1024:.1f} KiB  (from {filename})")
    (args.out_dir / "OFL.txt").write_text(ofl_text(), encoding="utf-8")
    print(f"OFL.txt written to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
