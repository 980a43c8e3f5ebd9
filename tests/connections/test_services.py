"""Connection life cycle: request, accept, decline, withdraw, limits, contacts, notifications."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from corridor.accounts import permissions
from corridor.connections.models import Connection
from corridor.connections.services import (
    ConnectionNotAllowed,
    connection_accept,
    connection_decline,
    connection_request,
    connection_withdraw,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The same user without the cached organisation ids (as in a new request)."""
    return type(user).objects.get(pk=user.pk)


def test_connection_request_creates_pending_and_emails_other_side(
    sme, sme_owner, buyer_org, buyer_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message=" Hello ")
    assert (c.status, c.message, c.requested_by) == ("requested", "Hello", sme_owner)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [buyer_user.email]
    assert mail.outbox[0].subject == "New connection request on Corridor"
    assert sme.name in mail.outbox[0].body
    assert "Hello" in mail.outbox[0].body


def test_connection_request_email_in_recipient_language(
    sme, sme_owner, buyer_org, buyer_user, django_capture_on_commit_callbacks
):
    buyer_user.language = "vi"
    buyer_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    assert len(mail.outbox) == 1  # rendered under translation.override("vi") without error


def test_connection_request_denied_for_user_not_acting_for_org(sme, stranger, buyer_org):
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_request(from_org=sme, to_org=buyer_org, by=stranger, message="")
    assert exc.value.messages == [f"You do not act for {sme.name}."]
    assert Connection.objects.count() == 0


def test_connection_request_to_self_refused(sme, sme_owner):
    with pytest.raises(ConnectionNotAllowed):
        connection_request(from_org=sme, to_org=sme, by=sme_owner, message="")


def test_connection_request_to_private_profile_refused(sme, sme_owner, buyer_org):
    buyer_org.is_published = False
    buyer_org.save()
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    assert exc.value.messages == ["This profile is not public."]


def test_connection_request_twice_refused(sme, sme_owner, buyer_org):
    connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    assert exc.value.messages == [f"Your request to {buyer_org.name} is still pending."]


def test_connection_request_when_other_side_already_asked_refused(
    sme, sme_owner, buyer_org, buyer_user
):
    connection_request(from_org=buyer_org, to_org=sme, by=buyer_user, message="")
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    assert "already asked to connect with you" in exc.value.messages[0]


def test_connection_accept_reveals_contacts_to_both_sides(
    sme, sme_owner, buyer_org, buyer_user, django_capture_on_commit_callbacks
):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    assert permissions.can_see_contacts(_fresh(sme_owner), buyer_org) is False
    assert permissions.can_see_contacts(_fresh(buyer_user), sme) is False
    with django_capture_on_commit_callbacks(execute=True):
        c = connection_accept(connection=c, by=buyer_user)
    assert (c.status, c.responded_by) == ("accepted", buyer_user)
    assert permissions.can_see_contacts(_fresh(sme_owner), buyer_org) is True
    assert permissions.can_see_contacts(_fresh(buyer_user), sme) is True
    assert [m.to for m in mail.outbox] == [[sme_owner.email]]
    assert mail.outbox[0].subject == "Your connection request was accepted"


def test_connection_accept_by_requester_refused(sme, sme_owner, buyer_org):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_accept(connection=c, by=sme_owner)
    assert exc.value.messages == [f"Only {buyer_org.name} can answer this request."]
    c.refresh_from_db()
    assert c.status == "requested"


def test_connection_accept_by_stranger_refused(sme, sme_owner, buyer_org, stranger):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    with pytest.raises(ConnectionNotAllowed):
        connection_accept(connection=c, by=stranger)


def test_connection_decline_keeps_contacts_hidden_and_blocks_rerequest(
    sme, sme_owner, buyer_org, buyer_user
):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    connection_decline(connection=c, by=buyer_user)
    assert permissions.can_see_contacts(_fresh(sme_owner), buyer_org) is False
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    assert exc.value.messages == [
        f"{buyer_org.name} declined your request less than 30 days ago. "
        "Please wait before asking again."
    ]


def test_connection_rerequest_allowed_after_30_days(sme, sme_owner, buyer_org, buyer_user):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    connection_decline(connection=c, by=buyer_user)
    Connection.objects.filter(pk=c.pk).update(responded_at=timezone.now() - timedelta(days=31))
    again = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    assert again.status == "requested"


def test_connection_decline_twice_refused(sme, sme_owner, buyer_org, buyer_user):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    connection_decline(connection=c, by=buyer_user)
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_accept(connection=c, by=buyer_user)
    assert exc.value.messages == ["This request is no longer pending."]


def test_connection_withdraw_pending_by_requester(sme, sme_owner, buyer_org):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    assert connection_withdraw(connection=c, by=sme_owner).status == "withdrawn"
    # Withdrawing does not block asking again (unlike a decline).
    assert connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="").pk


def test_connection_withdraw_pending_by_recipient_refused(sme, sme_owner, buyer_org, buyer_user):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_withdraw(connection=c, by=buyer_user)
    assert exc.value.messages == ["Only the organisation that asked can withdraw a request."]


def test_connection_withdraw_accepted_by_either_side_hides_contacts(
    sme, sme_owner, buyer_org, buyer_user
):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    connection_accept(connection=c, by=buyer_user)
    # An ended connection is "disconnected", not a withdrawn request.
    assert connection_withdraw(connection=c, by=buyer_user).status == "disconnected"
    assert permissions.can_see_contacts(_fresh(sme_owner), buyer_org) is False
    c2 = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    connection_accept(connection=c2, by=buyer_user)
    assert connection_withdraw(connection=c2, by=sme_owner).status == "disconnected"


def test_connection_withdraw_of_a_pending_request_is_withdrawn(sme, sme_owner, buyer_org):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    assert connection_withdraw(connection=c, by=sme_owner).status == "withdrawn"


def test_connection_withdraw_by_stranger_refused(sme, sme_owner, buyer_org, buyer_user, stranger):
    c = connection_request(from_org=sme, to_org=buyer_org, by=sme_owner, message="")
    connection_accept(connection=c, by=buyer_user)
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_withdraw(connection=c, by=stranger)
    assert exc.value.messages == ["You are not part of this connection."]


def test_connection_rate_limit_per_organisation(sme, sme_owner, settings):
    settings.CORRIDOR = {**settings.CORRIDOR, "CONNECTION_REQUESTS_PER_DAY": 2}
    targets = [factories.OrganisationFactory(kind="buyer") for _ in range(3)]
    connection_request(from_org=sme, to_org=targets[0], by=sme_owner, message="")
    connection_request(from_org=sme, to_org=targets[1], by=sme_owner, message="")
    with pytest.raises(ConnectionNotAllowed) as exc:
        connection_request(from_org=sme, to_org=targets[2], by=sme_owner, message="")
    assert exc.value.messages == [
        f"{sme.name} has sent 2 connection requests in the last 24 hours, the most allowed. "
        "Please try again tomorrow."
    ]
    Connection.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert connection_request(from_org=sme, to_org=targets[2], by=sme_owner, message="").pk


def test_connection_rate_limit_counts_withdrawn_requests(sme, sme_owner, settings):
    settings.CORRIDOR = {**settings.CORRIDOR, "CONNECTION_REQUESTS_PER_DAY": 1}
    a, b = factories.OrganisationFactory(), factories.OrganisationFactory()
    c = connection_request(from_org=sme, to_org=a, by=sme_owner, message="")
    connection_withdraw(connection=c, by=sme_owner)
    with pytest.raises(ConnectionNotAllowed):
        connection_request(from_org=sme, to_org=b, by=sme_owner, message="")


def test_connection_request_by_coordinator_for_member_sme(sme, coordinator, buyer_org):
    c = connection_request(
        from_org=sme, to_org=buyer_org, by=coordinator, message="", source="event"
    )
    assert (c.from_org, c.source) == (sme, "event")


def test_connection_notification_falls_back_to_org_email(
    sme, sme_owner, other_sme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        connection_request(from_org=sme, to_org=other_sme, by=sme_owner, message="")
    assert [m.to for m in mail.outbox] == [["other@example.com"]]
