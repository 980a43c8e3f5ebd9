"""The `corridor` console script: stable file-based tools, and Django's manage commands."""

from __future__ import annotations

import os
import sys

# Sub-commands that are plain Python (no database needed) and their entry modules. Each module
# exposes `main(argv: list[str]) -> int`, where argv excludes the group name.
PLAIN_GROUPS = {
    "schedule": "corridor.events.scheduling.cli",
    "hs": "corridor.matching.cli_hs",
    "match": "corridor.matching.cli_match",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PLAIN_GROUPS:
        import importlib

        module = importlib.import_module(PLAIN_GROUPS[argv[0]])
        return int(module.main(argv[1:]) or 0)
    # Anything else is a Django management command: `corridor migrate`, `corridor runserver`...
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["corridor", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
