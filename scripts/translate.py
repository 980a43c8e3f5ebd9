"""Update, check and compile Corridor's translation catalogs (src/corridor/locale/).

    .venv/bin/python scripts/translate.py            # makemessages + stats + compilemessages
    .venv/bin/python scripts/translate.py stats      # translated/total, fuzzy and unreviewed per language
    .venv/bin/python scripts/translate.py check      # exit 1 unless the complete languages are
    .venv/bin/python scripts/translate.py compile vi th   # compile only these languages

`make messages` runs the first form. English is the source language (msgids), so it has no
catalog. Every language in COMPLETE must stay complete (tests/core/test_i18n.py enforces it).
No native speaker has reviewed the translations yet: each translated entry carries the
translator comment `unreviewed` (`# unreviewed` in the .po file); a reviewer who checks an entry
deletes that line, and `stats` counts what is left.
The compiled .mo files are committed so that a fresh clone works without GNU gettext.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "corridor"
LOCALE_DIR = PACKAGE / "locale"
LANGUAGES = ["vi", "th", "km", "lo", "my"]
COMPLETE = ["vi", "th", "km", "lo", "my"]
UNREVIEWED = "unreviewed"  # translator comment on each translation no native speaker checked
# All five languages have a single plural form.
HEADER = {
    "Project-Id-Version": "Corridor",
    "Language-Team": "Corridor translators",
    "Plural-Forms": "nplurals=1; plural=0;",
    "Content-Type": "text/plain; charset=UTF-8",
}


def _corridor(*args: str) -> None:
    exe = Path(sys.executable).with_name("corridor")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "django"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "corridor.settings"}
    subprocess.run([*command, *args], cwd=PACKAGE, check=True, env=env)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def update() -> None:
    """Extract every msgid from the code and templates into each language's catalog."""
    languages = [arg for lang in LANGUAGES for arg in ("-l", lang)]
    _corridor(
        "makemessages",
        *languages,
        "--ignore=migrations/*",
        "--ignore=static/*",
        "--add-location=file",  # file names only: line numbers churn the diff on every edit
        "--no-obsolete",
    )
    import polib

    for language in LANGUAGES:
        catalog = polib.pofile(str(po_path(language)), wrapwidth=100)
        catalog.metadata.update({**HEADER, "Language": language})
        catalog.metadata_is_fuzzy = False
        catalog.header = (
            "Corridor's user interface. Update with `make messages` (scripts/translate.py)."
        )
        catalog.save()


def is_unreviewed(entry) -> bool:
    """True for a translated entry whose translator comment has the line `unreviewed`."""
    return UNREVIEWED in (entry.tcomment or "").splitlines()


def stats() -> dict[str, tuple[int, int, int]]:
    """(translated, untranslated, fuzzy) per language, printed with the total and unreviewed."""
    import polib

    result = {}
    for language in LANGUAGES:
        catalog = polib.pofile(str(po_path(language)))
        entries = [e for e in catalog if not e.obsolete]
        fuzzy = sum(1 for e in entries if e.fuzzy)
        done = catalog.translated_entries()
        translated = len(done)
        unreviewed = sum(1 for e in done if is_unreviewed(e))
        result[language] = (translated, len(entries) - translated - fuzzy, fuzzy)
        print(
            f"{language}: {translated} / {len(entries)} translated, "
            f"{result[language][1]} untranslated, {fuzzy} fuzzy, {unreviewed} unreviewed"
        )
    return result


def compile_(languages: list[str] | None = None) -> None:
    """Build the .mo files Django reads at run time (all languages, or only those given)."""
    chosen = languages or LANGUAGES
    _corridor("compilemessages", *[arg for lang in chosen for arg in ("-l", lang)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "action", nargs="?", choices=["all", "update", "stats", "check", "compile"], default="all"
    )
    parser.add_argument("languages", nargs="*", help="compile only these languages")
    args = parser.parse_args(argv)
    if unknown := sorted(set(args.languages) - set(LANGUAGES)):
        parser.error(f"unknown languages: {', '.join(unknown)}")
    action = args.action
    if action in {"all", "update"}:
        update()
    if action in {"all", "stats", "check"}:
        counts = stats()
        incomplete = [lang for lang in COMPLETE if counts[lang][1] or counts[lang][2]]
        if action == "check" and incomplete:
            print(f"incomplete catalogs: {', '.join(incomplete)}", file=sys.stderr)
            return 1
    if action in {"all", "compile"}:
        compile_(args.languages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
