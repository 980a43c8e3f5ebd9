"""Personal data rights (Thailand's PDPA, Vietnam's Decree 13/2023): export and erasure."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import AccountDeletion, ConsentRecord, Membership, User
from corridor.connections.models import Connection
from corridor.directory.models import ContactPerson, Organisation
from corridor.notifications.models import Notification


def _dt(value) -> str | None:
    return value.isoformat() if value else None


def personal_data_export(user: User) -> dict[str, Any]:
    """Everything Corridor holds about a person, as JSON-ready data."""
    memberships = list(user.memberships.select_related("organisation").order_by("created_at"))
    org_ids = [m.organisation_id for m in memberships]
    owned_ids = [m.organisation_id for m in memberships if m.role == Membership.Role.OWNER]
    owned = (
        Organisation.objects.filter(id__in=owned_ids)
        .select_related("country", "province")
        .prefetch_related("products", "certifications", "contacts")
    )
    connections = (
        Connection.objects.filter(Q(from_org_id__in=org_ids) | Q(to_org_id__in=org_ids))
        .select_related("from_org", "to_org")
        .order_by("created_at")
    )
    audit = LogEntry.objects.filter(actor=user).select_related("content_type").order_by("timestamp")
    return {
        "exported_at": timezone.now().isoformat(),
        "user": {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "full_name": user.full_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "language": user.language,
            "is_staff": user.is_staff,
            "date_joined": _dt(user.date_joined),
            "last_login": _dt(user.last_login),
        },
        "memberships": [
            {
                "organisation": m.organisation.name,
                "organisation_slug": m.organisation.slug,
                "role": m.role,
                "since": _dt(m.created_at),
            }
            for m in memberships
        ],
        "organisations_owned": [
            {
                "name": o.name,
                "local_name": o.local_name,
                "slug": o.slug,
                "kind": o.kind,
                "description": o.description,
                "local_description": o.local_description,
                "country": o.country_id,
                "province": o.province.name if o.province_id else None,
                "address": o.address,
                "website": o.website,
                "email": o.email,
                "phone": o.phone,
                "is_published": o.is_published,
                "products": [
                    {
                        "name": p.name,
                        "local_name": p.local_name,
                        "description": p.description,
                        "hs_code": p.hs_code_id,
                        "capacity": str(p.capacity_amount) if p.capacity_amount else None,
                        "capacity_unit": p.capacity_unit,
                        "is_active": p.is_active,
                    }
                    for p in o.products.all()
                ],
                "certifications": [
                    {"kind": c.kind, "number": c.number, "valid_until": _dt(c.valid_until)}
                    for c in o.certifications.all()
                ],
                "contacts": [
                    {"name": c.name, "position": c.position, "email": c.email, "phone": c.phone}
                    for c in o.contacts.all()
                ],
            }
            for o in owned
        ],
        "connections": [
            {
                "from": c.from_org.name,
                "to": c.to_org.name,
                "status": c.status,
                "message": c.message,
                "requested_by_me": c.requested_by_id == user.pk,
                "created_at": _dt(c.created_at),
                "responded_at": _dt(c.responded_at),
            }
            for c in connections
        ],
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": _dt(t.created_at),
                "last_used_at": _dt(t.last_used_at),
                "revoked_at": _dt(t.revoked_at),
            }
            for t in user.api_tokens.order_by("created_at")
        ],
        "notifications": [
            {
                "kind": n.kind,
                "subject": n.subject,
                "body": n.body,
                "url": n.url,
                "created_at": _dt(n.created_at),
                "read_at": _dt(n.read_at),
                "emailed_at": _dt(n.emailed_at),
            }
            for n in user.notifications.order_by("created_at")
        ],
        "notification_email_choices": {
            p.kind: p.email for p in user.notification_preferences.order_by("kind")
        },
        "audit_entries": [
            {
                "timestamp": _dt(e.timestamp),
                "object_type": e.content_type.model,
                "object": e.object_repr,
                "action": e.get_action_display(),
                "changes": e.changes,
                "remote_addr": e.remote_addr,
            }
            for e in audit
        ],
    }


def sole_owned_organisations(user: User) -> list[Organisation]:
    """Organisations the user owns with no other owner."""
    owned = user.memberships.filter(role=Membership.Role.OWNER).values("organisation_id")
    return list(
        Organisation.objects.filter(id__in=owned)
        .annotate(
            owners=Count("memberships", filter=Q(memberships__role=Membership.Role.OWNER)),
        )
        .filter(owners=1)
        .order_by("name")
    )


@transaction.atomic
def account_delete(*, user: User) -> AccountDeletion:
    """Erase a person's account.

    Organisations they own alone are NOT deleted: a business profile is the enterprise's data,
    not the person's, and other people's records (connections, event meetings, leads) refer to
    it. They are unpublished, marked unclaimed and left to programme staff, who can find them
    in the deletion record and contact the enterprise or remove the profile. The person's own
    contact entries (same email) are deleted since they are personal data.
    History entries they made are kept (accountability of changes) but anonymised.
    """
    orphans = sole_owned_organisations(user)
    orphan_ids = [o.pk for o in orphans]
    if orphan_ids:
        # A queryset update on purpose: these writes are not the person's, and must not carry
        # them as actor into history that we are about to anonymise.
        Organisation.objects.filter(id__in=orphan_ids).update(
            is_published=False, is_claimed=False, updated_at=timezone.now()
        )
        ConsentRecord.objects.bulk_create(
            ConsentRecord(organisation_id=pk, published=False, note="owner account deleted")
            for pk in orphan_ids
        )
    # Contacts first: their deletion is itself logged with this person as actor.
    ContactPerson.objects.filter(email__iexact=user.email).exclude(email="").delete()
    # Emails sent to the address before it had an account (invitations); the account's own
    # notifications cascade with it.
    if user.email:
        Notification.objects.filter(recipient=None, to_email__iexact=user.email).delete()
    LogEntry.objects.filter(actor=user).update(
        actor=None, actor_email=None, remote_addr=None, remote_port=None
    )
    record = AccountDeletion.objects.create(
        user_id_deleted=user.pk, orphaned_organisations=orphan_ids
    )
    # Memberships, API tokens, claims, notifications and digest opt-outs cascade; other references are SET_NULL.
    try:
        user.delete()
    except ProtectedError as exc:  # a record another app must keep (rolled back entirely)
        raise ValidationError(
            _("Your account is still needed by some records: please contact programme staff.")
        ) from exc
    return record
