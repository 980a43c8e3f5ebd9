"""The start page: where each role lands after signing in, its cards and the header's count."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from corridor.matching import selectors as matching
from corridor.start import registry
from corridor.start.registry import Card, card
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_catalog():
    matching.forget_catalog()
    yield
    matching.forget_catalog()


def _hs(code: str):
    return factories.HSCodeFactory(code=code, description=f"HS {code}")


def _cards(html: str) -> list[str]:
    return re.findall(r'<section class="start-card" id="card-([a-z-]+)"', html)


def _start(client) -> str:
    """The start page with its lazy cards loaded, as htmx does after the page."""
    html = client.get("/start/").content.decode()
    for key in re.findall(r'id="card-([a-z-]+)" hx-get=', html):
        response = client.get(f"/start/card/{key}/", HTTP_HX_REQUEST="true")
        fragment = response.content.decode()
        placeholder = rf'<section class="start-card" id="card-{key}" hx-get=.*?</section>'
        html = re.sub(placeholder, lambda _m, f=fragment: f, html, flags=re.S)
    return html


def _card(html: str, key: str) -> str:
    start = html.index(f'id="card-{key}"')
    return html[start : html.index("</section>", start)]


@pytest.fixture
def ceramics(db, sme, sme_owner, buyer_org, buyer_user):
    """An SME making HS 6912 mugs; a buyer asking for mugs (6912) and for silk (5007)."""
    sme.name = "Hoa Sen Ceramics"
    sme.save()
    factories.ProductFactory(
        organisation=sme, name="Glazed stoneware mugs", description="mugs", hs_code=_hs("691200")
    )
    mugs = factories.SourcingRequestFactory(
        buyer=buyer_org, title="Stoneware mugs for cafes", hs_code=_hs("691200")
    )
    silk = factories.SourcingRequestFactory(
        buyer=buyer_org, title="Silk scarves", hs_code=_hs("500720")
    )
    return {"mugs": mugs, "silk": silk}


def test_start_login_lands_on_the_start_page(client, sme_owner):
    response = client.post(
        reverse("accounts:login"), {"username": "smeowner", "password": "pass-Word-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/start/"


def test_start_page_needs_a_login(client):
    response = client.get("/start/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_start_sme_sees_requests_to_answer_waiting_requests_and_completeness(
    client, ceramics, sme, sme_owner, other_sme
):
    factories.ConnectionFactory(from_org=other_sme, to_org=sme, message="Let us talk")
    client.force_login(sme_owner)
    html = _start(client)
    assert _cards(html) == ["connection-requests", "requests-to-answer", "profile-completeness"]
    to_answer = _card(html, "requests-to-answer")
    assert "Stoneware mugs for cafes" in to_answer
    assert reverse("connections:answer", args=[ceramics["mugs"].pk]) in to_answer
    assert "Silk scarves" not in to_answer  # another HS chapter: not worth answering
    assert other_sme.name in _card(html, "connection-requests")
    completeness = _card(html, "profile-completeness")
    assert "a contact person" in completeness and "a certification" in completeness
    # 3 of 8: the phone, a product, its HS code; no description, local name, province, contact
    # person or certification.
    assert 'value="38"' in completeness


def test_start_completeness_counts_each_kind_of_row_once(client, sme, sme_owner):
    for _ in range(2):
        factories.ProductFactory(organisation=sme, hs_code=_hs("691200"))
        factories.ContactPersonFactory(organisation=sme)
        factories.CertificationFactory(organisation=sme)
    factories.ProductFactory(organisation=sme, is_active=False)  # no HS code, but withdrawn
    client.force_login(sme_owner)

    completeness = _card(_start(client), "profile-completeness")

    for item in ("a product", "an HS code on every product", "a contact person", "a certification"):
        assert item not in completeness, item


def test_start_sme_no_longer_sees_a_request_it_answered(client, ceramics, sme, sme_owner):
    from corridor.connections.services import sourcing_request_answer

    sourcing_request_answer(
        sourcing_request=ceramics["mugs"], supplier=sme, by=sme_owner, message="We make them"
    )
    client.force_login(sme_owner)
    html = _start(client)
    assert "Stoneware mugs for cafes" not in _card(html, "requests-to-answer")


def test_start_buyer_sees_its_requests_responses_and_best_suppliers(
    client, ceramics, sme, sme_owner, buyer_user
):
    from corridor.connections.services import sourcing_request_answer

    sourcing_request_answer(
        sourcing_request=ceramics["mugs"], supplier=sme, by=sme_owner, message="We make them"
    )
    client.force_login(buyer_user)
    html = _start(client)
    assert _cards(html) == ["connection-requests", "my-sourcing-requests", "profile-completeness"]
    mine = _card(html, "my-sourcing-requests")
    assert "Stoneware mugs for cafes" in mine and "1 response" in mine
    assert "Hoa Sen Ceramics" in mine  # the best supplier of the mugs request
    # The answer waits in the buyer's connection requests, with the request it answers.
    waiting = _card(html, "connection-requests")
    assert "Hoa Sen Ceramics" in waiting and "Stoneware mugs for cafes" in waiting


def test_start_coordinator_sees_members_and_partners_from_the_members_products(
    client, cluster, coordinator, sme
):
    cluster.country = factories.CountryFactory(code="VN")
    cluster.save()
    sme.country = cluster.country
    sme.save()
    factories.ProductFactory(organisation=sme, name="Vases", hs_code=_hs("691390"))
    # Another ceramic cluster in the same country: its members' products alone show the link.
    other = factories.OrganisationFactory(
        kind="cluster", name="Quang Vinh ceramics", country=cluster.country
    )
    member = factories.OrganisationFactory(cluster=other, country=cluster.country)
    factories.ProductFactory(organisation=member, name="Lamp bases", hs_code=_hs("691390"))
    client.force_login(coordinator)
    html = _start(client)
    assert sme.name in _card(html, "cluster-members")
    partners = _card(html, "cluster-partners")
    assert "Quang Vinh ceramics" in partners and "in your country" in partners


def test_start_coordinator_card_lists_ten_members_and_links_to_all(client, cluster, coordinator):
    for i in range(12):
        factories.OrganisationFactory(cluster=cluster, name=f"Member {i:02}")
    client.force_login(coordinator)

    members = _card(_start(client), "cluster-members")

    assert re.findall(r">(Member \d+)<", members) == [f"Member {i:02}" for i in range(10)]
    assert reverse("directory:organisation", args=[cluster.slug]) + "#members" in members


def test_start_staff_see_the_programme_work_waiting(client, staff_user):
    from corridor.accounts.models import ClaimRequest

    ClaimRequest.objects.create(
        organisation=factories.OrganisationFactory(), user=factories.UserFactory()
    )
    client.force_login(staff_user)
    html = _start(client)
    work = _card(html, "programme-work")
    assert re.search(r"Ownership claims to review</a> <span class=\"badge warn\">1<", work)


def test_start_a_new_card_is_one_registered_function(client, sme_owner):
    @card(order=1)
    def greeting(viewer):
        return Card(
            title="Hello card",
            template="start/cards/programme_work.html",
            context={"rows": [("Things", 3, "")]},
            waiting=3,
        )

    try:
        client.force_login(sme_owner)
        html = _start(client)
    finally:
        registry._registry[:] = [e for e in registry._registry if e[2] is not greeting]
    assert _cards(html)[0] == "greeting"
    assert "Hello card" in _card(html, "greeting")


def test_start_header_counts_waiting_requests_without_a_query_of_its_own(
    client, sme, sme_owner, other_sme, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(sme_owner)
    client.get("/notifications/")
    with CaptureQueriesContext(connection) as none_waiting:
        html = client.get("/notifications/").content.decode()
    count = len(none_waiting.captured_queries)  # read now: each request clears the query log
    assert 'id="start-count"' not in html
    factories.ConnectionFactory(from_org=other_sme, to_org=sme)
    factories.ConnectionFactory(from_org=factories.OrganisationFactory(), to_org=sme)
    factories.ConnectionFactory(from_org=sme, to_org=other_sme)  # sent: does not wait for us
    with django_assert_num_queries(count):
        html = client.get("/notifications/").content.decode()
    assert re.search(r'id="start-count">2<', html)


def test_start_page_query_count_does_not_grow_with_items(
    client, ceramics, sme, sme_owner, buyer_org
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as page:
            client.get("/start/")
        count = len(page.captured_queries)  # read now: each request clears the query log
        with CaptureQueriesContext(connection) as card:
            client.get("/start/card/requests-to-answer/", HTTP_HX_REQUEST="true")
        return count + len(card.captured_queries)

    client.force_login(sme_owner)
    _start(client)  # the matching catalogue is built once per process
    before = queries()
    assert before <= 30
    for i in range(6):
        factories.ConnectionFactory(from_org=factories.OrganisationFactory(), to_org=sme)
        factories.SourcingRequestFactory(
            buyer=buyer_org, title=f"Mugs {i}", hs_code=ceramics["mugs"].hs_code
        )
    _start(client)
    assert queries() <= before


def test_start_slow_cards_load_after_the_page(client, ceramics, sme_owner, staff_user):
    client.force_login(sme_owner)
    html = client.get("/start/").content.decode()
    assert 'id="card-requests-to-answer" hx-get="/start/card/requests-to-answer/"' in html
    assert "Stoneware mugs for cafes" not in html  # the ranking is not in the page itself
    fragment = client.get("/start/card/requests-to-answer/", HTTP_HX_REQUEST="true")
    assert "Stoneware mugs for cafes" in fragment.content.decode()
    # Without JavaScript the placeholder's link opens the card as a page.
    page = client.get("/start/card/requests-to-answer/").content.decode()
    assert "<html" in page and "Stoneware mugs for cafes" in page
    # Nobody waits for a card that is not theirs: staff get no placeholder for it.
    client.force_login(staff_user)
    assert "card-requests-to-answer" not in client.get("/start/").content.decode()


def test_start_header_counts_for_a_user_read_without_the_count(sme, sme_owner, other_sme):
    from django.utils.functional import SimpleLazyObject

    from corridor.accounts.models import User
    from corridor.start.context_processors import _waiting

    factories.ConnectionFactory(from_org=other_sme, to_org=sme)
    factories.ConnectionFactory(from_org=sme, to_org=other_sme)  # sent: does not wait for us

    assert _waiting(User.objects.get(pk=sme_owner.pk)) == 1
    # As the context processor gets it: request.user is a lazy object.
    assert _waiting(SimpleLazyObject(lambda: User.objects.get(pk=sme_owner.pk))) == 1


def test_start_header_count_is_the_cards_count_for_a_coordinator(
    client, cluster, coordinator, sme, other_sme
):
    from corridor.accounts.models import Membership, User
    from corridor.start.context_processors import _waiting

    # Requests to a member SME and to the cluster wait for its coordinator, as the card says.
    factories.ConnectionFactory(from_org=other_sme, to_org=sme)
    factories.ConnectionFactory(from_org=other_sme, to_org=cluster)
    factories.ConnectionFactory(from_org=sme, to_org=other_sme)  # sent by the member
    unrelated = factories.OrganisationFactory()
    factories.ConnectionFactory(from_org=sme, to_org=unrelated)
    client.force_login(coordinator)
    html = _start(client)
    assert re.search(r'id="start-count">2<', html)
    assert _waiting(User.objects.get(pk=coordinator.pk)) == 2
    # A coordinator by membership role (not the cluster's coordinator field) counts the same.
    deputy = factories.UserFactory(username="deputy")
    Membership.objects.create(user=deputy, organisation=cluster, role="coordinator")
    assert _waiting(User.objects.get(pk=deputy.pk)) == 2
    # A plain member of the cluster organisation does not act for its members.
    staffer = factories.UserFactory(username="staffer")
    Membership.objects.create(user=staffer, organisation=cluster, role="owner")
    assert _waiting(User.objects.get(pk=staffer.pk)) == 1
