"""Demo training: a programme with four modules (one per topic), sessions, attendance from the
first eight demo clusters and their SMEs, a few self-assessments, and milestones for all 16
clusters. Idempotent: every row is keyed on its natural fields; a second run creates nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TextIO

from django.db import transaction

from corridor.directory.models import Organisation
from corridor.training.models import (
    AssessmentQuestion,
    AssessmentResponse,
    Attendance,
    ClusterMilestone,
    MilestoneKind,
    Module,
    Programme,
    Session,
)
from corridor.training.services import person_key

PROGRAMME = "Export readiness for Mekong clusters (demo)"
MODULES = [  # topic, title, language, hours, months before today of its session, place
    ("export", "Export procedures and documents", "en", "12", 13, "Hanoi"),
    ("standards", "Standards and certification (GMP, organic)", "vi", "8", 12, "Da Nang"),
    ("product", "Product development for export buyers", "th", "10", 11, ""),
    ("cluster", "Managing a cluster and an export consortium", "km", "6", 10, "Phnom Penh"),
]
QUESTIONS = [
    "I know which documents a buyer and customs ask for.",
    "I can explain our product's price and lead time to a foreign buyer.",
]
NAMES = ["Lan", "Minh", "Somchai", "Sokha", "Vanh", "Aung", "Hoa", "Dara"]
# A cluster's progress: the first N milestone kinds reached, N by cluster position.
STEPS = [7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1]
ORDER = [
    MilestoneKind.FORMED,
    MilestoneKind.COORDINATOR,
    MilestoneKind.CONSORTIUM,
    MilestoneKind.BRAND,
    MilestoneKind.TRADE_FAIR,
    MilestoneKind.JOINT_EXPORT,
    MilestoneKind.CERTIFICATION,
]


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return datetime.date(y, m + 1, min(today.day, 28))


@transaction.atomic
def load_training_demo(*, stdout: TextIO | None = None, today: datetime.date | None = None) -> None:
    today = today or datetime.date.today()
    clusters = list(Organisation.objects.filter(kind="cluster").order_by("id"))[:16]
    if not clusters:
        return
    programme, _ = Programme.objects.get_or_create(
        name=PROGRAMME,
        defaults={
            "funder": "Mekong Cluster Fund (demo)",
            "starts_on": _months_ago(today, 14),
            "ends_on": _months_ago(today, 9),
        },
    )
    sessions = []
    for topic, title, lang, hours, ago, place in MODULES:
        module, _ = Module.objects.get_or_create(
            programme=programme,
            title=title,
            defaults={"topic": topic, "language": lang, "hours": Decimal(hours)},
        )
        for i, text in enumerate(QUESTIONS, start=1):
            AssessmentQuestion.objects.get_or_create(
                module=module, order=i, defaults={"text": text}
            )
        session, _ = Session.objects.get_or_create(
            module=module,
            date=_months_ago(today, ago),
            defaults={"place": place, "online": not place, "trainers": "Institute trainers"},
        )
        sessions.append(session)
    # The first eight clusters trained: the coordinator's office and two member SMEs each.
    for c_index, cluster in enumerate(clusters[:8]):
        members = list(Organisation.objects.filter(cluster=cluster, kind="sme").order_by("id")[:2])
        people = [(cluster, f"{NAMES[c_index]} (coordinator)")]
        people += [
            (sme, f"{NAMES[(c_index + j + 1) % len(NAMES)]} {sme.name.split()[0]}")
            for j, sme in enumerate(members)
        ]
        for s_index, session in enumerate(sessions):
            if (c_index + s_index) % 2 and s_index:  # not everyone attends every module
                continue
            for org, name in people:
                a, created = Attendance.objects.get_or_create(
                    session=session,
                    person_key=person_key(name),
                    defaults={"person_name": name, "organisation": org},
                )
                questions = list(session.module.questions.order_by("order"))
                for phase, base in (("before", 2), ("after", 4)):
                    AssessmentResponse.objects.get_or_create(
                        attendance=a,
                        phase=phase,
                        defaults={
                            "answers": {
                                str(q.pk): min(5, base + (c_index + k) % 2)
                                for k, q in enumerate(questions)
                            }
                        },
                    )
    for c_index, cluster in enumerate(clusters):
        for k, kind in enumerate(ORDER[: STEPS[c_index % len(STEPS)]]):
            ClusterMilestone.objects.get_or_create(
                cluster=cluster,
                kind=kind,
                defaults={
                    "date": _months_ago(today, 60 - 8 * k - c_index),
                    "evidence": "Recorded by programme staff (demo data).",
                },
            )
    if stdout is not None:
        stdout.write(
            f"Demo training: {Attendance.objects.filter(session__module__programme=programme).count()} "
            f"attendances, {ClusterMilestone.objects.count()} cluster milestones.\n"
        )
