"""The no-login self-assessment: one person's link opens only their own, expiry, closing."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from corridor.followup.models import PersonalLink
from corridor.training import services
from corridor.training.models import AssessmentResponse


def _answers(module, values=(4, 5)) -> dict:
    return {f"q{q.pk}": str(v) for q, v in zip(module.questions.all(), values, strict=True)}


def test_answer_after_assessment_through_the_link(client, attendance, staff_user, module):
    raw = services.assessment_link_issue(attendance=attendance, phase="after", by=staff_user)
    url = reverse("training:assess", args=["after", raw])
    page = client.get(url)
    assert page.status_code == 200 and "Nguyen Thi Lan" in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert page["Cache-Control"] == "no-store"
    r = client.post(url, _answers(module))
    assert r.status_code == 200 and "Thank you" in r.content.decode()
    response = AssessmentResponse.objects.get(attendance=attendance, phase="after")
    q1, q2 = module.questions.all()
    assert response.answers == {str(q1.pk): 4, str(q2.pk): 5}
    # Answered: the link is closed.
    assert client.get(url).status_code == 410


def test_one_persons_link_never_opens_another(client, session, sme, staff_user, attendance, module):
    other = services.attendance_add(
        session=session,
        person=services.Person(name="Tran Van Minh", organisation_id=sme.pk),
        by=staff_user,
    )
    raw_mine = services.assessment_link_issue(attendance=attendance, phase="after", by=staff_user)
    raw_other = services.assessment_link_issue(attendance=other, phase="after", by=staff_user)
    page = client.get(reverse("training:assess", args=["after", raw_other])).content.decode()
    assert "Tran Van Minh" in page and "Nguyen Thi Lan" not in page
    client.post(reverse("training:assess", args=["after", raw_mine]), _answers(module))
    assert list(AssessmentResponse.objects.values_list("attendance_id", flat=True)) == [
        attendance.pk
    ]
    # A link made for "after" does not open the "before" assessment, nor a tampered token.
    assert client.get(reverse("training:assess", args=["before", raw_other])).status_code == 404
    assert client.get(reverse("training:assess", args=["after", raw_other[:-1]])).status_code == 404
    assert client.get(reverse("training:assess", args=["during", raw_other])).status_code == 404


def test_expired_link_refused(client, attendance, staff_user, module):
    raw = services.assessment_link_issue(attendance=attendance, phase="before", by=staff_user)
    PersonalLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    url = reverse("training:assess", args=["before", raw])
    r = client.get(url)
    assert r.status_code == 410 and "expired" in r.content.decode()
    assert client.post(url, _answers(module)).status_code == 410
    assert AssessmentResponse.objects.count() == 0


def test_answers_must_be_one_to_five(client, attendance, staff_user, module):
    raw = services.assessment_link_issue(attendance=attendance, phase="before", by=staff_user)
    url = reverse("training:assess", args=["before", raw])
    r = client.post(url, _answers(module, (4, 9)))
    assert r.status_code == 200 and AssessmentResponse.objects.count() == 0
    q1 = module.questions.first()
    r = client.post(url, {f"q{q1.pk}": "3"})
    assert r.status_code == 200 and AssessmentResponse.objects.count() == 0


def test_no_second_link_once_answered(attendance, staff_user, module):
    import pytest
    from django.core.exceptions import ValidationError

    services.assessment_answer(
        attendance=attendance, phase="before", answers={q.pk: 3 for q in module.questions.all()}
    )
    with pytest.raises(ValidationError):
        services.assessment_link_issue(attendance=attendance, phase="before", by=staff_user)
    with pytest.raises(ValidationError):
        services.assessment_answer(
            attendance=attendance, phase="before", answers={q.pk: 3 for q in module.questions.all()}
        )
