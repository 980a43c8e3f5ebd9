"""Who may see or change what in an event, built on `accounts.permissions` (staff, memberships)."""

from __future__ import annotations

from corridor.accounts import permissions
from corridor.events.models import Event, Meeting, Registration


def can_manage_event(user, event: Event) -> bool:
    """Programme staff organise every event; an event's own organisers manage only that one."""
    if permissions.is_staff(user):
        return True
    if not (user and user.is_authenticated):
        return False
    return event.organisers.filter(pk=user.pk).exists()


def can_view_event(user, event: Event) -> bool:
    return event.status != Event.Status.DRAFT or can_manage_event(user, event)


def acts_for_registration(user, registration: Registration) -> bool:
    """The organisation's own people (owner, members, coordinator of its cluster)."""
    if not (user and user.is_authenticated):
        return False
    return registration.organisation_id in permissions.member_org_ids(user)


def can_change_registration(user, registration: Registration) -> bool:
    return acts_for_registration(user, registration) or can_manage_event(user, registration.event)


def can_view_meeting(user, meeting: Meeting) -> bool:
    if can_manage_event(user, meeting.event):
        return True
    own = permissions.member_org_ids(user)
    return any(seat.registration.organisation_id in own for seat in meeting.seats.all())


def own_registration(user, event: Event) -> Registration | None:
    """The user's live registration at the event (the first, when they act for several)."""
    if not (user and user.is_authenticated):
        return None
    own = permissions.member_org_ids(user)
    if not own:
        return None
    return (
        Registration.objects.filter(event=event, organisation_id__in=own)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("organisation", "event")
        .order_by("created_at")
        .first()
    )
