"""Training pages over real HTTP: staff journeys, refusals, the import preview/confirm."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from corridor.training import services
from corridor.training.models import Attendance, ClusterMilestone, Module, Session
from tests import factories


def test_staff_create_module_session_and_mark_attendance(client, staff_user, programme, sme):
    client.force_login(staff_user)
    r = client.post(
        reverse("training:programme", args=[programme.pk]),
        {"topic": "standards", "title": "GMP basics", "language": "vi", "hours": "4"},
    )
    module = Module.objects.get(title="GMP basics")
    assert r.status_code == 302
    r = client.post(
        reverse("training:module", args=[module.pk]),
        {"action": "session", "date": "2025-04-02", "place": "Hue", "trainers": "B"},
    )
    session = Session.objects.get(module=module)
    assert r["Location"] == reverse("training:session", args=[session.pk])
    r = client.post(
        reverse("training:session", args=[session.pk]),
        {"action": "mark", "new_name": "Le Thi Thu", "new_org": sme.slug},
    )
    assert r.status_code == 302
    assert list(session.attendances.values_list("person_name", "organisation_id")) == [
        ("Le Thi Thu", sme.pk)
    ]
    page = client.get(reverse("training:session", args=[session.pk]))
    assert "Le Thi Thu" in page.content.decode()


def test_mark_unknown_organisation_shows_the_error_and_writes_nothing(client, staff_user, session):
    client.force_login(staff_user)
    r = client.post(
        reverse("training:session", args=[session.pk]),
        {"action": "mark", "new_name": "Somebody", "new_org": "no-such-org"},
    )
    assert r.status_code == 200
    assert "is not in the directory" in r.content.decode()
    assert session.attendances.count() == 0


def test_staff_pages_refused_to_others(
    client, session, attendance, sme_owner, coordinator, stranger
):
    urls = [
        reverse("training:programmes"),
        reverse("training:programme", args=[session.module.programme_id]),
        reverse("training:module", args=[session.module_id]),
        reverse("training:session", args=[session.pk]),
        reverse("training:session_import", args=[session.pk]),
        reverse("training:session_export", args=[session.pk]),
    ]
    for user in (sme_owner, coordinator, stranger):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert (
            client.post(
                reverse("training:assessment_link", args=[attendance.pk, "after"])
            ).status_code
            == 404
        )
    client.logout()
    assert client.get(urls[3]).status_code == 302  # to the login page


def test_import_preview_then_confirm(client, staff_user, session, sme):
    client.force_login(staff_user)
    data = f"name,organisation\nPham Hoa,{sme.slug}\nVo Anh,{sme.name}\n".encode()
    url = reverse("training:session_import", args=[session.pk])
    r = client.post(url, {"file": SimpleUploadedFile("list.csv", data)})
    assert r.status_code == 200 and Attendance.objects.count() == 0
    payload = r.context["payload"]
    r = client.post(url, {"payload": payload})
    assert r.status_code == 302
    assert sorted(Attendance.objects.values_list("person_name", flat=True)) == [
        "Pham Hoa",
        "Vo Anh",
    ]
    # The same signed rows again: every row is now a duplicate, nothing more is written.
    r = client.post(url, {"payload": payload})
    assert r.status_code == 200 and "nothing was imported" in r.content.decode()
    assert Attendance.objects.count() == 2


def test_import_bad_file_writes_nothing(client, staff_user, session, sme):
    client.force_login(staff_user)
    data = f"name,organisation\nPham Hoa,{sme.slug}\nVo Anh,Nowhere Ltd\n".encode()
    r = client.post(
        reverse("training:session_import", args=[session.pk]),
        {"file": SimpleUploadedFile("list.csv", data)},
    )
    body = r.content.decode()
    assert "is not in the directory" in body and "payload" not in r.context
    assert Attendance.objects.count() == 0


def test_import_payload_of_another_staff_member_refused(client, staff_user, session, sme):
    client.force_login(staff_user)
    url = reverse("training:session_import", args=[session.pk])
    data = f"name,organisation\nPham Hoa,{sme.slug}\n".encode()
    payload = client.post(url, {"file": SimpleUploadedFile("l.csv", data)}).context["payload"]
    other = factories.UserFactory(username="staff2", is_staff=True)
    client.force_login(other)
    assert client.post(url, {"payload": payload}).status_code == 404
    assert client.post(url, {"payload": payload + "x"}).status_code == 404
    assert Attendance.objects.count() == 0


def test_certificate_pdf_for_those_who_may_see_attendance(
    client, attendance, sme_owner, coordinator, stranger
):
    client.force_login(stranger)
    assert client.get(reverse("training:certificate", args=[attendance.pk])).status_code == 404
    client.force_login(sme_owner)
    r = client.get(reverse("training:certificate", args=[attendance.pk]))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_certificate_in_the_participants_language(attendance):
    from corridor.training import documents

    attendance.language = "vi"
    assert documents.certificate_language(attendance) == "vi"
    html = documents.certificate_html(attendance)
    assert 'lang="vi"' in html and "Nguyen Thi Lan" in html


def test_milestone_on_cluster_timeline(client, cluster, coordinator, sme, sme_owner, stranger):
    cluster.is_published = True
    cluster.save()
    client.force_login(coordinator)
    r = client.post(
        reverse("training:milestone_add", args=[cluster.slug]),
        {"kind": "consortium", "date": "2024-06-01", "evidence": "Statutes signed"},
    )
    assert r.status_code == 302
    services.milestone_add(
        cluster=cluster, kind="formed", date=datetime.date(2019, 3, 1), by=coordinator
    )
    page = client.get(reverse("directory:organisation", args=[cluster.slug])).content.decode()
    timeline = page[page.index('id="milestones"') :]
    assert timeline.index("Cluster formed") < timeline.index("Export consortium formed")
    assert "Statutes signed" in timeline
    # Anyone who may open the profile sees the timeline; only the coordinator may add to it.
    client.force_login(stranger)
    page = client.get(reverse("directory:organisation", args=[cluster.slug])).content.decode()
    assert "Export consortium formed" in page
    assert reverse("training:milestone_add", args=[cluster.slug]) not in page
    assert client.get(reverse("training:milestone_add", args=[cluster.slug])).status_code == 404
    client.force_login(sme_owner)
    assert (
        client.post(
            reverse("training:milestone_add", args=[cluster.slug]),
            {"kind": "brand", "date": "2024-06-01"},
        ).status_code
        == 404
    )
    assert ClusterMilestone.objects.count() == 2


def test_profile_shows_trainings_only_to_those_allowed(
    client, attendance, sme, sme_owner, stranger
):
    sme.is_published = True
    sme.save()
    url = reverse("directory:organisation", args=[sme.slug])
    client.force_login(sme_owner)
    body = client.get(url).content.decode()
    assert "Trainings attended" in body and "Export procedures" in body
    client.force_login(stranger)
    body = client.get(url).content.decode()
    assert "Trainings attended" not in body and "Nguyen Thi Lan" not in body


@pytest.mark.parametrize("phase", ["before", "after"])
def test_link_issued_from_the_session_page(client, staff_user, attendance, phase):
    client.force_login(staff_user)
    r = client.post(reverse("training:assessment_link", args=[attendance.pk, phase]))
    assert r.status_code == 200
    assert f"/training/a/{phase}/" in r.content.decode()


def test_certificate_names_only_the_fonts_of_its_scripts(attendance, weasyprint_input):
    from corridor.training import documents

    documents.certificate_pdf(attendance)

    assert 'font-family: "Noto Sans", sans-serif;' in weasyprint_input[0]
