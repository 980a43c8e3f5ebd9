"""The certificate of attendance as a PDF (WeasyPrint, as the events app renders agendas), in
the participant's language."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from corridor.accounts.services import site_url
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
    from weasyprint import HTML

    return HTML(string=certificate_html(attendance), base_url=site_url()).write_pdf()
