"""Sign-up, login, logout, password reset by email, and staff invitations."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from corridor.accounts.models import ConsentRecord, Invitation, Membership, User
from corridor.accounts.services import invitation_create
from corridor.directory.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "Mekong-river-2025"


def _signup_data(**extra):
    return {
        "username": "lan",
        "email": "Lan@Example.com",
        "full_name": "Nguyen Thi Lan",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }


def test_signup_creates_user_and_logs_in(client):
    response = client.post("/accounts/signup/", _signup_data())
    assert response.status_code == 302 and response["Location"] == "/start/"
    user = User.objects.get(username="lan")
    assert (user.email, user.full_name, user.memberships.count()) == (
        "lan@example.com",
        "Nguyen Thi Lan",
        0,
    )
    assert client.get("/accounts/").status_code == 200


def test_signup_with_organisation_unpublished_without_consent(client, country_vn):
    client.post(
        "/accounts/signup/",
        _signup_data(org_name="Lan Ceramics", org_kind="sme", org_country="VN"),
    )
    org = Organisation.objects.get(name="Lan Ceramics")
    assert (org.is_published, org.is_claimed, org.slug) == (False, True, "lan-ceramics")
    assert Membership.objects.get(organisation=org).role == "owner"
    assert ConsentRecord.objects.count() == 0


def test_signup_with_organisation_and_consent_publishes(client, country_vn):
    client.post(
        "/accounts/signup/",
        _signup_data(org_name="Lan Ceramics", org_kind="sme", org_country="VN", org_publish="on"),
    )
    org = Organisation.objects.get(name="Lan Ceramics")
    assert org.is_published is True
    assert ConsentRecord.objects.get().published is True


def test_signup_organisation_requires_kind_and_country(client):
    response = client.post("/accounts/signup/", _signup_data(org_name="Lan Ceramics"))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "org_kind": ["Choose the type of organisation."],
        "org_country": ["Choose the country."],
    }
    assert User.objects.count() == 0


def test_signup_refuses_duplicate_email_and_weak_password(client):
    factories.UserFactory(username="x", email="lan@example.com")
    response = client.post("/accounts/signup/", _signup_data(password1="123", password2="123"))
    errors = response.context["form"].errors
    assert errors["email"] == ["An account with this email address already exists."]
    assert "password1" in errors
    assert User.objects.count() == 1


def test_signup_mismatched_passwords(client):
    response = client.post("/accounts/signup/", _signup_data(password2="other-Pass-1"))
    assert response.context["form"].errors == {"password2": ["The two passwords differ."]}


def test_login_and_logout(client, sme_owner):
    response = client.post(
        "/accounts/login/", {"username": "smeowner", "password": "pass-Word-123"}
    )
    assert response.status_code == 302
    assert client.get("/accounts/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/accounts/").status_code == 302


def test_login_wrong_password_refused(client, sme_owner):
    response = client.post("/accounts/login/", {"username": "smeowner", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_dashboard_anonymous_redirected_to_login(client):
    response = client.get("/accounts/")
    assert (
        response.status_code == 302 and response["Location"] == "/accounts/login/?next=/accounts/"
    )


def test_password_reset_email_and_link(client, sme_owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # queued, sent after commit
        response = client.post("/accounts/password/reset/", {"email": sme_owner.email})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [sme_owner.email]
    assert message.subject == "Reset your Corridor password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"] is True
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "New-Mekong-pass-9", "new_password2": "New-Mekong-pass-9"},
    )
    assert done["Location"] == "/accounts/password/reset/done/"
    sme_owner.refresh_from_db()
    assert sme_owner.check_password("New-Mekong-pass-9")
    # The link works once.
    client.post("/accounts/logout/")
    assert client.get(link, follow=True).context["validlink"] is False


def test_password_reset_unknown_email_sends_nothing(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


# --- Invitations -------------------------------------------------------------------------------


def _invite(staff_user, org=None, **kw):
    invitation, raw = invitation_create(
        email="new@example.com", by=staff_user, organisation=org, **kw
    )
    return invitation, raw


def test_invitation_email_holds_link_and_only_hash_is_stored(
    staff_user, sme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # queued, sent after commit
        invitation, raw = _invite(staff_user, sme)
    assert raw not in invitation.token_hash
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.com"]
    assert f"http://localhost:8000/accounts/invitation/{raw}/" in mail.outbox[0].body
    assert sme.name in mail.outbox[0].body
    # The queued copy of the email is cleared once sent: the one-time link is not kept.
    from corridor.notifications.models import Notification

    assert not Notification.objects.filter(body__contains=raw).exists()


def test_invitation_create_denied_for_non_staff(sme_owner, sme):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        invitation_create(email="x@example.com", by=sme_owner, organisation=sme)
    assert Invitation.objects.count() == 0


def test_invitation_page_staff_only(client, sme_owner, staff_user, sme):
    client.force_login(sme_owner)
    assert client.get("/accounts/invitations/").status_code == 403
    assert (
        client.post(
            "/accounts/invitations/", {"email": "a@b.org", "organisation": sme.slug}
        ).status_code
        == 403
    )
    client.force_login(staff_user)
    response = client.post(
        "/accounts/invitations/", {"email": "a@b.org", "organisation": sme.slug, "role": "owner"}
    )
    assert response.status_code == 302
    assert Invitation.objects.get().organisation == sme


def test_invitation_accept_new_user_creates_account_and_membership(client, staff_user, sme):
    sme.is_claimed = False
    sme.save()
    _invitation, raw = _invite(staff_user, sme)
    url = f"/accounts/invitation/{raw}/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"username": "newbie", "full_name": "New", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response["Location"] == "/start/"
    user = User.objects.get(username="newbie")
    assert user.email == "new@example.com"
    assert Membership.objects.get(user=user).organisation == sme
    sme.refresh_from_db()
    assert sme.is_claimed is True
    # One-time: the link is refused afterwards.
    client.post("/accounts/logout/")
    used = client.get(url)
    assert used.status_code == 410 and b"already been used" in used.content


def test_invitation_accept_logged_in_links_existing_account(client, staff_user, stranger, sme):
    _invitation, raw = invitation_create(
        email=stranger.email, by=staff_user, organisation=sme, role="member"
    )
    client.force_login(stranger)
    client.post(f"/accounts/invitation/{raw}/")
    assert Membership.objects.get(user=stranger).role == "member"


def test_invitation_existing_email_anonymous_asked_to_log_in(client, staff_user, stranger, sme):
    _invitation, raw = invitation_create(email=stranger.email, by=staff_user, organisation=sme)
    response = client.get(f"/accounts/invitation/{raw}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_invitation_as_staff(client, staff_user, stranger):
    _invitation, raw = invitation_create(email=stranger.email, by=staff_user, make_staff=True)
    client.force_login(stranger)
    client.post(f"/accounts/invitation/{raw}/")
    stranger.refresh_from_db()
    assert stranger.is_staff is True


def test_invitation_expired_refused(client, staff_user, sme):
    invitation, raw = _invite(staff_user, sme)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(f"/accounts/invitation/{raw}/")
    assert response.status_code == 410 and b"expired" in response.content
    response = client.post(
        f"/accounts/invitation/{raw}/",
        {"username": "late", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 410
    assert not User.objects.filter(username="late").exists()


def test_invitation_unknown_token_refused(client):
    response = client.get("/accounts/invitation/not-a-token/")
    assert response.status_code == 410 and b"not valid" in response.content
