"""/api/v1/training/...: the pages' permissions, with refusals."""

from __future__ import annotations

from corridor.training.models import Attendance
from tests import factories
from tests.api.conftest import assert_error, bearer_client


def test_staff_list_programmes_sessions_and_add_attendance(programme, session, staff_user, sme):
    api = bearer_client(staff_user)
    assert [p["name"] for p in api.get("/api/v1/training/programmes").json()["items"]] == [
        "Export readiness 2025"
    ]
    sessions = api.get(f"/api/v1/training/sessions?programme={programme.pk}").json()
    assert [(s["id"], s["module"]) for s in sessions["items"]] == [
        (session.pk, "Export procedures")
    ]
    r = api.post(
        f"/api/v1/training/sessions/{session.pk}/attendance",
        {"person_name": "Pham Hoa", "organisation_id": sme.pk},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["organisation"] == sme.name
    again = api.post(
        f"/api/v1/training/sessions/{session.pk}/attendance",
        {"person_name": "pham  hoa", "organisation_id": sme.pk},
        content_type="application/json",
    )
    assert again.status_code == 422
    assert Attendance.objects.count() == 1


def test_attendance_seen_by_own_org_and_coordinator_only(
    attendance, sme_owner, coordinator, other_sme
):
    for user in (sme_owner, coordinator):
        items = bearer_client(user).get("/api/v1/training/attendance").json()["items"]
        assert [a["person_name"] for a in items] == ["Nguyen Thi Lan"]
    outsider = factories.UserFactory(username="out")
    factories.MembershipFactory(user=outsider, organisation=other_sme, role="owner")
    assert bearer_client(outsider).get("/api/v1/training/attendance").json()["count"] == 0


def test_non_staff_refused(session, sme, sme_owner, coordinator):
    for user in (sme_owner, coordinator):
        api = bearer_client(user)
        assert_error(api.get("/api/v1/training/programmes"), 403, "forbidden")
        assert_error(api.get("/api/v1/training/sessions"), 403, "forbidden")
        assert_error(
            api.post(
                f"/api/v1/training/sessions/{session.pk}/attendance",
                {"person_name": "X", "organisation_id": sme.pk},
                content_type="application/json",
            ),
            403,
            "forbidden",
        )
    assert Attendance.objects.count() == 0
