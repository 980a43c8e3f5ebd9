"""PDF documents name only the fonts of the scripts they hold and carry the check-in code."""

from __future__ import annotations

import re

from corridor.events import documents


def test_agenda_pdf_embeds_the_check_in_code_and_only_the_fonts_used(people, forum):
    user, rice = people["Rice Mill"]
    rice.organisation.local_name = "ម្រេចកំពត"
    rice.organisation.save()

    # Uncompressed, so that the font names can be read in the file.
    pdf = documents.pdf_from_html(documents.agenda_html(rice, user), uncompressed_pdf=True)

    assert pdf.startswith(b"%PDF")
    assert b"/Subtype /Image" in pdf  # the QR code, as a PNG
    fonts = set(re.findall(rb"/BaseFont /[A-Z]{6}\+([A-Za-z-]+)", pdf))
    assert fonts == {b"Noto-Sans", b"Noto-Sans-Bold", b"Noto-Sans-Khmer"}


def test_check_in_payload_round_trips():
    class Reg:
        calendar_token = "tok_en-1"

    class Rep:
        pk = 42

    assert documents.parse_checkin_payload(documents.checkin_payload(Reg(), Rep())) == (
        "tok_en-1",
        42,
    )
    assert documents.parse_checkin_payload(documents.checkin_payload(Reg())) == ("tok_en-1", None)
    assert documents.parse_checkin_payload("tok_en-1") == ("tok_en-1", None)
