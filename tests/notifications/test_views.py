"""Pages of notifications: list, header count, read marks (htmx + CSRF), settings, unsubscribe,
and an SMTP failure that does not turn a saved request into a 500."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from corridor.connections.models import Connection
from corridor.notifications import services
from corridor.notifications.models import Notification, NotificationPreference
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def logged_in(client, stranger):
    client.force_login(stranger)
    return client


@pytest.mark.django_db
def test_list_requires_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_list_empty_state(logged_in):
    response = logged_in.get("/notifications/")
    assert response.status_code == 200
    assert b"No notifications yet." in response.content
    assert b'id="notifications-count"></span>' in response.content  # no badge


@pytest.mark.django_db
def test_list_shows_own_notifications_only_and_paginates(logged_in, ping, stranger, sme_owner):
    for i in range(25):
        ping(stranger, key=f"k{i}", context={"name": f"n{i}"})
    ping(sme_owner, key="theirs", context={"name": "NOT-MINE"})
    page1 = logged_in.get("/notifications/").content.decode()
    page2 = logged_in.get("/notifications/?page=2").content.decode()
    assert page1.count('class="card unread"') == 20 and page2.count('class="card unread"') == 5
    assert "Hello, n24." in page1 and "Hello, n0." in page2  # newest first
    assert "NOT-MINE" not in page1 + page2
    assert "Page 1 of 2" in page1


@pytest.mark.django_db
def test_list_query_count_is_constant(logged_in, ping, stranger, django_assert_num_queries):
    ping(stranger, key="a")
    logged_in.get("/notifications/")
    # session, user, unread count (header), page count, page rows
    with django_assert_num_queries(5):
        logged_in.get("/notifications/")
    for i in range(10):
        ping(stranger, key=f"more{i}")
    with django_assert_num_queries(5):
        logged_in.get("/notifications/")


@pytest.mark.django_db
def test_unread_count_in_the_header(logged_in, ping, stranger, sme_owner):
    ping(stranger, key="a")
    ping(stranger, key="b")
    ping(sme_owner, key="c")
    page = logged_in.get("/").content.decode()
    badge = re.search(r'id="notifications-count">(.*?)</span></span>', page).group(1)
    assert '<span class="badge" title="Unread notifications">2<span class="sr"> unread' in badge
    logged_in.post("/notifications/read-all/")
    page = logged_in.get("/").content.decode()
    assert 'id="notifications-count"></span>' in page


@pytest.mark.django_db
def test_anonymous_header_has_no_notifications_and_no_count_query(
    client, django_assert_num_queries
):
    client.get("/directory/")
    response = client.get("/accounts/login/")
    assert b"notifications-link" not in response.content
    with django_assert_num_queries(0):
        client.get("/accounts/login/")


@pytest.mark.django_db
def test_mark_read_with_htmx_returns_item_and_new_count(logged_in, ping, stranger):
    n = ping(stranger, key="a")
    ping(stranger, key="b")
    response = logged_in.post(f"/notifications/{n.pk}/read/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{n.pk}"' in html and "Mark as read" not in html
    assert 'hx-swap-oob="true"' in html and ">1<span" in html  # one left unread
    n.refresh_from_db()
    assert n.read_at is not None


@pytest.mark.django_db
def test_mark_read_without_htmx_redirects(logged_in, ping, stranger):
    n = ping(stranger)
    response = logged_in.post(f"/notifications/{n.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"


@pytest.mark.django_db
def test_mark_read_of_another_users_notification_is_404(logged_in, ping, sme_owner):
    theirs = ping(sme_owner)
    assert logged_in.post(f"/notifications/{theirs.pk}/read/", **HTMX).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_mark_all_read_leaves_others_alone(logged_in, ping, stranger, sme_owner):
    ping(stranger, key="a")
    theirs = ping(sme_owner, key="a")
    response = logged_in.post("/notifications/read-all/", **HTMX)
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert not Notification.objects.filter(recipient=stranger, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_read_marks_need_post_and_csrf(ping, stranger):
    n = ping(stranger)
    client = Client(enforce_csrf_checks=True)
    client.force_login(stranger)
    assert client.get(f"/notifications/{n.pk}/read/").status_code == 405
    assert client.post(f"/notifications/{n.pk}/read/", **HTMX).status_code == 403
    assert client.post("/notifications/read-all/").status_code == 403
    n.refresh_from_db()
    assert n.read_at is None


@pytest.mark.django_db
def test_email_settings_page_saves_choices(logged_in, stranger):
    page = logged_in.get("/notifications/settings/").content.decode()
    assert "Connection requests to my organisations" in page
    assert "Match digest" not in page  # the digest keeps its own switch
    assert 'name="tests.quiet"' in page and 'name="tests.quiet" checked' not in page
    response = logged_in.post("/notifications/settings/", {"tests.ping": "on"})
    assert response.status_code == 302
    chosen = dict(NotificationPreference.objects.filter(user=stranger).values_list("kind", "email"))
    assert chosen["tests.ping"] is True
    assert chosen["connections.requested"] is False
    assert chosen["tests.quiet"] is False
    assert "matching.digest" not in chosen


@pytest.mark.django_db
def test_account_page_links_to_notifications(logged_in):
    page = logged_in.get("/accounts/").content.decode()
    assert 'href="/notifications/settings/"' in page and 'href="/notifications/"' in page


@pytest.mark.django_db
def test_unsubscribe_link_works_without_login(
    client, ping, stranger, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ping(stranger)
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("http://localhost:8000")
    assert client.get(path).status_code == 200
    assert not NotificationPreference.objects.exists()  # a GET (mail scanners) changes nothing
    response = client.post(path)
    assert response.status_code == 200 and b"Test pings" in response.content
    assert not services.email_wanted(user=stranger, kind="tests.ping")


@pytest.mark.django_db
def test_unsubscribe_rejects_forged_tokens(client, stranger):
    token = services.unsubscribe_token(user=stranger, kind="tests.ping")
    assert client.post(f"/notifications/unsubscribe/{token}x/").status_code == 404
    digest = services.unsubscribe_token(user=stranger, kind="matching.digest")
    assert client.post(f"/notifications/unsubscribe/{digest}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_smtp_failure_does_not_give_a_500_and_the_data_stays_saved(backend):
    # A real commit (transactional test): the email job runs in-process (huey immediate) right
    # after the connection request commits, inside the request, and the server is down.
    cluster = factories.OrganisationFactory(kind="cluster")
    sme = factories.OrganisationFactory(kind="sme", cluster=cluster)
    buyer = factories.OrganisationFactory(kind="buyer")
    owner = factories.UserFactory(username="owner")
    factories.MembershipFactory(user=owner, organisation=sme, role="owner")
    buyer_user = factories.UserFactory(username="buyeruser")
    factories.MembershipFactory(user=buyer_user, organisation=buyer, role="owner")
    backend.fail_at = -1
    client = Client(raise_request_exception=True)
    client.force_login(owner)
    response = client.post(
        f"/connections/ask/{buyer.slug}/", {"from_org": sme.pk, "message": "Hello"}, **HTMX
    )
    assert response.status_code == 200
    assert Connection.objects.filter(from_org=sme, to_org=buyer).count() == 1
    n = Notification.objects.get(recipient=buyer_user)
    assert (n.kind, n.email_status, n.email_attempts) == ("connections.requested", "pending", 1)
    assert backend.opens == 1 and mail.outbox == []
    # The server is back: the retry (or the sweep) sends it, once.
    backend.fail_at = None
    assert services.outbox_sweep() == 1
    assert [m.to for m in mail.outbox] == [[buyer_user.email]]


@pytest.mark.django_db(transaction=True)
def test_password_reset_with_the_mail_server_down_is_not_a_500(backend):
    user = factories.UserFactory(username="forgetful")
    backend.fail_at = -1
    response = Client(raise_request_exception=True).post(
        "/accounts/password/reset/", {"email": user.email}
    )
    assert response.status_code == 302
    n = Notification.objects.get(kind="accounts.password_reset")
    assert (n.to_email, n.email_status, n.recipient) == (user.email, "pending", None)
    assert "/accounts/password/reset/" in n.body  # kept only until sent
    backend.fail_at = None
    assert services.outbox_sweep() == 1
    n.refresh_from_db()
    assert n.body == "" and len(mail.outbox) == 1
