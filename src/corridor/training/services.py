"""Changes to training records. Every write checks who is acting (programme staff; a cluster's
coordinator for its milestones) and validates before saving, inside one transaction."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from corridor.core import links
from corridor.core.hygiene import clean_text
from corridor.core.text import fold
from corridor.directory.models import Organisation
from corridor.training import files, permissions
from corridor.training.models import (
    AssessmentQuestion,
    AssessmentResponse,
    Attendance,
    ClusterMilestone,
    MilestoneKind,
    Module,
    Phase,
    Programme,
    Session,
    Topic,
)

ASSESSMENT_PURPOSE = "training.assessment.{phase}"
ASSESSMENT_LINK_DAYS = 14


def _require_staff(by) -> None:
    if not permissions.can_manage(by):
        raise PermissionDenied(_("Only programme staff may change training records."))


def _clean(value: str, max_length: int) -> str:
    value = clean_text(value or "", multiline=False).strip()
    return re.sub(r"\s+", " ", value)[:max_length]


def person_key(name: str) -> str:
    return fold(_clean(name, 200))[:200]


@transaction.atomic
def programme_create(
    *, name: str, funder: str, starts_on: datetime.date, ends_on: datetime.date, by
) -> Programme:
    _require_staff(by)
    programme = Programme(
        name=_clean(name, 200),
        funder=_clean(funder, 200),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    if not programme.name:
        raise ValidationError({"name": _("Give the programme a name.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The programme cannot end before it starts.")})
    programme.full_clean()
    programme.save()
    return programme


@transaction.atomic
def module_create(
    *,
    programme: Programme,
    topic: str,
    title: str,
    language: str,
    hours: Decimal,
    material: UploadedFile | None = None,
    by,
) -> Module:
    _require_staff(by)
    if topic not in Topic.values:
        raise ValidationError({"topic": _("Choose a topic from the list.")})
    module = Module(
        programme=programme,
        topic=topic,
        title=_clean(title, 200),
        language=_clean(language, 8) or "en",
        hours=hours,
    )
    if material is not None:
        content, shown = files.prepare_document(material)
        module.material.save(content.name, content, save=False)
        module.material_name = shown
    module.full_clean(exclude=["material"])
    module.save()
    return module


@transaction.atomic
def session_create(
    *,
    module: Module,
    date: datetime.date,
    place: str = "",
    online: bool = False,
    trainers: str = "",
    event=None,
    by,
) -> Session:
    _require_staff(by)
    place = _clean(place, 200)
    if not online and not place:
        raise ValidationError({"place": _("Say where the session takes place, or tick online.")})
    session = Session(
        module=module,
        date=date,
        place=place,
        online=online,
        trainers=_clean(trainers, 300),
        event=event,
    )
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def question_add(*, module: Module, text: str, by) -> AssessmentQuestion:
    _require_staff(by)
    text = _clean(text, 300)
    if not text:
        raise ValidationError({"text": _("Write the question.")})
    order = module.questions.count() + 1
    return AssessmentQuestion.objects.create(module=module, text=text, order=order)


# --- Attendance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    organisation_id: int
    user_id: int | None = None
    language: str = ""


def _attendance_for(session: Session, person: Person) -> Attendance:
    name = _clean(person.name, 200)
    if not name:
        raise ValidationError({"person_name": _("Give the person's name.")})
    return Attendance(
        session=session,
        person_name=name,
        person_key=person_key(name),
        organisation_id=person.organisation_id,
        user_id=person.user_id,
        language=_clean(person.language, 8),
    )


@transaction.atomic
def attendance_add(*, session: Session, person: Person, by) -> Attendance:
    _require_staff(by)
    attendance = _attendance_for(session, person)
    if Attendance.objects.filter(session=session, person_key=attendance.person_key).exists():
        raise ValidationError(
            {
                "person_name": _("%(name)s is already marked present.")
                % {"name": attendance.person_name}
            }
        )
    if not Organisation.objects.filter(pk=person.organisation_id).exists():
        raise ValidationError({"organisation": _("Unknown organisation.")})
    try:
        with transaction.atomic():
            attendance.save()
    except IntegrityError as exc:  # the same person added at the same moment
        raise ValidationError(_("This person is already marked present.")) from exc
    return attendance


@transaction.atomic
def attendance_set(*, session: Session, present: Iterable[Person], by) -> tuple[int, int]:
    """Make the session's attendance exactly `present` (the ticked list): returns (added,
    removed). A person already present keeps their record (and their assessments)."""
    _require_staff(by)
    wanted: dict[str, Person] = {}
    for p in present:
        wanted.setdefault(person_key(p.name), p)
    wanted.pop("", None)
    existing = {a.person_key: a for a in session.attendances.select_for_update()}
    removed = [a.pk for k, a in existing.items() if k not in wanted]
    Attendance.objects.filter(pk__in=removed).delete()
    new = [_attendance_for(session, p) for k, p in wanted.items() if k not in existing]
    Attendance.objects.bulk_create(new)
    return len(new), len(removed)


@transaction.atomic
def attendance_import(*, session: Session, people: list[Person], by) -> int:
    """Add checked rows (see training.imports); all or nothing: a clash raises and writes none."""
    _require_staff(by)
    rows = [_attendance_for(session, p) for p in people]
    keys = [a.person_key for a in rows]
    taken = set(
        Attendance.objects.filter(session=session, person_key__in=keys).values_list(
            "person_key", flat=True
        )
    )
    if taken or len(set(keys)) != len(keys):
        raise ValidationError(_("Some people are already marked present: nothing was imported."))
    Attendance.objects.bulk_create(rows)
    return len(rows)


# --- Assessments ------------------------------------------------------------------------------


def assessment_purpose(phase: str) -> str:
    if phase not in Phase.values:
        raise ValueError(phase)
    return ASSESSMENT_PURPOSE.format(phase=phase)


def assessment_link_issue(
    *, attendance: Attendance, phase: str, by, valid_days: int = ASSESSMENT_LINK_DAYS
) -> str:
    """A personal no-login link for one participant's before or after self-assessment; returns
    the raw token (shown once to staff to pass on)."""
    _require_staff(by)
    if not attendance.session.module.questions.exists():
        raise ValidationError(_("Add the module's questions before sending assessment links."))
    if AssessmentResponse.objects.filter(attendance=attendance, phase=phase).exists():
        raise ValidationError(_("This participant has already answered."))
    raw, _link = links.link_issue(
        purpose=assessment_purpose(phase),
        target=attendance,
        valid_for=datetime.timedelta(days=valid_days),
    )
    return raw


@transaction.atomic
def assessment_answer(
    *, attendance: Attendance, phase: str, answers: dict[int, int]
) -> AssessmentResponse:
    """Record a self-assessment: every question of the module answered 1 to 5."""
    questions = list(attendance.session.module.questions.values_list("id", flat=True))
    clean: dict[str, int] = {}
    for qid in questions:
        value = answers.get(qid)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError(_("Answer every question with a number from 1 to 5."))
        clean[str(qid)] = value
    if set(answers) - set(questions):
        raise ValidationError(_("An answer is for a question of another module."))
    if AssessmentResponse.objects.filter(attendance=attendance, phase=phase).exists():
        raise ValidationError(_("This self-assessment was already answered."))
    try:
        with transaction.atomic():
            response = AssessmentResponse.objects.create(
                attendance=attendance, phase=phase, answers=clean
            )
    except IntegrityError as exc:
        raise ValidationError(_("This self-assessment was already answered.")) from exc
    links.links_close(purpose=assessment_purpose(phase), target=attendance)
    return response


# --- Milestones -------------------------------------------------------------------------------


@transaction.atomic
def milestone_add(
    *,
    cluster: Organisation,
    kind: str,
    date: datetime.date,
    evidence: str = "",
    evidence_file: UploadedFile | None = None,
    by,
) -> ClusterMilestone:
    if not permissions.can_add_milestone(by, cluster):
        raise PermissionDenied(_("Only programme staff and the cluster's coordinator may do this."))
    if kind not in MilestoneKind.values:
        raise ValidationError({"kind": _("Choose a milestone from the list.")})
    if date > datetime.date.today():
        raise ValidationError({"date": _("A milestone is recorded once it is reached.")})
    milestone = ClusterMilestone(
        cluster=cluster,
        kind=kind,
        date=date,
        evidence=clean_text(evidence or "").strip()[:2000],
        created_by=by if getattr(by, "pk", None) else None,
    )
    if evidence_file is not None:
        content, shown = files.prepare_document(evidence_file)
        milestone.evidence_file.save(content.name, content, save=False)
        milestone.evidence_file_name = shown
    milestone.full_clean(exclude=["evidence_file"])
    milestone.save()
    return milestone
