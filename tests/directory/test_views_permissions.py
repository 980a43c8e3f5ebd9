"""Who may do what on directory pages: a matrix of roles × actions, denials included."""

import pytest

from corridor.directory.models import Organisation
from corridor.directory.search import reindex_organisations
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "stranger", "sme_owner", "coordinator", "buyer", "staff"]
# Expected status (or contact visibility) per action, in the order of ROLES. 302 = to login.
MATRIX = {
    "view": [200, 200, 200, 200, 200, 200],
    "edit": [302, 403, 200, 200, 403, 200],
    "delete": [302, 403, 200, 403, 403, 200],
    "product_create": [302, 403, 200, 200, 403, 200],
    "product_edit": [302, 403, 200, 200, 403, 200],
    "cert_create": [302, 403, 200, 200, 403, 200],
    "contact_create": [302, 403, 200, 200, 403, 200],
    "export": [302, 200, 200, 200, 200, 200],
    "contacts": [False, False, True, True, True, True],
    "export_contacts": [None, False, False, False, False, True],
}


@pytest.fixture
def world(
    request, cluster, coordinator, sme, sme_owner, buyer_org, buyer_user, staff_user, stranger
):
    factories.ConnectionFactory(from_org=buyer_org, to_org=sme, status="accepted")
    product = factories.ProductFactory(organisation=sme, name="Celadon")
    factories.ContactPersonFactory(organisation=sme, name="Ms Lan", email="lan@example.com")
    reindex_organisations(Organisation.objects.values_list("id", flat=True))
    users = {
        "anonymous": None,
        "stranger": stranger,
        "sme_owner": sme_owner,
        "coordinator": coordinator,
        "buyer": buyer_user,
        "staff": staff_user,
    }
    return {"sme": sme, "product": product, "users": users}


def _client(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "action",
    [
        "view",
        "edit",
        "delete",
        "product_create",
        "product_edit",
        "cert_create",
        "contact_create",
        "export",
    ],
)
def test_directory_view_permissions(client, world, role, action):
    sme, product = world["sme"], world["product"]
    url = {
        "view": f"/directory/o/{sme.slug}/",
        "edit": f"/directory/o/{sme.slug}/edit/",
        "delete": f"/directory/o/{sme.slug}/delete/",
        "product_create": f"/directory/o/{sme.slug}/products/new/",
        "product_edit": f"/directory/products/{product.pk}/edit/",
        "cert_create": f"/directory/o/{sme.slug}/certifications/new/",
        "contact_create": f"/directory/o/{sme.slug}/contacts/new/",
        "export": "/directory/export.csv",
    }[action]
    response = _client(client, world, role).get(url)
    expected = MATRIX[action][ROLES.index(role)]
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
def test_directory_contacts_on_profile(client, world, role):
    html = _client(client, world, role).get(f"/directory/o/{world['sme'].slug}/").content.decode()
    expected = MATRIX["contacts"][ROLES.index(role)]
    assert ("sme@example.com" in html) is expected
    assert ("lan@example.com" in html) is expected
    assert ("+855 12 345 678" in html) is expected


@pytest.mark.parametrize("role", ROLES[1:])
def test_directory_contacts_in_export(client, world, role):
    response = _client(client, world, role).get("/directory/export.csv")
    text = b"".join(response.streaming_content).decode()
    expected = MATRIX["export_contacts"][ROLES.index(role)]
    assert ("sme@example.com" in text) is expected
    assert ("Email" in text.splitlines()[0]) is expected


@pytest.mark.parametrize("role", ROLES)
def test_directory_post_edit_denied_changes_nothing(client, world, role):
    sme = world["sme"]
    response = _client(client, world, role).post(
        f"/directory/o/{sme.slug}/edit/", {"name": "Hacked", "country": sme.country_id}
    )
    sme.refresh_from_db()
    allowed = MATRIX["edit"][ROLES.index(role)] == 200
    assert response.status_code == (302 if allowed or role == "anonymous" else 403)
    assert (sme.name == "Hacked") is allowed


@pytest.mark.parametrize("role", ROLES)
def test_directory_post_delete_denied_keeps_profile(client, world, role):
    sme = world["sme"]
    _client(client, world, role).post(f"/directory/o/{sme.slug}/delete/")
    allowed = MATRIX["delete"][ROLES.index(role)] == 200
    assert Organisation.objects.filter(pk=sme.pk).exists() is not allowed


def test_private_profile_is_404_for_public_and_stranger(client, world):
    sme = world["sme"]
    sme.is_published = False
    sme.save()
    assert client.get(f"/directory/o/{sme.slug}/").status_code == 404
    client.force_login(world["users"]["stranger"])
    assert client.get(f"/directory/o/{sme.slug}/").status_code == 404
    client.force_login(world["users"]["coordinator"])
    assert client.get(f"/directory/o/{sme.slug}/").status_code == 200


def test_buyer_manages_own_sourcing_requests_only(client, world, buyer_org):
    other_buyer = factories.OrganisationFactory(kind="buyer", name="Other buyer")
    client.force_login(world["users"]["buyer"])
    response = client.post(
        f"/directory/o/{buyer_org.slug}/requests/new/",
        {"title": "Cashew 10 t", "frequency": "once", "currency": "USD", "status": "open"},
    )
    assert response.status_code == 302
    req = buyer_org.sourcing_requests.get()
    assert client.get(f"/directory/requests/{req.pk}/edit/").status_code == 200
    assert client.get(f"/directory/o/{other_buyer.slug}/requests/new/").status_code == 403
    client.force_login(world["users"]["stranger"])
    assert client.get(f"/directory/requests/{req.pk}/").status_code == 200
    assert client.get(f"/directory/requests/{req.pk}/edit/").status_code == 403
    assert client.post(f"/directory/requests/{req.pk}/delete/").status_code == 403
    client.logout()
    assert client.get(f"/directory/requests/{req.pk}/").status_code == 302
