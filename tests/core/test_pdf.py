"""PDFs from HTML name only the fonts of the scripts they hold, for every app's documents."""

from __future__ import annotations

from corridor.core.pdf import font_families


def test_font_list_names_only_the_scripts_present():
    assert font_families("Kampot Pepper Co") == '"Noto Sans", sans-serif'
    assert font_families("ម្រេចកំពត · ผ้าไหม") == (
        '"Noto Sans", "Noto Sans Khmer", "Noto Sans Thai", sans-serif'
    )
