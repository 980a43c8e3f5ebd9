"""Staff's page of follow-up plans: validation, who may use it, and what a change does to the
surveys already scheduled or sent (the rule in docs/followup.md, "Changing a plan")."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from corridor.events.models import Event
from corridor.followup import sending, services
from corridor.followup.models import FollowUpPlan, FollowUpStep, SurveyInvitation, SurveyMessage


def _post(client, url, **data):
    form = {
        "name": "Programme",
        "steps": "0, 1, 3",
        "reminder_after_days": "5",
        "link_valid_days": "30",
        "is_active": "on",
        **data,
    }
    return client.post(url, form)


def _offsets(plan, *, retired=False):
    return list(
        plan.steps.filter(retired_at__isnull=not retired).values_list("offset_months", flat=True)
    )


def test_staff_create_a_plan_with_its_steps(client, staff_user):
    client.force_login(staff_user)

    response = _post(client, "/followup/staff/plans/new/", steps="0, +1, 3, 6, 12")

    plan = FollowUpPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/followup/staff/plans/{plan.pk}/"
    assert (plan.name, plan.event_id, plan.is_active) == ("Programme", None, True)
    assert _offsets(plan) == [0, 1, 3, 6, 12]
    page = client.get("/followup/staff/plans/")
    assert "+0, +1, +3, +6, +12" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"steps": "3, 1"}, "Write the steps in increasing order."),
        ({"steps": "0, 1, 1"}, "A step is given twice."),
        ({"steps": "0, 61"}, "A step is between 0 and 60 months after first contact."),
        ({"steps": "0, one"}, "Write whole months, for example 0, 1, 3, 6, 12."),
        ({"steps": " , "}, "Give at least one step."),
        ({"steps": ", ".join(str(m) for m in range(13))}, "At most 12 steps."),
        (
            {"reminder_after_days": "30", "link_valid_days": "30"},
            "Links must stay valid longer than the wait before a reminder.",
        ),
        ({"reminder_after_days": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"link_valid_days": "400"}, "Ensure this value is less than or equal to 365."),
    ],
)
def test_a_plan_with_bad_steps_or_settings_is_refused(client, staff_user, data, message):
    client.force_login(staff_user)

    response = _post(client, "/followup/staff/plans/new/", **data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FollowUpPlan.objects.exists()


def test_a_second_active_plan_for_the_same_leads_is_refused(client, staff_user, plan):
    client.force_login(staff_user)

    response = _post(client, "/followup/staff/plans/new/", name="Another")

    assert "Another active plan covers the programme." in response.content.decode()
    assert FollowUpPlan.objects.count() == 1
    # An inactive one may wait beside it.
    _post(client, "/followup/staff/plans/new/", name="Draft", is_active="")
    assert FollowUpPlan.objects.filter(name="Draft", is_active=False).exists()


@pytest.mark.parametrize("who", ["sme_owner", "coordinator", "viewer", "buyer_user"])
def test_only_staff_see_or_change_plans(client, request, plan, who):
    client.force_login(request.getfixturevalue(who))

    for url in ("/followup/staff/plans/", "/followup/staff/plans/new/"):
        assert client.get(url).status_code == 404
    assert client.get(f"/followup/staff/plans/{plan.pk}/").status_code == 404
    assert _post(client, f"/followup/staff/plans/{plan.pk}/", steps="6").status_code == 404
    assert client.post(f"/followup/staff/plans/{plan.pk}/delete/").status_code == 404
    assert _offsets(plan) == [0, 1, 3, 6, 12]
    with pytest.raises(services.FollowupError):
        services.plan_save(by=request.getfixturevalue(who), plan=plan, name="x", steps=[6])


def test_anonymous_visitors_are_sent_to_log_in(client, plan):
    response = client.get("/followup/staff/plans/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_removed_step_that_sent_surveys_is_retired_and_its_surveys_are_kept(
    client, staff_user, lead, plan
):
    start = timezone.now()
    sending.send_followups(now=start)  # first contact 40 days ago: asked at +1
    asked = SurveyInvitation.objects.filter(lead=lead)
    assert set(asked.values_list("step__offset_months", flat=True)) == {1}
    step_one = FollowUpStep.objects.get(plan=plan, offset_months=1)
    client.force_login(staff_user)

    _post(client, f"/followup/staff/plans/{plan.pk}/", steps="0, 3, 6, 12")

    assert _offsets(plan) == [0, 3, 6, 12]
    assert _offsets(plan, retired=True) == [1]
    assert asked.count() == 2  # kept, with their step
    # Nothing new is sent: the lead is not asked again at +0, a point it has passed.
    sending.send_followups(now=start + datetime.timedelta(hours=1))
    assert asked.count() == 2
    # The surveys sent still get their reminders, and an answer still counts.
    sending.send_followups(now=start + datetime.timedelta(days=6))
    reminders = SurveyMessage.objects.filter(kind="reminder", invitation__step=step_one)
    assert reminders.count() == 2
    services.survey_answer(invitation=asked.get(side="buyer"), stage="contact")
    lead.refresh_from_db()
    assert lead.stage == "contact"
    # Writing the step again brings the same step back.
    _post(client, f"/followup/staff/plans/{plan.pk}/", steps="0, 1, 3, 6, 12")
    assert FollowUpStep.objects.get(plan=plan, offset_months=1).pk == step_one.pk
    assert _offsets(plan, retired=True) == []


def test_a_removed_step_that_never_sent_anything_is_deleted(staff_user, plan):
    services.plan_save(by=staff_user, plan=plan, name=plan.name, steps=[0, 1])

    assert FollowUpStep.objects.filter(plan=plan).count() == 2


def test_a_new_step_is_asked_from_the_next_round_on(staff_user, lead, plan):
    services.plan_save(by=staff_user, plan=plan, name=plan.name, steps=[0, 3])
    sending.send_followups()  # 40 days: +0 is the latest step due
    assert set(SurveyInvitation.objects.values_list("step__offset_months", flat=True)) == {0}

    services.plan_save(by=staff_user, plan=plan, name=plan.name, steps=[0, 1, 3])
    run = sending.send_followups()

    assert run.sent == 2
    assert sorted(SurveyInvitation.objects.values_list("step__offset_months", "side")) == [
        (0, "buyer"),
        (0, "supplier"),
        (1, "buyer"),
        (1, "supplier"),
    ]


def test_an_inactive_plan_sends_nothing_more_not_even_reminders(staff_user, lead, plan):
    start = timezone.now()
    sending.send_followups(now=start)
    services.plan_save(by=staff_user, plan=plan, name=plan.name, steps=[0, 1], is_active=False)
    mail.outbox.clear()

    sending.send_followups(now=start + datetime.timedelta(days=6))

    assert mail.outbox == []
    assert SurveyInvitation.objects.filter(lead=lead).count() == 2


def test_a_plan_that_sent_surveys_keeps_its_event_and_cannot_be_deleted(
    client, staff_user, lead, plan
):
    sending.send_followups()
    event = Event.objects.create(name="Forum", slug="forum")
    client.force_login(staff_user)

    response = client.post(f"/followup/staff/plans/{plan.pk}/delete/", follow=True)

    assert "deactivate it instead" in response.content.decode()
    assert FollowUpPlan.objects.filter(pk=plan.pk).exists()
    with pytest.raises(services.FollowupError, match="its event cannot change"):
        services.plan_save(by=staff_user, plan=plan, name=plan.name, event=event, steps=[0])
    unused = services.plan_save(by=staff_user, name="Draft", steps=[0], is_active=False)
    client.post(f"/followup/staff/plans/{unused.pk}/delete/")
    assert not FollowUpPlan.objects.filter(pk=unused.pk).exists()
