"""Every role × every kind of object × every action, against accounts.permissions and views.

Roles: anonymous, stranger, SME owner, other SME owner, cluster coordinator, buyer, staff.
The SME belongs to the cluster and has an accepted connection with the buyer organisation.
Expected rows read: view, edit, delete, contacts, export, history ("Y" allowed, "." denied).
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from corridor.accounts import permissions as p
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "stranger", "sme_owner", "other_owner", "coordinator", "buyer", "staff"]
ACTIONS = ["view", "edit", "delete", "contacts", "export", "history"]


def _org_checks(org):
    return {
        "view": lambda u: p.can_view_org(u, org),
        "edit": lambda u: p.can_edit_org(u, org),
        "delete": lambda u: p.can_delete_org(u, org),
        "contacts": lambda u: p.can_see_contacts(u, org),
        "export": lambda u: p.can_export_org(u, org),
        "history": lambda u: p.can_view_org_history(u, org),
    }


CHECKS = {
    "cluster": lambda w: _org_checks(w["cluster"]),
    "sme": lambda w: _org_checks(w["sme"]),
    "buyer_org": lambda w: _org_checks(w["buyer_org"]),
    "product": lambda w: {
        "view": lambda u: p.can_view_product(u, w["product"]),
        "edit": lambda u: p.can_edit_product(u, w["product"]),
        "delete": lambda u: p.can_delete_product(u, w["product"]),
        "contacts": lambda u: p.can_see_contacts(u, w["product"].organisation),
        "export": lambda u: p.can_export_org(u, w["product"].organisation),
        "history": lambda u: p.can_view_org_history(u, w["product"].organisation),
    },
    "sourcing_request": lambda w: {
        "view": lambda u: p.can_view_request(u, w["request"]),
        "edit": lambda u: p.can_edit_request(u, w["request"]),
        "delete": lambda u: p.can_delete_request(u, w["request"]),
        "contacts": lambda u: p.can_see_contacts(u, w["request"].buyer),
        "export": lambda u: p.can_export_org(u, w["request"].buyer),
        "history": lambda u: p.can_view_org_history(u, w["request"].buyer),
    },
    "connection": lambda w: {
        "view": lambda u: p.can_view_connection(u, w["connection"]),
        # Editing a connection is answering it: the side that was asked.
        "edit": lambda u: p.can_respond_connection(u, w["connection"]),
        "delete": lambda u: p.can_delete_connection(u, w["connection"]),
        "contacts": lambda u: (
            p.can_see_contacts(u, w["connection"].from_org)
            and p.can_see_contacts(u, w["connection"].to_org)
        ),
        "export": lambda u: p.can_view_connection(u, w["connection"]),
        "history": lambda u: p.can_view_history(u),
    },
}

#            view edit delete contacts export history
EXPECTED = {
    "cluster": {
        "anonymous": "Y.....",
        "stranger": "Y...Y.",
        "sme_owner": "Y...Y.",
        "other_owner": "Y...Y.",
        "coordinator": "YY.YY.",
        "buyer": "Y...Y.",
        "staff": "YYYYYY",
    },
    "sme": {
        "anonymous": "Y.....",
        "stranger": "Y...Y.",
        "sme_owner": "YYYYY.",
        "other_owner": "Y...Y.",
        "coordinator": "YY.YY.",
        "buyer": "Y..YY.",
        "staff": "YYYYYY",
    },
    "buyer_org": {
        "anonymous": "Y.....",
        "stranger": "Y...Y.",
        "sme_owner": "Y..YY.",
        "other_owner": "Y...Y.",
        # Issue #8: not through the accepted connection of a member SME they took no part in.
        "coordinator": "Y...Y.",
        "buyer": "YYYYY.",
        "staff": "YYYYYY",
    },
    "product": {
        "anonymous": "Y.....",
        "stranger": "Y...Y.",
        "sme_owner": "YYYYY.",
        "other_owner": "Y...Y.",
        "coordinator": "YYYYY.",
        "buyer": "Y..YY.",
        "staff": "YYYYYY",
    },
    "sourcing_request": {
        "anonymous": "......",
        "stranger": "Y...Y.",
        "sme_owner": "Y..YY.",
        "other_owner": "Y...Y.",
        "coordinator": "Y...Y.",  # issue #8: the member's connection reveals nothing to them
        "buyer": "YYYYY.",
        "staff": "YYYYYY",
    },
    "connection": {
        "anonymous": "......",
        "stranger": "......",
        "sme_owner": "Y..YY.",
        "other_owner": "......",
        "coordinator": "Y...Y.",  # sees the member's connection, not the buyer's contacts
        "buyer": "YY.YY.",
        "staff": "YYYYYY",
    },
}


@pytest.fixture
def world(
    cluster, coordinator, sme, sme_owner, other_sme, buyer_org, buyer_user, stranger, staff_user
):
    other_owner = factories.UserFactory(username="otherowner")
    factories.MembershipFactory(user=other_owner, organisation=other_sme, role="owner")
    return {
        "cluster": cluster,
        "sme": sme,
        "buyer_org": buyer_org,
        "product": factories.ProductFactory(organisation=sme),
        "request": factories.SourcingRequestFactory(buyer=buyer_org),
        "connection": factories.ConnectionFactory(
            from_org=sme, to_org=buyer_org, status="accepted"
        ),
        "users": {
            "anonymous": AnonymousUser(),
            "stranger": stranger,
            "sme_owner": sme_owner,
            "other_owner": other_owner,
            "coordinator": coordinator,
            "buyer": buyer_user,
            "staff": staff_user,
        },
    }


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(world, kind, role):
    checks = CHECKS[kind](world)
    user = world["users"][role]
    got = "".join("Y" if checks[a](user) else "." for a in ACTIONS)
    assert got == EXPECTED[kind][role]


WITHDRAW = {
    "anonymous": False,
    "stranger": False,
    "sme_owner": True,
    "other_owner": False,
    "coordinator": True,
    "buyer": True,
    "staff": True,
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_connection_withdraw(world, role):
    assert p.can_withdraw_connection(world["users"][role], world["connection"]) is WITHDRAW[role]


UNPUBLISHED_VIEW = {
    "anonymous": False,
    "stranger": False,
    "sme_owner": True,
    "other_owner": False,
    "coordinator": True,
    "buyer": False,
    "staff": True,
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_unpublished_profile(world, role, client):
    sme = world["sme"]
    sme.is_published = False
    sme.save()
    user = world["users"][role]
    assert p.can_view_org(user, sme) is UNPUBLISHED_VIEW[role]
    assert (sme in p.visible_organisations(user)) is UNPUBLISHED_VIEW[role]
    if role != "anonymous":
        client.force_login(user)
    status = client.get(f"/directory/o/{sme.slug}/").status_code
    assert status == (200 if UNPUBLISHED_VIEW[role] else 404)


@pytest.mark.parametrize("role", ROLES)
def test_visible_organisation_count_is_the_visible_set(world, role):
    sme = world["sme"]
    sme.is_published = False
    sme.save()
    merged = factories.OrganisationFactory(merged_into=world["sme"])
    user = world["users"][role]
    visible = p.visible_organisations(user)
    assert merged not in visible
    assert p.visible_organisation_count(user) == visible.count()
    # The unpublished profile counts for those who may open it, and only for them.
    published = p.visible_organisations(AnonymousUser()).count()
    assert p.visible_organisation_count(user) == published + UNPUBLISHED_VIEW[role]


HISTORY_STATUS = {
    "anonymous": 302,
    "stranger": 403,
    "sme_owner": 403,
    "other_owner": 403,
    "coordinator": 403,
    "buyer": 403,
    "staff": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_history_view(world, role, client):
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = client.get(f"/directory/trust/{world['sme'].slug}/history/")
    assert response.status_code == HISTORY_STATUS[role]


PUBLISH_STATUS = {
    "anonymous": 302,
    "stranger": 403,
    "sme_owner": 200,
    "other_owner": 403,
    "coordinator": 403,
    "buyer": 403,
    "staff": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_consent_view(world, role, client):
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = client.get(f"/directory/trust/{world['sme'].slug}/publish/")
    assert response.status_code == PUBLISH_STATUS[role]


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_connection_views(world, role, client):
    """Answering a pending request: only the side asked (and staff); others refused."""
    from corridor.connections.models import Connection

    pending = factories.ConnectionFactory(from_org=world["buyer_org"], to_org=world["cluster"])
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = client.post(f"/connections/{pending.pk}/accept/")
    pending.refresh_from_db()
    accepted = pending.status == Connection.Status.ACCEPTED
    assert accepted is (role in {"coordinator", "staff"})
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in {"stranger", "sme_owner", "other_owner"}:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_staff_pages(world, role, client):
    if role != "anonymous":
        client.force_login(world["users"][role])
    for url in ("/directory/trust/merge/", "/directory/trust/claims/", "/accounts/invitations/"):
        expected = 200 if role == "staff" else 302 if role == "anonymous" else 403
        assert client.get(url).status_code == expected, url
