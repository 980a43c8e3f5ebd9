"""Trust in profiles: verification, merging duplicates, claims, publication consent, history."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.accounts import permissions
from corridor.accounts.models import ClaimRequest, ConsentRecord, Invitation, Membership, User
from corridor.accounts.services import audit_actor
from corridor.connections.models import Connection
from corridor.directory.models import (
    Certification,
    ContactPerson,
    Organisation,
    Product,
    SourcingRequest,
)


def _require_staff(by) -> None:
    if not permissions.can_manage_trust(by):
        raise PermissionDenied(_("Only programme staff can do this."))


def _forget_org_cache(user) -> None:
    if user is not None and hasattr(user, "_corridor_org_ids"):
        del user._corridor_org_ids


# --- Verification ------------------------------------------------------------------------------


@transaction.atomic
def organisation_verify(*, org: Organisation, by: User) -> Organisation:
    """Staff checked the profile against documents or a visit: show the verified badge."""
    _require_staff(by)
    with audit_actor(by):
        org.verified_at = timezone.now()
        org.verified_by = by
        org.save(update_fields=["verified_at", "verified_by", "updated_at"])
    return org


@transaction.atomic
def organisation_unverify(*, org: Organisation, by: User) -> Organisation:
    _require_staff(by)
    with audit_actor(by):
        org.verified_at = None
        org.verified_by = None
        org.save(update_fields=["verified_at", "verified_by", "updated_at"])
    return org


# --- Publication consent -----------------------------------------------------------------------


@transaction.atomic
def organisation_publish(*, org: Organisation, by: User, note: str = "") -> Organisation:
    """Make a profile public with its owner's consent. Staff may record consent the owner gave
    them (paper form, phone call) but must say how in `note`."""
    if not permissions.can_publish_org(by, org):
        raise PermissionDenied(_("Only the owner can make this profile public."))
    is_owner = org.pk in permissions.owner_org_ids(by)
    if not is_owner and not note.strip():
        raise ValidationError(_("Say how the owner gave their consent (form, call, meeting)."))
    if org.merged_into_id:
        raise ValidationError(_("This profile was merged into another one."))
    with audit_actor(by):
        ConsentRecord.objects.create(organisation=org, published=True, by=by, note=note[:300])
        if not org.is_published:
            org.is_published = True
            org.save(update_fields=["is_published", "updated_at"])
    return org


@transaction.atomic
def organisation_unpublish(*, org: Organisation, by: User, note: str = "") -> Organisation:
    """Withdraw consent: the profile becomes private (visible to its people and staff only)."""
    if not permissions.can_publish_org(by, org):
        raise PermissionDenied(_("Only the owner can change the visibility of this profile."))
    with audit_actor(by):
        ConsentRecord.objects.create(organisation=org, published=False, by=by, note=note[:300])
        if org.is_published:
            org.is_published = False
            org.save(update_fields=["is_published", "updated_at"])
    return org


# --- Claims ------------------------------------------------------------------------------------


@transaction.atomic
def organisation_claim(*, org: Organisation, by: User, message: str = "") -> ClaimRequest:
    """An owner asks to take over a profile nobody owns (staff approve in their queue). The
    other way to claim is a staff invitation for the organisation with the owner role."""
    if not (by and by.is_authenticated):
        raise PermissionDenied(_("Log in to claim a profile."))
    if org.is_claimed or org.memberships.filter(role=Membership.Role.OWNER).exists():
        raise ValidationError(_("This profile already has an owner."))
    if not permissions.can_claim_org(by, org):
        raise ValidationError(_("You cannot claim this profile."))
    if ClaimRequest.objects.filter(
        organisation=org, user=by, status=ClaimRequest.Status.PENDING
    ).exists():
        raise ValidationError(_("Your claim is already waiting for staff review."))
    return ClaimRequest.objects.create(organisation=org, user=by, message=message.strip()[:2000])


def _claim_decided_mail(claim: ClaimRequest) -> None:
    from corridor.notifications.services import notify

    approved = claim.status == ClaimRequest.Status.APPROVED
    notify(
        user=claim.user,
        kind="directory.claim_decided",
        key=f"directory.claim_decided:{claim.pk}",
        subject=gettext_lazy("Your claim on Corridor was approved")
        if approved
        else gettext_lazy("Your claim on Corridor was not approved"),
        body_template="directory/trust/email/claim_decided.txt",
        context={"claim": claim, "approved": approved},
        url=reverse("accounts:dashboard"),
    )


@transaction.atomic
def claim_approve(*, claim: ClaimRequest, by: User, note: str = "") -> Membership:
    """Approve a claim: the claimant becomes owner, the profile is claimed, rival claims close."""
    _require_staff(by)
    claim = (
        ClaimRequest.objects.select_for_update()
        .select_related("organisation", "user")
        .get(pk=claim.pk)
    )
    if claim.status != ClaimRequest.Status.PENDING:
        raise ValidationError(_("This claim was already decided."))
    org = claim.organisation
    now = timezone.now()
    with audit_actor(by):
        membership, _created = Membership.objects.update_or_create(
            user=claim.user, organisation=org, defaults={"role": Membership.Role.OWNER}
        )
        org.is_claimed = True
        org.save(update_fields=["is_claimed", "updated_at"])
    claim.status, claim.decided_by, claim.decided_at = ClaimRequest.Status.APPROVED, by, now
    claim.decision_note = note[:2000]
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    ClaimRequest.objects.filter(organisation=org, status=ClaimRequest.Status.PENDING).update(
        status=ClaimRequest.Status.REJECTED,
        decided_by=by,
        decided_at=now,
        decision_note="another claim was approved",
    )
    _forget_org_cache(claim.user)
    _claim_decided_mail(claim)
    return membership


@transaction.atomic
def claim_reject(*, claim: ClaimRequest, by: User, note: str = "") -> ClaimRequest:
    _require_staff(by)
    claim = (
        ClaimRequest.objects.select_for_update()
        .select_related("organisation", "user")
        .get(pk=claim.pk)
    )
    if claim.status != ClaimRequest.Status.PENDING:
        raise ValidationError(_("This claim was already decided."))
    claim.status, claim.decided_by, claim.decided_at = (
        ClaimRequest.Status.REJECTED,
        by,
        timezone.now(),
    )
    claim.decision_note = note[:2000]
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _claim_decided_mail(claim)
    return claim


def claims_pending() -> QuerySet[ClaimRequest]:
    return (
        ClaimRequest.objects.filter(status=ClaimRequest.Status.PENDING)
        .select_related("organisation", "organisation__country", "user")
        .order_by("created_at")
    )


# --- Merging duplicates ------------------------------------------------------------------------

ROLE_RANK = {Membership.Role.OWNER: 3, Membership.Role.COORDINATOR: 2, Membership.Role.MEMBER: 1}
# Blank fields of the survivor that the duplicate may fill in.
FILLABLE_FIELDS = [
    "local_name",
    "description",
    "local_description",
    "province",
    "address",
    "website",
    "email",
    "phone",
    "founded_year",
    "employees",
    "product_focus",
    "buyer_type",
    "support_type",
    "coordinator",
]
# Relations the merge moves itself; others (from apps added later) move generically.
HANDLED = {
    (Product, "organisation"),
    (Certification, "organisation"),
    (ContactPerson, "organisation"),
    (SourcingRequest, "buyer"),
    (Membership, "organisation"),
    (Connection, "from_org"),
    (Connection, "to_org"),
    (Organisation, "cluster"),
    (Organisation, "merged_into"),
    (ClaimRequest, "organisation"),
    (Invitation, "organisation"),
    (ConsentRecord, "organisation"),
}


@dataclass
class MergePreview:
    survivor: Organisation
    duplicate: Organisation
    counts: dict[str, int] = field(default_factory=dict)
    filled: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _check_merge(survivor: Organisation, duplicate: Organisation) -> list[str]:
    problems = []
    if survivor.pk == duplicate.pk:
        problems.append(_("Choose two different profiles."))
    if survivor.merged_into_id or duplicate.merged_into_id:
        problems.append(_("One of these profiles was already merged."))
    if survivor.kind != duplicate.kind:
        problems.append(_("Only profiles of the same type can be merged."))
    return problems


def organisation_merge_preview(*, survivor: Organisation, duplicate: Organisation) -> MergePreview:
    """What a merge would move, for staff to confirm."""
    p = MergePreview(survivor=survivor, duplicate=duplicate)
    p.problems = _check_merge(survivor, duplicate)
    p.counts = {
        str(gettext_lazy("products")): duplicate.products.count(),
        str(gettext_lazy("certifications")): duplicate.certifications.count(),
        str(gettext_lazy("contact persons")): duplicate.contacts.count(),
        str(gettext_lazy("people (memberships)")): duplicate.memberships.count(),
        str(gettext_lazy("connections")): Connection.objects.filter(
            Q(from_org=duplicate) | Q(to_org=duplicate)
        ).count(),
        str(gettext_lazy("sourcing requests")): duplicate.sourcing_requests.count(),
        str(gettext_lazy("cluster members")): duplicate.members.count(),
    }
    p.filled = [
        str(Organisation._meta.get_field(f).verbose_name)
        for f in FILLABLE_FIELDS
        if _is_blank(getattr(survivor, _attname(f)))
        and not _is_blank(getattr(duplicate, _attname(f)))
    ]
    return p


def _attname(name: str) -> str:
    return Organisation._meta.get_field(name).attname


def _is_blank(value) -> bool:
    return value is None or value == ""


def _move_connections(survivor: Organisation, duplicate: Organisation) -> int:
    moved = 0
    live = [Connection.Status.REQUESTED, Connection.Status.ACCEPTED]
    for c in Connection.objects.filter(Q(from_org=duplicate) | Q(to_org=duplicate)).order_by(
        "status",
        "created_at",  # accepted first: it wins over a pending duplicate
    ):
        from_id = survivor.pk if c.from_org_id == duplicate.pk else c.from_org_id
        to_id = survivor.pk if c.to_org_id == duplicate.pk else c.to_org_id
        if from_id == to_id:  # the two duplicates were connected with each other
            c.delete()
            continue
        rival = (
            Connection.objects.filter(
                Q(from_org_id=from_id, to_org_id=to_id) | Q(from_org_id=to_id, to_org_id=from_id),
                status__in=live,
            )
            .exclude(pk=c.pk)
            .first()
            if c.status in live
            else None
        )
        if rival is not None:
            # One live connection per pair: an accepted one wins over a pending request.
            if c.status == Connection.Status.ACCEPTED and rival.status != c.status:
                rival.status = Connection.Status.WITHDRAWN
                rival.save(update_fields=["status"])
            else:
                c.status = Connection.Status.WITHDRAWN
        c.from_org_id, c.to_org_id = from_id, to_id
        c.save(update_fields=["from_org", "to_org", "status"])
        moved += 1
    return moved


def _move_memberships(survivor: Organisation, duplicate: Organisation) -> int:
    existing = {m.user_id: m for m in survivor.memberships.all()}
    moved = 0
    for m in duplicate.memberships.all():
        kept = existing.get(m.user_id)
        if kept is None:
            m.organisation = survivor
            m.save(update_fields=["organisation"])
        else:
            if ROLE_RANK.get(m.role, 0) > ROLE_RANK.get(kept.role, 0):
                kept.role = m.role
                kept.save(update_fields=["role"])
            m.delete()
        moved += 1
    return moved


def _move_generic(survivor: Organisation, duplicate: Organisation) -> dict[str, int]:
    """Repoint foreign keys of other apps; a relation that cannot move (a unique constraint
    would break) stays on the duplicate, which remains in the database, marked merged."""
    moved = {}
    for rel in Organisation._meta.related_objects:
        if not rel.one_to_many or (rel.related_model, rel.field.name) in HANDLED:
            continue
        manager = rel.related_model._base_manager
        try:
            with transaction.atomic():
                n = manager.filter(**{rel.field.name: duplicate}).update(
                    **{rel.field.name: survivor}
                )
        except IntegrityError:
            n = 0
        if n:
            moved[rel.related_model._meta.label] = n
    return moved


@transaction.atomic
def organisation_merge(*, survivor: Organisation, duplicate: Organisation, by: User) -> dict:
    """Move everything of `duplicate` into `survivor` in one transaction; the duplicate stays,
    marked merged_into, so that its history and old links still resolve."""
    _require_staff(by)
    locked = {
        o.pk: o
        for o in Organisation.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    problems = _check_merge(survivor, duplicate)
    if problems:
        raise ValidationError(problems)
    summary: dict[str, object] = {"survivor": survivor.pk, "duplicate": duplicate.pk}
    with audit_actor(by):
        # Saved one by one (not queryset.update) so that each move is in the history.
        for label, qs, fk in [
            ("products", duplicate.products.all(), "organisation"),
            ("certifications", duplicate.certifications.all(), "organisation"),
            ("contacts", duplicate.contacts.all(), "organisation"),
            ("sourcing_requests", duplicate.sourcing_requests.all(), "buyer"),
        ]:
            objs = list(qs)
            for obj in objs:
                setattr(obj, fk, survivor)
                obj.save()
            summary[label] = len(objs)
        summary["memberships"] = _move_memberships(survivor, duplicate)
        summary["connections"] = _move_connections(survivor, duplicate)
        summary["cluster_members"] = Organisation.objects.filter(cluster=duplicate).update(
            cluster=survivor if survivor.kind == "cluster" else None
        )
        Organisation.objects.filter(merged_into=duplicate).update(merged_into=survivor)
        for model in (ClaimRequest, Invitation, ConsentRecord):
            model.objects.filter(organisation=duplicate).update(organisation=survivor)
        summary["other"] = _move_generic(survivor, duplicate)

        filled = []
        for name in FILLABLE_FIELDS:
            att = _attname(name)
            if _is_blank(getattr(survivor, att)) and not _is_blank(getattr(duplicate, att)):
                setattr(survivor, att, getattr(duplicate, att))
                filled.append(name)
        survivor.is_claimed = survivor.is_claimed or duplicate.is_claimed
        if survivor.verified_at is None and duplicate.verified_at is not None:
            survivor.verified_at, survivor.verified_by_id = (
                duplicate.verified_at,
                duplicate.verified_by_id,
            )
            filled.append("verified_at")
        summary["filled"] = filled
        survivor.save()
        duplicate.merged_into = survivor
        duplicate.is_published = False
        duplicate.save(update_fields=["merged_into", "is_published", "updated_at"])
        LogEntry.objects.log_create(
            survivor,
            force_log=True,
            action=LogEntry.Action.UPDATE,
            changes={"merged_from": [None, f"{duplicate.name} (#{duplicate.pk})"]},
            additional_data={"merge": summary},
            actor=by,
        )
    from corridor.directory.search import reindex_organisations

    reindex_organisations([survivor.pk])
    return summary


# --- History -----------------------------------------------------------------------------------

HISTORY_MODELS = (Organisation, Product, Certification, ContactPerson)


def organisation_history(org: Organisation) -> QuerySet[LogEntry]:
    """History entries of an organisation (and profiles merged into it), and of its products,
    certifications and contact persons (current ones and deleted ones), newest first."""
    org_ids = [org.pk, *Organisation.objects.filter(merged_into=org).values_list("pk", flat=True)]
    cts = ContentType.objects.get_for_models(*HISTORY_MODELS)
    child_ids = {
        Product: list(
            Product.objects.filter(organisation_id__in=org_ids).values_list("pk", flat=True)
        ),
        Certification: list(
            Certification.objects.filter(organisation_id__in=org_ids).values_list("pk", flat=True)
        ),
        ContactPerson: list(
            ContactPerson.objects.filter(organisation_id__in=org_ids).values_list("pk", flat=True)
        ),
    }
    cond = Q(content_type=cts[Organisation], object_pk__in=[str(i) for i in org_ids])
    for model, ids in child_ids.items():
        if ids:
            cond |= Q(content_type=cts[model], object_pk__in=[str(i) for i in ids])
    # Children deleted or moved away: their creation, deletion and move entries recorded the
    # organisation id (auditlog stores [old, new] as strings).
    str_ids = [str(i) for i in org_ids]
    cond |= Q(content_type__in=[cts[m] for m in child_ids]) & (
        Q(changes__organisation__0__in=str_ids) | Q(changes__organisation__1__in=str_ids)
    )
    return (
        LogEntry.objects.filter(cond)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )


def history_rows(entries) -> list[dict]:
    """Entries ready to display: field names in the reader's language."""
    rows = []
    for e in entries:
        model = e.content_type.model_class()
        changes = e.changes if isinstance(e.changes, dict) else {}
        fields = []
        # Creations and deletions list every field: only updates say what changed.
        for name, values in changes.items() if e.action == LogEntry.Action.UPDATE else ():
            try:
                f = model._meta.get_field(name) if model else None
            except FieldDoesNotExist:  # a field removed since, or the merge marker
                f = None
            if f is not None and not f.concrete:
                continue
            label = str(getattr(f, "verbose_name", name))
            old, new = (values + [None, None])[:2] if isinstance(values, list) else (None, values)
            fields.append({"name": label, "old": old, "new": new})
        rows.append(
            {
                "entry": e,
                "what": str(model._meta.verbose_name) if model else e.content_type.model,
                "fields": fields,
            }
        )
    return rows
