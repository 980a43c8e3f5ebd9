"""Module materials and milestone evidence: private files behind permission checks."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from corridor.training import services

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _close(response) -> None:
    """Close the streamed file. Not response.close(): that also sends request_finished, which
    closes the database connection in the middle of the test (PostgreSQL)."""
    for closer in response._resource_closers:
        closer()
    response._resource_closers.clear()


def test_material_for_staff_and_attendees_only(
    client, programme, staff_user, sme, sme_owner, stranger, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    module = services.module_create(
        programme=programme,
        topic="export",
        title="Docs",
        language="en",
        hours=Decimal("2"),
        material=SimpleUploadedFile("guide.pdf", PDF),
        by=staff_user,
    )
    session = services.session_create(
        module=module, date=datetime.date(2025, 3, 1), online=True, by=staff_user
    )
    url = reverse("training:material", args=[module.pk])
    client.force_login(sme_owner)
    assert client.get(url).status_code == 404  # not attended yet
    services.attendance_add(session=session, person=services.Person("Lan", sme.pk), by=staff_user)
    r = client.get(url)
    assert r.status_code == 200
    assert r["X-Content-Type-Options"] == "nosniff"
    assert 'attachment; filename="guide.pdf"' in r["Content-Disposition"]
    assert b"".join(r.streaming_content) == PDF
    _close(r)
    # The same rule through core.uploads' one download view.
    r = client.get(module.material.url)
    assert r.status_code == 200
    _close(r)
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(module.material.url).status_code == 404


def test_milestone_evidence_for_the_clusters_people_only(
    client, cluster, coordinator, stranger, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    m = services.milestone_add(
        cluster=cluster,
        kind="certification",
        date=datetime.date(2024, 1, 5),
        evidence_file=SimpleUploadedFile("cert.pdf", PDF),
        by=coordinator,
    )
    url = reverse("training:milestone_evidence", args=[m.pk])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(coordinator)
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    _close(r)


def test_attendance_export_csv_and_excel_escape_formulas(client, staff_user, session, sme):
    import io

    from openpyxl import load_workbook

    services.attendance_add(
        session=session, person=services.Person("=HYPERLINK(1)", sme.pk), by=staff_user
    )
    client.force_login(staff_user)
    url = reverse("training:session_export", args=[session.pk])
    body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body and sme.name in body
    r = client.get(url + "?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws["A2"].value == "'=HYPERLINK(1)"
