"""Personal data: export as JSON and account deletion (PDPA, Decree 13/2023)."""

import json

import pytest
from auditlog.models import LogEntry

from corridor.accounts.models import AccountDeletion, ApiToken, Membership, User
from corridor.accounts.privacy import account_delete, personal_data_export
from corridor.accounts.services import api_token_create, audit_actor
from corridor.connections.services import connection_request
from tests import factories

pytestmark = pytest.mark.django_db


def test_export_contains_user_orgs_products_connections_tokens_audit(sme, sme_owner, buyer_org):
    factories.ProductFactory(organisation=sme, name="Glazed bowl")
    connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="Hi")
    api_token_create(user=sme_owner, name="ERP")
    with audit_actor(sme_owner):
        sme.description = "Ceramics since 1950"
        sme.save()
    data = personal_data_export(sme_owner)
    assert data["user"]["email"] == sme_owner.email
    assert data["memberships"][0]["organisation"] == sme.name
    assert data["organisations_owned"][0]["products"][0]["name"] == "Glazed bowl"
    assert data["connections"][0]["message"] == "Hi"
    assert data["api_tokens"][0]["name"] == "ERP"
    assert "key_hash" not in data["api_tokens"][0]
    assert data["audit_entries"][-1]["changes"]["description"][1] == "Ceramics since 1950"


def test_export_view_downloads_json(client, sme_owner):
    client.force_login(sme_owner)
    response = client.get("/accounts/my-data/")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="corridor-my-data-')
    assert json.loads(response.content)["user"]["username"] == "smeowner"


def test_export_view_anonymous_refused(client):
    assert client.get("/accounts/my-data/").status_code == 302


def test_delete_requires_correct_password(client, sme_owner):
    client.force_login(sme_owner)
    response = client.post("/accounts/delete/", {"password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"password": ["The password is not correct."]}
    assert User.objects.filter(pk=sme_owner.pk).exists()


def test_delete_account_anonymises_history_and_leaves_sole_owned_org_to_staff(
    client, sme, sme_owner
):
    api_token_create(user=sme_owner, name="ERP")
    factories.ContactPersonFactory(organisation=sme, name="Me", email=sme_owner.email)
    with audit_actor(sme_owner):
        sme.description = "Edited by the owner"
        sme.save()
    user_id = sme_owner.pk
    client.force_login(sme_owner)
    response = client.post("/accounts/delete/", {"password": "pass-Word-123"})
    assert response["Location"] == "/"
    assert not User.objects.filter(pk=user_id).exists()
    assert Membership.objects.count() == 0 and ApiToken.objects.count() == 0
    assert not LogEntry.objects.filter(actor_email="smeowner@example.com").exists()
    assert LogEntry.objects.filter(object_pk=str(sme.pk), actor=None).exists()
    sme.refresh_from_db()
    assert (sme.is_published, sme.is_claimed) == (False, False)
    assert sme.contacts.count() == 0
    record = AccountDeletion.objects.get()
    assert (record.user_id_deleted, record.orphaned_organisations) == (user_id, [sme.pk])


def test_delete_account_keeps_org_with_other_owner(sme, sme_owner):
    factories.MembershipFactory(organisation=sme, role="owner")
    account_delete(user=sme_owner)
    sme.refresh_from_db()
    assert sme.is_published is True
    assert AccountDeletion.objects.get().orphaned_organisations == []


def test_delete_page_lists_sole_owned_orgs(client, sme, sme_owner):
    client.force_login(sme_owner)
    response = client.get("/accounts/delete/")
    assert response.context["orphans"] == [sme]
