"""The account dashboard and API tokens: create (shown once), list, revoke, denials."""

import pytest

from corridor.accounts.models import ApiToken
from corridor.accounts.services import api_token_create
from corridor.connections.services import connection_request
from tests import factories

pytestmark = pytest.mark.django_db


def test_dashboard_lists_organisations_and_pending_requests(
    client, sme, sme_owner, buyer_org, buyer_user
):
    connection_request(from_org=buyer_org, to_org=sme, by=buyer_user, message="Let's talk")
    other = factories.OrganisationFactory(name="Zeta Traders", kind="buyer")
    connection_request(from_org=sme, to_org=other, by=sme_owner, message="")
    client.force_login(sme_owner)
    response = client.get("/accounts/")
    assert [m.organisation for m in response.context["memberships"]] == [sme]
    assert [c.from_org for c in response.context["received"]] == [buyer_org]
    assert [c.to_org for c in response.context["sent"]] == [other]
    assert b"Let&#x27;s talk" in response.content
    assert b"/accounts/my-data/" in response.content and b"/accounts/delete/" in response.content


def test_dashboard_query_count(client, sme, sme_owner, django_assert_num_queries):
    for i in range(3):
        connection_request(
            from_org=factories.OrganisationFactory(),
            to_org=sme,
            by=factories.UserFactory(is_staff=True),
            message="",
        )
        api_token_create(user=sme_owner, name=f"t{i}")
    client.force_login(sme_owner)
    client.get("/accounts/")
    with django_assert_num_queries(
        7
    ):  # session, user, memberships, connections, tokens, claims, unread
        client.get("/accounts/")


def test_token_create_shows_raw_once_and_stores_hash(client, sme_owner):
    client.force_login(sme_owner)
    response = client.post("/accounts/tokens/", {"name": "ERP sync"})
    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("cor_") and raw.encode() in response.content
    token = ApiToken.objects.get()
    assert (token.name, token.key_hash, token.prefix) == ("ERP sync", ApiToken.hash(raw), raw[:12])
    assert raw.encode() not in client.get("/accounts/").content


def test_token_create_requires_name(client, sme_owner):
    client.force_login(sme_owner)
    response = client.post("/accounts/tokens/", {"name": ""})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_token_create_anonymous_refused(client):
    assert client.post("/accounts/tokens/", {"name": "x"}).status_code == 302
    assert ApiToken.objects.count() == 0


def test_token_revoke_own(client, sme_owner):
    token, _raw = api_token_create(user=sme_owner, name="ERP")
    client.force_login(sme_owner)
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.is_active is False


def test_token_revoke_someone_elses_404(client, sme_owner, stranger):
    token, _raw = api_token_create(user=sme_owner, name="ERP")
    client.force_login(stranger)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.is_active is True


def test_dashboard_shows_a_token_count_not_the_token_table(client, sme_owner):
    for i in range(3):
        api_token_create(user=sme_owner, name=f"sync {i}")
    client.force_login(sme_owner)
    html = client.get("/accounts/").content.decode()
    assert "3 active tokens." in html
    assert "sync 0" not in html and ">Revoke<" not in html  # the list is on its own page
    tokens = client.get("/accounts/tokens/").content.decode()
    assert tokens.count(">Revoke</button>") == 3 and "sync 2" in tokens


def test_token_revoke_returns_to_the_tokens_page(client, sme_owner):
    token, _raw = api_token_create(user=sme_owner, name="ERP")
    client.force_login(sme_owner)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response["Location"] == "/accounts/tokens/"
