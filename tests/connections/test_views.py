"""Connection pages: the htmx connect box, answering, withdrawing, the list, denials."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from corridor.connections.models import Connection
from corridor.connections.services import connection_accept, connection_request
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _box(user, org):
    request = RequestFactory().get("/")
    request.user = user
    return Template('{% include "connections/_connect.html" %}').render(
        Context({"org": org, "request": request, "user": user})
    )


def test_connect_box_anonymous_shows_nothing(sme):
    from django.contrib.auth.models import AnonymousUser

    assert _box(AnonymousUser(), sme).strip() == ""


def test_connect_box_own_organisation_shows_nothing(sme, sme_owner):
    assert _box(sme_owner, sme).strip() == ""


def test_connect_box_user_without_organisation_shows_nothing(stranger, sme):
    assert _box(stranger, sme).strip() == ""


def test_connect_box_states(sme, sme_owner, buyer_org, buyer_user):
    assert "Ask to connect" in _box(sme_owner, buyer_org)
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="Hi there")
    assert "Request pending" in _box(type(sme_owner).objects.get(pk=sme_owner.pk), buyer_org)
    received = _box(buyer_user, sme)
    assert "asked to connect with you" in received and "Hi there" in received
    connection_accept(connection=c, by=buyer_user)
    assert "Connected" in _box(type(sme_owner).objects.get(pk=sme_owner.pk), buyer_org)


def test_connect_box_query_count(sme, sme_owner, buyer_org, django_assert_num_queries):
    with django_assert_num_queries(3):  # memberships, coordinated clusters, connection
        _box(sme_owner, buyer_org)


def test_request_view_anonymous_redirected_to_login(client, buyer_org):
    response = client.get(f"/connections/ask/{buyer_org.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_request_view_htmx_form_then_post_returns_box(client, sme, sme_owner, buyer_org):
    client.force_login(sme_owner)
    form = client.get(f"/connections/ask/{buyer_org.slug}/", **HTMX)
    assert form.status_code == 200
    assert b"<html" not in form.content and b"Send request" in form.content
    response = client.post(
        f"/connections/ask/{buyer_org.slug}/",
        {"from_org": sme.pk, "message": "We make ceramics"},
        **HTMX,
    )
    assert response.status_code == 200
    assert b"Request pending" in response.content
    c = Connection.objects.get()
    assert (c.from_org, c.to_org, c.message) == (sme, buyer_org, "We make ceramics")


def test_request_view_user_acting_for_several_orgs_chooses(client, sme, sme_owner, buyer_org):
    second = factories.OrganisationFactory(name="Second Co")
    factories.MembershipFactory(user=sme_owner, organisation=second)
    client.force_login(sme_owner)
    page = client.get(f"/connections/ask/{buyer_org.slug}/")
    assert b"Second Co" in page.content and b"<select" in page.content
    client.post(f"/connections/ask/{buyer_org.slug}/", {"from_org": second.pk, "message": ""})
    assert Connection.objects.get().from_org == second


def test_request_view_cannot_ask_for_an_org_user_does_not_act_for(
    client, sme_owner, buyer_org, other_sme
):
    client.force_login(sme_owner)
    response = client.post(
        f"/connections/ask/{buyer_org.slug}/", {"from_org": other_sme.pk, "message": ""}
    )
    assert response.status_code == 200  # form error: not a valid choice
    assert Connection.objects.count() == 0


def test_request_view_without_organisation_redirects_to_dashboard(client, stranger, buyer_org):
    client.force_login(stranger)
    response = client.post(f"/connections/ask/{buyer_org.slug}/", {"message": "x"})
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert Connection.objects.count() == 0


def test_request_view_private_profile_404(client, sme_owner, buyer_org):
    buyer_org.is_published = False
    buyer_org.save()
    client.force_login(sme_owner)
    assert client.get(f"/connections/ask/{buyer_org.slug}/").status_code == 404


def test_request_view_htmx_error_shown_in_box(client, sme, sme_owner, buyer_org):
    connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    client.force_login(sme_owner)
    response = client.post(
        f"/connections/ask/{buyer_org.slug}/", {"from_org": sme.pk, "message": ""}, **HTMX
    )
    assert b"is still pending" in response.content


def test_accept_view_by_recipient_htmx(client, sme, sme_owner, buyer_org, buyer_user):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    client.force_login(buyer_user)
    response = client.post(f"/connections/{c.pk}/accept/", {"box": sme.slug}, **HTMX)
    assert response.status_code == 200 and b"Connected" in response.content
    c.refresh_from_db()
    assert c.status == "accepted"


def test_accept_view_by_requester_refused(client, sme, sme_owner, buyer_org):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    client.force_login(sme_owner)
    response = client.post(f"/connections/{c.pk}/accept/")
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "requested"


def test_accept_view_by_stranger_404(client, sme, sme_owner, buyer_org, stranger):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    client.force_login(stranger)
    assert client.post(f"/connections/{c.pk}/accept/").status_code == 404
    assert client.post(f"/connections/{c.pk}/withdraw/").status_code == 404


def test_accept_view_get_not_allowed(client, sme, sme_owner, buyer_org, buyer_user):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    client.force_login(buyer_user)
    assert client.get(f"/connections/{c.pk}/accept/").status_code == 405


def test_decline_and_withdraw_views(client, sme, sme_owner, buyer_org, buyer_user):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    client.force_login(buyer_user)
    response = client.post(f"/connections/{c.pk}/decline/", {"next": "/accounts/"})
    assert response["Location"] == "/accounts/"
    c.refresh_from_db()
    assert c.status == "declined"
    other = factories.OrganisationFactory()
    c2 = connection_request(from_org=sme, to_org=other, by=sme_owner, message="")
    client.force_login(sme_owner)
    client.post(f"/connections/{c2.pk}/withdraw/", {"next": "https://evil.example/"})
    c2.refresh_from_db()
    assert c2.status == "withdrawn"


def test_withdraw_view_rejects_offsite_next(client, sme, sme_owner, buyer_org):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    client.force_login(sme_owner)
    response = client.post(f"/connections/{c.pk}/withdraw/", {"next": "https://evil.example/"})
    assert response["Location"] == "/connections/"


def test_connection_list_shows_only_own(client, sme, sme_owner, buyer_org, buyer_user):
    connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    a, b = factories.OrganisationFactory(name="Alpha"), factories.OrganisationFactory(name="Beta")
    factories.ConnectionFactory(from_org=a, to_org=b)
    client.force_login(buyer_user)
    response = client.get("/connections/")
    assert response.status_code == 200
    assert sme.name.encode() in response.content
    assert b"Alpha" not in response.content


def test_connection_list_query_count(client, sme, sme_owner, django_assert_num_queries):
    for _ in range(5):
        connection_request(
            from_org=sme, to_org=factories.OrganisationFactory(), by=sme_owner, message=""
        )
    client.force_login(sme_owner)
    client.get("/connections/")  # warm up the session
    with django_assert_num_queries(7):  # 6 + the unread count of the header
        response = client.get("/connections/")
    assert response.status_code == 200
    assert response.content.count(b'class="card"') == 5


def test_connection_list_anonymous_redirected(client):
    assert client.get("/connections/").status_code == 302
