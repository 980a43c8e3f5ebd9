"""Every role × every action on an assigned bottleneck report ("Y" allowed, "." denied)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from corridor.reporting import permissions as p
from corridor.reporting import services
from tests import factories

ACTIONS = ["view", "reporter", "status", "assign", "follow", "analyse"]
EXPECTED = {
    #                     view reporter status assign follow analyse
    "anonymous": "......",
    "stranger": "......",
    "reporter": "YY..Y.",
    "colleague": "YY..Y.",  # another member of the organisation it was filed for
    "coordinator": "YY..Y.",  # coordinator of the SME's cluster acts for the SME
    "focal": "Y.Y.Y.",  # focal-point role in the assigned organisation: not who reported
    "focal_org_member": "......",  # same organisation, no focal-point role
    "other_focal": "......",  # focal point of another organisation
    "staff": "YYYYYY",
}


@pytest.fixture
def world(report, sme, coordinator, ministry, focal_user, ministry_member, staff_user, sme_owner):
    colleague = factories.UserFactory(username="colleague")
    factories.MembershipFactory(user=colleague, organisation=sme, role="member")
    other = factories.OrganisationFactory(kind="support", name="Other agency")
    other_focal = factories.UserFactory(username="otherfocal")
    factories.MembershipFactory(user=other_focal, organisation=other, role="focal_point")
    services.report_assign(report=report, focal_point=ministry, by=staff_user)
    report.refresh_from_db()
    users = {
        "anonymous": AnonymousUser(),
        "stranger": factories.UserFactory(username="nobody"),
        "reporter": sme_owner,
        "colleague": colleague,
        "coordinator": coordinator,
        "focal": focal_user,
        "focal_org_member": ministry_member,
        "other_focal": other_focal,
        "staff": staff_user,
    }
    return report, users


def test_report_permission_matrix(world):
    report, users = world
    checks = {
        "view": lambda u: p.can_view_report(u, report),
        "reporter": lambda u: p.can_see_reporter(u, report),
        "status": lambda u: p.can_update_status(u, report),
        "assign": lambda u: p.can_assign(u),
        "follow": lambda u: p.can_follow(u, report),
        "analyse": lambda u: p.can_analyse(u),
    }
    got = {
        role: "".join("Y" if checks[a](user) else "." for a in ACTIONS)
        for role, user in users.items()
    }
    assert got == EXPECTED
