"""Training services: staff-only writes, validation, coordinators' milestones."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from corridor.training import permissions, services
from corridor.training.models import Attendance, ClusterMilestone, Module, Programme
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_programme_create_refuses_non_staff(db, sme_owner, coordinator):
    for user in (sme_owner, coordinator):
        with pytest.raises(PermissionDenied):
            services.programme_create(
                name="X",
                funder="",
                starts_on=datetime.date(2025, 1, 1),
                ends_on=datetime.date(2025, 2, 1),
                by=user,
            )
    assert Programme.objects.count() == 0


def test_programme_create_refuses_end_before_start(db, staff_user):
    with pytest.raises(ValidationError) as exc:
        services.programme_create(
            name="X",
            funder="",
            starts_on=datetime.date(2025, 2, 1),
            ends_on=datetime.date(2025, 1, 1),
            by=staff_user,
        )
    assert "ends_on" in exc.value.message_dict


def test_module_material_goes_through_the_safe_upload(programme, staff_user, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    ok = services.module_create(
        programme=programme,
        topic="standards",
        title="GMP",
        language="vi",
        hours=Decimal("3"),
        material=SimpleUploadedFile("slides.pdf", PDF, content_type="application/pdf"),
        by=staff_user,
    )
    assert ok.material_name == "slides.pdf"
    assert ok.material.name.endswith(".pdf") and "slides" not in ok.material.name
    with pytest.raises(ValidationError):
        services.module_create(
            programme=programme,
            topic="standards",
            title="Bad",
            language="vi",
            hours=Decimal("3"),
            material=SimpleUploadedFile(
                "x.pdf", b"<html>not a pdf", content_type="application/pdf"
            ),
            by=staff_user,
        )
    assert Module.objects.filter(title="Bad").count() == 0


def test_session_needs_a_place_or_online(module, staff_user):
    with pytest.raises(ValidationError):
        services.session_create(module=module, date=datetime.date(2025, 3, 1), by=staff_user)
    s = services.session_create(
        module=module, date=datetime.date(2025, 3, 1), online=True, by=staff_user
    )
    assert s.online is True


def test_attendance_unique_per_person_whatever_the_spelling(session, sme, staff_user, attendance):
    with pytest.raises(ValidationError):
        services.attendance_add(
            session=session,
            person=services.Person(name="  nguyen  THI lan ", organisation_id=sme.pk),
            by=staff_user,
        )
    assert Attendance.objects.filter(session=session).count() == 1


def test_attendance_set_adds_and_removes(session, sme, other_sme, staff_user, attendance):
    added, removed = services.attendance_set(
        session=session,
        present=[
            services.Person(name="Tran Van Minh", organisation_id=other_sme.pk),
            services.Person(name="Pham Hoa", organisation_id=sme.pk),
        ],
        by=staff_user,
    )
    assert (added, removed) == (2, 1)
    assert sorted(session.attendances.values_list("person_name", flat=True)) == [
        "Pham Hoa",
        "Tran Van Minh",
    ]


def test_attendance_writes_refused_to_non_staff(session, sme, sme_owner, coordinator):
    for user in (sme_owner, coordinator):
        with pytest.raises(PermissionDenied):
            services.attendance_add(
                session=session,
                person=services.Person(name="X", organisation_id=sme.pk),
                by=user,
            )
        with pytest.raises(PermissionDenied):
            services.attendance_set(session=session, present=[], by=user)
    assert Attendance.objects.count() == 0


def test_milestone_coordinator_of_the_cluster_may_add(cluster, coordinator):
    m = services.milestone_add(
        cluster=cluster,
        kind="consortium",
        date=datetime.date(2025, 5, 1),
        evidence="Signed statutes",
        by=coordinator,
    )
    assert m.cluster == cluster


def test_milestone_refused_to_others(cluster, coordinator, sme_owner, stranger):
    other_cluster = factories.OrganisationFactory(kind="cluster")
    for user, target in ((sme_owner, cluster), (stranger, cluster), (coordinator, other_cluster)):
        with pytest.raises(PermissionDenied):
            services.milestone_add(
                cluster=target, kind="brand", date=datetime.date(2025, 5, 1), by=user
            )
    assert ClusterMilestone.objects.count() == 0


def test_milestone_only_for_clusters_and_not_in_future(sme, cluster, staff_user):
    with pytest.raises(PermissionDenied):
        services.milestone_add(
            cluster=sme, kind="brand", date=datetime.date(2025, 5, 1), by=staff_user
        )
    with pytest.raises(ValidationError):
        services.milestone_add(
            cluster=cluster,
            kind="brand",
            date=datetime.date.today() + datetime.timedelta(days=3),
            by=staff_user,
        )


def test_who_may_see_attendance(
    attendance, staff_user, sme_owner, coordinator, stranger, other_sme
):
    other_owner = factories.UserFactory(username="otherowner")
    factories.MembershipFactory(user=other_owner, organisation=other_sme, role="owner")
    assert permissions.can_view_attendance(staff_user, attendance)
    assert permissions.can_view_attendance(sme_owner, attendance)
    assert permissions.can_view_attendance(coordinator, attendance)  # the SME's cluster
    assert not permissions.can_view_attendance(stranger, attendance)
    assert not permissions.can_view_attendance(other_owner, attendance)
    assert list(permissions.visible_attendance(other_owner)) == []
    assert list(permissions.visible_attendance(sme_owner)) == [attendance]
