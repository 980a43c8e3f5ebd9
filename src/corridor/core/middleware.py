"""Middleware: load web fonts only for the scripts that a page actually contains."""

from __future__ import annotations

from django.templatetags.static import static

from corridor.core.text import scripts_in

PLACEHOLDER = b"<!--script-fonts-->"
# Scripts whose glyphs many phones lack; each has a subset Noto font in static/corridor/fonts/.
FONT_FAMILIES = {
    "thai": "Noto Sans Thai",
    "lao": "Noto Sans Lao",
    "khmer": "Noto Sans Khmer",
    "myanmar": "Noto Sans Myanmar",
}


def font_face_css(scripts: set[str]) -> str:
    rules = []
    for script in sorted(scripts & FONT_FAMILIES.keys()):
        url = static(f"corridor/fonts/{script}.woff2")
        rules.append(
            f"@font-face{{font-family:'{FONT_FAMILIES[script]}';src:url('{url}') format('woff2');"
            "font-display:swap}"
        )
    return "".join(rules)


class ScriptFontsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if (
            response.streaming
            or not content_type.startswith("text/html")
            or PLACEHOLDER not in response.content
        ):
            return response
        css = font_face_css(scripts_in(response.content.decode("utf-8", "replace")))
        tag = f"<style>{css}</style>".encode() if css else b""
        response.content = response.content.replace(PLACEHOLDER, tag, 1)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
