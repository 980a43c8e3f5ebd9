"""Middleware: load web fonts only for the scripts that a page actually contains."""

from __future__ import annotations

import base64
import hashlib

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


def _allow_style(response, css: str) -> None:
    """Let the Content-Security-Policy (set by django-csp, which runs inside this middleware)
    accept exactly this inline <style>, by its hash: no 'unsafe-inline'."""
    for header in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
        policy = response.get(header)
        if not policy:
            continue
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        source = f"'sha256-{digest}'"
        parts = [p.strip() for p in policy.split(";") if p.strip()]
        for i, part in enumerate(parts):
            if part.split()[0] == "style-src":
                parts[i] = f"{part} {source}"
                break
        else:
            parts.append(f"style-src 'self' {source}")
        response[header] = "; ".join(parts)


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
        if css:
            _allow_style(response, css)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
