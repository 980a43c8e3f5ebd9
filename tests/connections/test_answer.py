"""SMEs answer buyers' sourcing requests: a connection request linked to the request, the lead,
the responses on the buyer's request page, and the ranking kept from competitors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from corridor.connections.models import Connection
from corridor.connections.services import ConnectionNotAllowed, sourcing_request_answer
from corridor.followup.models import Lead
from tests import factories


@pytest.fixture
def req(db, buyer_org):
    return factories.SourcingRequestFactory(buyer=buyer_org, title="Stoneware mugs")


def test_answer_creates_a_connection_request_linked_to_the_request_and_a_lead(
    req, sme, sme_owner, buyer_org
):
    connection = sourcing_request_answer(
        sourcing_request=req, supplier=sme, by=sme_owner, message="We make 5,000 a month"
    )
    assert (connection.from_org, connection.to_org) == (sme, buyer_org)
    assert connection.sourcing_request == req
    assert connection.status == Connection.Status.REQUESTED
    assert connection.source == "request"
    lead = Lead.objects.get(supplier=sme, buyer=buyer_org)
    assert lead.sourcing_request == req


def test_answer_twice_is_refused(req, sme, sme_owner):
    sourcing_request_answer(sourcing_request=req, supplier=sme, by=sme_owner, message="")
    with pytest.raises(ConnectionNotAllowed, match="already answered"):
        sourcing_request_answer(sourcing_request=req, supplier=sme, by=sme_owner, message="")


def test_answer_a_closed_request_or_for_a_buyer_is_refused(req, sme, sme_owner, buyer_user):
    other_buyer = factories.OrganisationFactory(kind="buyer")
    factories.MembershipFactory(user=sme_owner, organisation=other_buyer)
    with pytest.raises(ConnectionNotAllowed, match="Only an SME or a cluster"):
        sourcing_request_answer(
            sourcing_request=req, supplier=other_buyer, by=sme_owner, message=""
        )
    req.status = "closed"
    req.save()
    with pytest.raises(ConnectionNotAllowed):
        sourcing_request_answer(sourcing_request=req, supplier=sme, by=sme_owner, message="")


def test_answer_for_an_organisation_one_does_not_act_for_is_refused(req, other_sme, sme_owner):
    with pytest.raises(ConnectionNotAllowed):
        sourcing_request_answer(sourcing_request=req, supplier=other_sme, by=sme_owner, message="")


def test_answer_page_posts_and_the_buyer_sees_the_response(client, req, sme, sme_owner, buyer_user):
    client.force_login(sme_owner)
    page = client.get(reverse("directory:request", args=[req.pk])).content.decode()
    assert "I can supply this" in page
    assert 'id="suppliers"' not in page  # the ranked list of competitors is not shown
    response = client.post(
        reverse("connections:answer", args=[req.pk]),
        {"supplier": sme.pk, "message": "Samples ready next week"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:request", args=[req.pk])
    page = client.get(reverse("directory:request", args=[req.pk])).content.decode()
    assert f"{sme.name} answered this request." in page

    client.force_login(buyer_user)
    page = client.get(reverse("directory:request", args=[req.pk])).content.decode()
    responses = page[page.index('id="responses"') : page.index('id="suppliers"')]
    assert sme.name in responses and "Samples ready next week" in responses
    assert reverse("connections:accept", args=[Connection.objects.get().pk]) in responses


def test_ranked_suppliers_only_for_the_buyer_and_staff(
    client, req, sme_owner, buyer_user, staff_user
):
    url = reverse("matching:request_suppliers", args=[req.pk])
    client.force_login(sme_owner)
    assert client.get(url).status_code == 403
    client.force_login(buyer_user)
    assert client.get(url).status_code == 200
    client.force_login(staff_user)
    assert client.get(url).status_code == 200


def test_ranked_suppliers_api_only_for_the_buyer_and_staff(client, req, sme_owner, buyer_user):
    url = f"/api/v1/matching/requests/{req.pk}/suppliers"
    client.force_login(sme_owner)
    assert client.get(url).status_code == 403
    client.force_login(buyer_user)
    assert client.get(url).status_code == 200


def test_connection_list_links_the_request_and_says_disconnected(
    client, req, sme, sme_owner, buyer_user
):
    from corridor.connections.services import connection_accept, connection_withdraw

    connection = sourcing_request_answer(
        sourcing_request=req, supplier=sme, by=sme_owner, message=""
    )
    connection_accept(connection=connection, by=buyer_user)
    connection_withdraw(connection=connection, by=buyer_user)
    client.force_login(sme_owner)
    html = client.get(reverse("connections:list")).content.decode()
    assert "Disconnected" in html and ">Withdrawn</span>" not in html
    assert reverse("directory:request", args=[req.pk]) in html
    tab = client.get(reverse("connections:list") + "?status=disconnected").content.decode()
    assert sme.name in tab or req.buyer.name in tab


def test_api_names_the_request_a_connection_answers(client, req, sme, sme_owner, buyer_user):
    connection = sourcing_request_answer(
        sourcing_request=req, supplier=sme, by=sme_owner, message=""
    )
    client.force_login(buyer_user)
    body = client.get(f"/api/v1/connections/{connection.pk}").json()
    assert body["sourcing_request_id"] == req.pk
    accepted = client.post(f"/api/v1/connections/{connection.pk}/accept").json()
    assert (accepted["status"], accepted["sourcing_request_id"]) == ("accepted", req.pk)
