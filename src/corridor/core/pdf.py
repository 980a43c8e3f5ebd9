"""PDFs from HTML (WeasyPrint: the system's Noto fonts cover every script of the region), for
every app's printable documents: agendas, badges, certificates, impact reports."""

from __future__ import annotations

import threading

from corridor.accounts.services import site_url

# Each script's Noto family, named in the PDF's font list only when the text holds that script:
# Pango then never opens (or falls back through) the fonts of scripts absent from the page.
PDF_FONTS = {
    "thai": "Noto Sans Thai",
    "lao": "Noto Sans Lao",
    "khmer": "Noto Sans Khmer",
    "myanmar": "Noto Sans Myanmar",
    "han": "Noto Sans CJK SC",
}
_local = threading.local()


def _font_config():
    """One WeasyPrint FontConfiguration per thread, reused by every PDF it renders (making one
    sets up a fontconfig configuration; Pango's objects are not shared across threads)."""
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.font_config = FontConfiguration()
    return config


def font_families(text: str) -> str:
    """The CSS font-family list for a text: Noto Sans, then the family of each script in it."""
    from corridor.core.text import scripts_in

    names = ["Noto Sans", *(PDF_FONTS[s] for s in sorted(scripts_in(text)) if s in PDF_FONTS)]
    return ", ".join(f'"{n}"' for n in names) + ", sans-serif"


def pdf_from_html(html: str, **options) -> bytes:
    """A PDF from a rendered template, whose __FONT_FAMILIES__ (in its style) becomes the fonts
    of the scripts it holds (`options` go to WeasyPrint's write_pdf)."""
    from weasyprint import HTML

    html = html.replace("__FONT_FAMILIES__", font_families(html), 1)
    return HTML(string=html, base_url=site_url()).write_pdf(font_config=_font_config(), **options)
