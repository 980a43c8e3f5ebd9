"""Printable outputs: a participant's agenda PDF (with its check-in QR code), the staff table
plan and name badges (WeasyPrint: the system's Noto fonts cover every script of the region)."""

from __future__ import annotations

import io

import segno
from django.template.loader import render_to_string

from corridor.accounts.services import site_url
from corridor.events import selectors
from corridor.events.models import Event, Meeting, Registration


def checkin_payload(registration: Registration) -> str:
    """What the QR code holds: the registration's private token, read by the check-in page."""
    return f"corridor-checkin/{registration.calendar_token}"


def checkin_qr_svg(registration: Registration) -> bytes:
    """A standalone SVG file (with its namespace, so that browsers render it as an image)."""
    qr = segno.make(checkin_payload(registration), error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=5, xmldecl=False)
    return out.getvalue()


def checkin_qr_inline(registration: Registration) -> str:
    """The same code as inline SVG markup for HTML (PDF agendas, badges)."""
    return segno.make(checkin_payload(registration), error="m").svg_inline(scale=5)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=site_url()).write_pdf()


def agenda_html(registration: Registration, user) -> str:
    data = selectors.agenda(registration, user)
    return render_to_string(
        "events/pdf/agenda.html",
        {
            "event": registration.event,
            "me": registration,
            **data,
            "qr": checkin_qr_inline(registration),
        },
    )


def agenda_pdf(registration: Registration, user) -> bytes:
    return _pdf(agenda_html(registration, user))


def table_plan_pdf(event: Event) -> bytes:
    grid = selectors.schedule_grid(event)
    return _pdf(render_to_string("events/pdf/tables.html", {"event": event, **grid}))


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
                    "qr": checkin_qr_inline(reg),
                }
            )
    return _pdf(render_to_string("events/pdf/badges.html", {"event": event, "badges": badges}))


__all__ = ["Meeting", "agenda_pdf", "badges_pdf", "checkin_qr_svg", "table_plan_pdf"]
