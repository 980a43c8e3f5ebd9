"""Printable outputs: a participant's agenda PDF (with its check-in QR code), the staff table
plan and name badges (corridor.core.pdf)."""

from __future__ import annotations

import io

import segno
from django.template.loader import render_to_string

from corridor.core.pdf import pdf_from_html
from corridor.events import selectors
from corridor.events.models import Event, Meeting, Registration, Representative

PAYLOAD_PREFIX = "corridor-checkin/"


def checkin_payload(
    registration: Registration, representative: Representative | None = None
) -> str:
    """What the QR code holds: the registration's private token, read by the check-in page, and
    the representative's id on a person's own code (the token makes it unguessable)."""
    payload = f"{PAYLOAD_PREFIX}{registration.calendar_token}"
    return f"{payload}/{representative.pk}" if representative is not None else payload


def parse_checkin_payload(text: str) -> tuple[str, int | None]:
    """(registration token, representative id or None) from a scanned or typed code."""
    text = text.strip()
    if text.startswith(PAYLOAD_PREFIX):
        text = text[len(PAYLOAD_PREFIX) :]
    token, _sep, rep = text.partition("/")
    return token, int(rep) if rep.isdigit() else None


def _qr(registration: Registration, representative: Representative | None = None):
    # Byte mode named: segno's mode detection scans the payload region by region (a third of
    # the cost of a code), and the token's characters are bytes anyway.
    return segno.make_qr(checkin_payload(registration, representative), error="m", mode="byte")


def checkin_qr_svg(
    registration: Registration, representative: Representative | None = None
) -> bytes:
    """A standalone SVG file (with its namespace, so that browsers render it as an image)."""
    qr = _qr(registration, representative)
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=5, xmldecl=False)
    return out.getvalue()


def checkin_qr_inline(
    registration: Registration, representative: Representative | None = None
) -> str:
    """The same code as an <img> for PDFs (agendas, badges): a small PNG, which WeasyPrint
    places several times faster than it parses and draws an SVG path of every module."""
    uri = _qr(registration, representative).png_data_uri(scale=4, border=2)
    return f'<img src="{uri}" alt="QR">'


def agenda_html(registration: Registration, user) -> str:
    data = selectors.agenda(registration, user)
    rep = selectors.representative_of(registration, user)
    return render_to_string(
        "events/pdf/agenda.html",
        {
            "event": registration.event,
            "me": registration,
            **data,
            "qr": checkin_qr_inline(registration, rep),
        },
    )


def agenda_pdf(registration: Registration, user) -> bytes:
    return pdf_from_html(agenda_html(registration, user))


def table_plan_pdf(event: Event) -> bytes:
    grid = selectors.schedule_grid(event)
    return pdf_from_html(render_to_string("events/pdf/tables.html", {"event": event, **grid}))


def badges_pdf(event: Event) -> bytes:
    regs = (
        event.registrations.filter(status=Registration.Status.APPROVED)
        .select_related("organisation", "organisation__country")
        .prefetch_related("representatives")
        .order_by("organisation__name")
    )
    badges = []
    for reg in regs:
        people = list(reg.representatives.all()) or [None]
        for rep in people:
            badges.append(
                {
                    "name": rep.name if rep else "",
                    "org": reg.organisation.name,
                    "local": reg.organisation.local_name,
                    "country": reg.organisation.country_id,
                    "qr": checkin_qr_inline(reg, rep),
                }
            )
    return pdf_from_html(
        render_to_string("events/pdf/badges.html", {"event": event, "badges": badges})
    )


__all__ = ["Meeting", "agenda_pdf", "badges_pdf", "checkin_qr_svg", "table_plan_pdf"]
