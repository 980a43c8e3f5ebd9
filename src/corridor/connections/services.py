"""Connection life cycle: request, accept, decline, withdraw, with spam limits and notifications."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.accounts import permissions
from corridor.accounts.models import Membership
from corridor.connections.models import Connection
from corridor.core.seclog import security_event
from corridor.directory.models import Organisation, SourcingRequest
from corridor.directory.vocab import OrgKind

DECLINE_COOLDOWN = timedelta(days=30)


class ConnectionNotAllowed(ValidationError):
    """A connection action refused, with a message to show to the user."""


def _notify(
    *, org: Organisation, kind: str, subject, template: str, connection: Connection
) -> None:
    """Tell the people who act for `org` (in-app and queued email, each in their language), or
    the organisation's own address when nobody acts for it yet."""
    from corridor.notifications import services as notifications

    url = reverse("connections:list")
    people = [
        m.user
        for m in Membership.objects.filter(organisation=org, user__is_active=True).select_related(
            "user"
        )
    ]
    key = f"{kind}:{connection.pk}"
    context = {"connection": connection}
    if people:
        notifications.notify_many(
            users=people,
            kind=kind,
            key=key,
            subject=subject,
            body_template=template,
            context=context,
            url=url,
        )
    elif org.email:
        notifications.notify_address(
            email=org.email,
            language="",
            kind=kind,
            key=key,
            subject=subject,
            body_template=template,
            context=context,
            url=url,
        )


def connection_state_between(from_org: Organisation, to_org: Organisation) -> Connection | None:
    """The live (requested or accepted) connection between two organisations, either direction."""
    return (
        Connection.objects.filter(
            Q(from_org=from_org, to_org=to_org) | Q(from_org=to_org, to_org=from_org),
            status__in=[Connection.Status.REQUESTED, Connection.Status.ACCEPTED],
        )
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def connection_request(
    *,
    from_org: Organisation,
    to_org: Organisation,
    by,
    message: str,
    source: str = "",
    sourcing_request: SourcingRequest | None = None,
) -> Connection:
    """`by`, acting for `from_org`, asks `to_org` to connect (answering `sourcing_request` when
    given)."""
    if not permissions.can_act_for_org(by, from_org):
        raise ConnectionNotAllowed(_("You do not act for %(org)s.") % {"org": from_org.name})
    if from_org.pk == to_org.pk:
        raise ConnectionNotAllowed(_("An organisation cannot connect with itself."))
    if to_org.merged_into_id or from_org.merged_into_id:
        raise ConnectionNotAllowed(_("This profile was merged into another one."))
    if not permissions.can_view_org(by, to_org):
        raise ConnectionNotAllowed(_("This profile is not public."))
    # Serialise concurrent requests of one organisation so that the daily limit holds.
    Organisation.objects.select_for_update().filter(pk=from_org.pk).first()
    if by.is_authenticated:  # ... and of one person, so that the per-person limit holds too
        get_user_model().objects.select_for_update().filter(pk=by.pk).first()
    live = connection_state_between(from_org, to_org)
    if live is not None:
        if live.status == Connection.Status.ACCEPTED:
            raise ConnectionNotAllowed(
                _("You are already connected with %(org)s.") % {"org": to_org.name}
            )
        if live.from_org_id == from_org.pk:
            raise ConnectionNotAllowed(
                _("Your request to %(org)s is still pending.") % {"org": to_org.name}
            )
        raise ConnectionNotAllowed(
            _("%(org)s has already asked to connect with you: accept their request instead.")
            % {"org": to_org.name}
        )
    now = timezone.now()
    declined_recently = Connection.objects.filter(
        from_org=from_org,
        to_org=to_org,
        status=Connection.Status.DECLINED,
        responded_at__gte=now - DECLINE_COOLDOWN,
    ).exists()
    if declined_recently:
        raise ConnectionNotAllowed(
            _(
                "%(org)s declined your request less than %(days)d days ago. "
                "Please wait before asking again."
            )
            % {"org": to_org.name, "days": DECLINE_COOLDOWN.days}
        )
    limit = settings.CORRIDOR["CONNECTION_REQUESTS_PER_DAY"]
    sent_today = Connection.objects.filter(
        from_org=from_org, created_at__gte=now - timedelta(hours=24)
    ).count()
    if sent_today >= limit:
        raise ConnectionNotAllowed(
            _(
                "%(org)s has sent %(limit)d connection requests in the last 24 hours, "
                "the most allowed. Please try again tomorrow."
            )
            % {"org": from_org.name, "limit": limit}
        )
    # The cap also holds per person: creating more organisations does not buy more requests.
    if by.is_authenticated and not by.is_staff:
        sent_by_user = Connection.objects.filter(
            requested_by=by, created_at__gte=now - timedelta(hours=24)
        ).count()
        if sent_by_user >= limit:
            security_event("throttled", None, limit="connection_requests_user", user=by.pk)
            raise ConnectionNotAllowed(
                _(
                    "You have sent %(limit)d connection requests in the last 24 hours, "
                    "the most allowed. Please try again tomorrow."
                )
                % {"limit": limit}
            )
    try:
        with transaction.atomic():
            connection = Connection.objects.create(
                from_org=from_org,
                to_org=to_org,
                message=message.strip()[:2000],
                source=source[:40],
                sourcing_request=sourcing_request,
                requested_by=by if by.is_authenticated else None,
            )
    except IntegrityError as exc:  # a concurrent identical request won the race
        raise ConnectionNotAllowed(
            _("Your request to %(org)s is still pending.") % {"org": to_org.name}
        ) from exc
    _notify(
        org=to_org,
        kind="connections.requested",
        subject=gettext_lazy("New connection request on Corridor"),
        template="connections/email/requested.txt",
        connection=connection,
    )
    return connection


@transaction.atomic
def sourcing_request_answer(
    *, sourcing_request: SourcingRequest, supplier: Organisation, by, message: str
) -> Connection:
    """`by`, acting for `supplier`, answers a buyer's sourcing request ("I can supply this"):
    a connection request to the buyer linked to the request, and the follow-up lead on it
    (followup's own service, the one behind its answer endpoint)."""
    from corridor.followup.services import lead_from_request_answer

    if supplier.kind not in (OrgKind.SME, OrgKind.CLUSTER):
        raise ConnectionNotAllowed(_("Only an SME or a cluster can answer a sourcing request."))
    if not permissions.can_view_request(by, sourcing_request):
        raise ConnectionNotAllowed(_("This sourcing request is not open."))
    if sourcing_request.status != SourcingRequest.Status.OPEN:
        raise ConnectionNotAllowed(_("This sourcing request is closed."))
    answered = Connection.objects.filter(
        from_org=supplier,
        sourcing_request=sourcing_request,
        status__in=[Connection.Status.REQUESTED, Connection.Status.ACCEPTED],
    ).exists()
    if answered:
        raise ConnectionNotAllowed(
            _("%(org)s has already answered this request.") % {"org": supplier.name}
        )
    connection = connection_request(
        from_org=supplier,
        to_org=sourcing_request.buyer,
        by=by,
        message=message,
        source="request",
        sourcing_request=sourcing_request,
    )
    lead_from_request_answer(request=sourcing_request, supplier=supplier, by=by)
    return connection


def _lock(connection: Connection) -> Connection:
    return (
        Connection.objects.select_for_update()
        .select_related("from_org", "to_org")
        .get(pk=connection.pk)
    )


@transaction.atomic
def connection_accept(*, connection: Connection, by) -> Connection:
    connection = _lock(connection)
    if not permissions.can_respond_connection(by, connection):
        raise ConnectionNotAllowed(
            _("Only %(org)s can answer this request.") % {"org": connection.to_org.name}
        )
    if connection.status != Connection.Status.REQUESTED:
        raise ConnectionNotAllowed(_("This request is no longer pending."))
    connection.status = Connection.Status.ACCEPTED
    connection.responded_by = by
    connection.responded_at = timezone.now()
    connection.save(update_fields=["status", "responded_by", "responded_at"])
    # An accepted connection is a lead to follow up (imported here: followup imports this app).
    from corridor.followup.services import lead_from_connection

    lead_from_connection(connection=connection)
    _notify(
        org=connection.from_org,
        kind="connections.accepted",
        subject=gettext_lazy("Your connection request was accepted"),
        template="connections/email/accepted.txt",
        connection=connection,
    )
    return connection


@transaction.atomic
def connection_decline(*, connection: Connection, by) -> Connection:
    connection = _lock(connection)
    if not permissions.can_respond_connection(by, connection):
        raise ConnectionNotAllowed(
            _("Only %(org)s can answer this request.") % {"org": connection.to_org.name}
        )
    if connection.status != Connection.Status.REQUESTED:
        raise ConnectionNotAllowed(_("This request is no longer pending."))
    # No email on decline: the requester sees it on their connections page, without pressure.
    connection.status = Connection.Status.DECLINED
    connection.responded_by = by
    connection.responded_at = timezone.now()
    connection.save(update_fields=["status", "responded_by", "responded_at"])
    return connection


@transaction.atomic
def connection_withdraw(*, connection: Connection, by) -> Connection:
    """A pending request is withdrawn by its requester; an accepted connection by either side,
    which hides contact details again."""
    connection = _lock(connection)
    if connection.status not in (Connection.Status.REQUESTED, Connection.Status.ACCEPTED):
        raise ConnectionNotAllowed(_("This connection is not active."))
    if not permissions.can_withdraw_connection(by, connection):
        if connection.status == Connection.Status.REQUESTED:
            raise ConnectionNotAllowed(
                _("Only the organisation that asked can withdraw a request.")
            )
        raise ConnectionNotAllowed(_("You are not part of this connection."))
    # A request that never got an answer is withdrawn; an accepted connection is ended.
    connection.status = (
        Connection.Status.DISCONNECTED
        if connection.status == Connection.Status.ACCEPTED
        else Connection.Status.WITHDRAWN
    )
    connection.responded_by = by
    connection.responded_at = timezone.now()
    connection.save(update_fields=["status", "responded_by", "responded_at"])
    return connection
