"""Leads from held meetings, meetings held on the dashboard, per-event plans and reports."""

from __future__ import annotations

import io

from django.core import mail
from django.core.management import call_command

from corridor.events import services as event_services
from corridor.followup import selectors, sending
from corridor.followup.models import FollowUpPlan, FollowUpStep, Lead, SurveyInvitation
from tests.events import conftest as event_fixtures

# The events app's fixtures, used here as they are (a forum, its participants, its staff).
forum = event_fixtures.forum
people = event_fixtures.people
staff = event_fixtures.staff
_on_commit_now = event_fixtures._on_commit_now
meet = event_fixtures.meet


def _held(people, forum, staff, a="Rice Mill", b="Buyer Co", also=None):
    """A meeting of a and b, scheduled and marked held by b; `also`: another pair to schedule."""
    meeting = meet(people[a], people[b])
    other = meet(people[also[0]], people[also[1]]) if also else None
    event_services.schedule_run_start(event=forum, by=staff, time_limit=1)
    meeting.refresh_from_db()
    event_services.meeting_mark(meeting=meeting, by=people[b][0], mark="held")
    if other is not None:
        other.refresh_from_db()
        return meeting, other
    return meeting


def test_a_held_meeting_where_a_side_wants_to_follow_up_becomes_a_lead(people, forum, staff):
    meeting = _held(people, forum, staff)
    event_services.meeting_feedback(
        meeting=meeting, by=people["Buyer Co"][0], rating=4, wants_follow_up=False
    )
    assert not Lead.objects.exists()

    event_services.meeting_feedback(
        meeting=meeting, by=people["Rice Mill"][0], rating=5, wants_follow_up=True
    )

    lead = Lead.objects.get()
    assert (lead.supplier.name, lead.buyer.name, lead.source) == (
        "Rice Mill",
        "Buyer Co",
        "meeting",
    )
    assert (lead.meeting, lead.event) == (meeting, forum)
    assert lead.started_on == meeting.slot.starts_at.date()


def test_backfill_finds_meetings_from_before(people, forum, staff):
    meeting = _held(people, forum, staff)
    event_services.meeting_feedback(
        meeting=meeting, by=people["Rice Mill"][0], rating=5, wants_follow_up=True
    )
    Lead.objects.all().delete()
    out = io.StringIO()
    call_command("backfill_leads", stdout=out)
    assert out.getvalue() == "1 leads created.\n"
    assert Lead.objects.get().meeting == meeting


def test_meetings_held_count_on_the_dashboard_by_event(people, forum, staff):
    _meeting, other = _held(people, forum, staff, also=("Silk House", "Buyer Co"))
    event_services.meeting_mark(meeting=other, by=people["Silk House"][0], mark="held")
    event_services.meeting_settle(meeting=other, by=staff, outcome="no_show")

    assert selectors.impact(selectors.Filters(), viewer=False).meetings_held == 1
    assert selectors.impact(selectors.Filters(event=forum.pk), viewer=False).meetings_held == 1
    assert selectors.impact(selectors.Filters(event=forum.pk + 99), viewer=False).meetings_held == 0


def test_an_event_plan_covers_its_leads_and_the_programme_plan_the_rest(
    people, forum, staff, sme, buyer_org
):
    meeting = _held(people, forum, staff)
    event_services.meeting_feedback(
        meeting=meeting, by=people["Rice Mill"][0], rating=5, wants_follow_up=True
    )
    from corridor.followup.services import lead_for_pair

    other, _ = lead_for_pair(
        a=sme, b=buyer_org, source="manual", started_on=meeting.slot.starts_at.date()
    )
    event_plan = FollowUpPlan.objects.create(name="Forum", event=forum)
    FollowUpStep.objects.create(plan=event_plan, offset_months=0)
    programme = FollowUpPlan.objects.create(name="Programme")
    FollowUpStep.objects.create(plan=programme, offset_months=0)

    sending.send_followups(now=meeting.slot.ends_at)

    by_plan = sorted(set(SurveyInvitation.objects.values_list("lead_id", "step__plan__name")))
    forum_lead = Lead.objects.get(event=forum)
    assert by_plan == sorted([(forum_lead.pk, "Forum"), (other.pk, "Programme")])
    surveys = [m for m in mail.outbox if m.subject.startswith("How is it going")]
    assert len(surveys) == 4


def test_the_dashboard_groups_by_event_and_prints_an_event_report(client, people, forum, staff):
    meeting = _held(people, forum, staff)
    event_services.meeting_feedback(
        meeting=meeting, by=people["Rice Mill"][0], rating=5, wants_follow_up=True
    )
    data = selectors.impact(selectors.Filters(), viewer=False)
    assert [(r.label, r.leads) for r in data.by["event"]] == [(forum.name, 1)]
    client.force_login(staff)
    pdf = client.get(f"/followup/impact/?event={forum.pk}&format=pdf")
    assert pdf.content.startswith(b"%PDF")
    page = client.get(f"/followup/impact/?event={forum.pk}").content.decode()
    assert 'id="ind-meetings">1<' in page
