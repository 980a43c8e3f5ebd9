"""Writes of the accounts app: sign-up, organisation registration, invitations, API tokens."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from datetime import timedelta

from auditlog.context import auditlog_value, set_actor
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.accounts import permissions
from corridor.accounts.models import ApiToken, ConsentRecord, Invitation, Membership, User
from corridor.core.text import slug_text
from corridor.directory.models import Country, Organisation


@contextlib.contextmanager
def audit_actor(user) -> Iterator[None]:
    """Record `user` as the actor of the history entries written inside the block.

    auditlog's set_actor() replaces the request's context and does not restore it; we put the
    previous one back so that later saves in the same request keep their actor.
    """
    previous = auditlog_value.get(None)
    try:
        with set_actor(user if user and user.is_authenticated else None):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)


def site_url() -> str:
    return settings.CORRIDOR.get("SITE_URL", "http://localhost:8000")


def unique_slug(name: str) -> str:
    base = slug_text(name) or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- Sign-up and organisations -----------------------------------------------------------------


@transaction.atomic
def organisation_register(
    *, user: User, name: str, kind: str, country: Country, publish: bool = False
) -> Organisation:
    """A signed-in person registers an organisation they own. It stays private until they
    consent to a public profile (`publish`), which is recorded."""
    if kind not in {"sme", "buyer", "cluster", "support"}:
        raise ValidationError(_("Unknown kind of organisation."))
    with audit_actor(user):
        org = Organisation.objects.create(
            kind=kind,
            name=name.strip(),
            slug=unique_slug(name),
            country=country,
            is_published=publish,
            is_claimed=True,
        )
        Membership.objects.create(user=user, organisation=org, role=Membership.Role.OWNER)
        if publish:
            ConsentRecord.objects.create(organisation=org, published=True, by=user)
    from corridor.directory.search import reindex_organisations

    reindex_organisations([org.pk])
    if hasattr(user, "_corridor_org_ids"):
        del user._corridor_org_ids
    return org


@transaction.atomic
def user_signup(
    *,
    username: str,
    email: str,
    password: str,
    full_name: str = "",
    language: str = "",
    organisation: dict | None = None,
) -> User:
    """Create an account; `organisation` (name, kind, country, publish) registers one they own."""
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("An account with this email address already exists."))
    user = User(username=username, email=email.lower(), full_name=full_name, language=language)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if organisation:
        organisation_register(user=user, **organisation)
    return user


# --- Invitations -------------------------------------------------------------------------------


def invitation_url(raw: str) -> str:
    return site_url() + reverse("accounts:invitation_accept", args=[raw])


@transaction.atomic
def invitation_create(
    *,
    email: str,
    by: User,
    organisation: Organisation | None = None,
    role: str = Membership.Role.OWNER,
    make_staff: bool = False,
) -> tuple[Invitation, str]:
    """Staff invite someone; the email holds a one-time link. Returns (invitation, raw token):
    only the token's hash is stored."""
    if not permissions.can_manage_trust(by):
        raise PermissionDenied(_("Only programme staff can invite people."))
    if role not in Membership.Role.values:
        raise ValidationError(_("Unknown role."))
    if not organisation and not make_staff:
        raise ValidationError(_("Invite for an organisation, as programme staff, or both."))
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email.lower(),
        organisation=organisation,
        role=role,
        make_staff=make_staff,
        token_hash=ApiToken.hash(raw),
        invited_by=by,
        expires_at=timezone.now() + timedelta(days=settings.CORRIDOR["INVITATION_DAYS"]),
    )
    from corridor.notifications.services import notify_address

    existing = User.objects.filter(email__iexact=email).only("language").first()
    # To the address (the person may have no account yet), queued after commit. Only the
    # token's hash is stored: the email's body is cleared once sent.
    notify_address(
        email=invitation.email,
        language=existing.language
        if existing and existing.language
        else translation.get_language(),
        kind="accounts.invitation",
        key=f"accounts.invitation:{invitation.pk}",
        subject=gettext_lazy("You are invited to Corridor"),
        body_template="accounts/email/invitation.txt",
        context={"invitation": invitation, "url": invitation_url(raw), "inviter": by},
    )
    return invitation, raw


def invitation_for_token(raw: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=ApiToken.hash(raw))
        .first()
    )


def _check_usable(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."))
    if invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired. Ask programme staff for a new one."))


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership | None:
    """Link an existing account: membership for the organisation, staff flag if invited so."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_usable(invitation)
    membership = None
    with audit_actor(user):
        if invitation.organisation_id:
            membership, created = Membership.objects.get_or_create(
                user=user,
                organisation_id=invitation.organisation_id,
                defaults={"role": invitation.role},
            )
            if not created and membership.role != invitation.role:
                membership.role = invitation.role
                membership.save(update_fields=["role"])
            if invitation.role == Membership.Role.OWNER:
                org = invitation.organisation
                if not org.is_claimed:
                    org.is_claimed = True
                    org.save(update_fields=["is_claimed", "updated_at"])
        if invitation.make_staff and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if hasattr(user, "_corridor_org_ids"):
        del user._corridor_org_ids
    return membership


@transaction.atomic
def invitation_accept_new_user(
    *, invitation: Invitation, username: str, password: str, full_name: str = ""
) -> User:
    """Create the account of an invited person (email from the invitation) and accept."""
    _check_usable(invitation)
    user = user_signup(
        username=username,
        email=invitation.email,
        password=password,
        full_name=full_name,
        language=translation.get_language() or "",
    )
    invitation_accept(invitation=invitation, user=user)
    return user


# --- API tokens --------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns (token, raw value); the raw value is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name."))
    if user.api_tokens.filter(revoked_at__isnull=True).count() >= 20:
        raise ValidationError(_("You have 20 active tokens: revoke one first."))
    raw, prefix, key_hash = ApiToken.generate()
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=prefix, key_hash=key_hash)
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> None:
    if token.user_id != by.pk and not permissions.is_staff(by):
        raise PermissionDenied(_("This token is not yours."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


@transaction.atomic
def user_profile_update(
    *, user: User, full_name: str, phone: str, language: str, time_zone: str
) -> User:
    """Save what a person sets about themselves (the form has checked the choices)."""
    user.full_name, user.phone = full_name.strip(), phone.strip()
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["full_name", "phone", "language", "time_zone"])
    return user
