"""The certificate of attendance as a PDF (corridor.core.pdf, as the events app renders agendas), in
the participant's language."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from corridor.core.pdf import pdf_from_html
from corridor.training.models import Attendance

LANGUAGES = {"en", "vi", "th", "km", "lo", "my"}


def certificate_language(attendance: Attendance) -> str:
    for lang in (attendance.language, getattr(attendance.user, "language", "")):
        if lang and lang[:2] in LANGUAGES:
            return lang[:2]
    return "en"


def certificate_html(attendance: Attendance) -> str:
    with translation.override(certificate_language(attendance)):
        return render_to_string(
            "training/pdf/certificate.html",
            {
                "a": attendance,
                "session": attendance.session,
                "module": attendance.session.module,
                "programme": attendance.session.module.programme,
                "lang": certificate_language(attendance),
            },
        )


def certificate_pdf(attendance: Attendance) -> bytes:
    return pdf_from_html(certificate_html(attendance))
