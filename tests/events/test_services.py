"""Registration, requests, meetings and the schedule through the services, on the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from corridor.connections.models import Connection
from corridor.events import services
from corridor.events.models import (
    Meeting,
    MeetingRequest,
    MeetingSeat,
    Registration,
    ScheduleRun,
)
from tests import factories
from tests.events.conftest import make_participant, meet


def test_registration_needs_approval_when_the_event_says_so(forum, staff):
    forum.requires_approval = True
    forum.save()
    user = factories.UserFactory(username="owner1")
    org = factories.OrganisationFactory(name="Kampot Pepper")
    factories.MembershipFactory(user=user, organisation=org)

    reg = services.registration_create(event=forum, organisation=org, by=user, offers="pepper")

    assert reg.status == Registration.Status.PENDING
    services.registration_approve(registration=reg, by=staff)
    reg.refresh_from_db()
    assert reg.status == Registration.Status.APPROVED
    assert reg.representatives.get().user == user


def test_registration_after_the_deadline_is_refused_with_the_date(forum):
    forum.registration_deadline = timezone.now() - dt.timedelta(hours=1)
    forum.save()
    user = factories.UserFactory(username="late")
    org = factories.OrganisationFactory(name="Late Co")
    factories.MembershipFactory(user=user, organisation=org)

    with pytest.raises(services.EventError) as exc:
        services.registration_create(event=forum, organisation=org, by=user)

    assert "closed on" in exc.value.message
    assert not Registration.objects.filter(organisation=org).exists()
    assert services.registration_is_open(forum) is False
    assert services.events_close_registration() == 1


def test_registration_of_someone_elses_organisation_is_refused(forum):
    user = factories.UserFactory(username="intruder")
    org = factories.OrganisationFactory(name="Not Mine")
    with pytest.raises(services.EventError):
        services.registration_create(event=forum, organisation=org, by=user)


def test_full_event_waitlists_and_a_cancellation_moves_the_next_one_up(forum, staff):
    forum.capacity = 2
    forum.save()
    _, first = make_participant(forum, "One")
    make_participant(forum, "Two")
    user = factories.UserFactory(username="three")
    org = factories.OrganisationFactory(name="Three")
    factories.MembershipFactory(user=user, organisation=org)

    third = services.registration_create(event=forum, organisation=org, by=user)
    assert third.status == Registration.Status.WAITLISTED

    services.registration_cancel(registration=first, by=staff)
    third.refresh_from_db()
    assert third.status == Registration.Status.APPROVED


def test_accepting_a_request_creates_the_meeting_and_the_connection(people):
    meeting = meet(people["Rice Mill"], people["Buyer Co"], priority=3, their_priority=1)

    assert meeting.weight == 4
    assert meeting.slot is None
    orgs = {s.registration.organisation.name for s in meeting.seats.all()}
    assert orgs == {"Rice Mill", "Buyer Co"}
    conn = Connection.objects.get()
    assert conn.status == Connection.Status.ACCEPTED
    assert conn.source == f"event:{meeting.event_id}"


def test_only_the_recipient_may_accept(people):
    (ua, ra), (_ub, rb) = people["Rice Mill"], people["Buyer Co"]
    request = services.request_send(from_registration=ra, to_registration=rb, by=ua)
    with pytest.raises(services.EventError):
        services.request_accept(request=request, by=ua)
    stranger = factories.UserFactory(username="someone")
    with pytest.raises(services.EventError):
        services.request_decline(request=request, by=stranger)
    request.refresh_from_db()
    assert request.status == MeetingRequest.Status.PENDING


def test_a_second_request_between_the_same_pair_is_refused(people):
    (ua, ra), (ub, rb) = people["Rice Mill"], people["Buyer Co"]
    services.request_send(from_registration=ra, to_registration=rb, by=ua)
    with pytest.raises(services.EventError) as exc:
        services.request_send(from_registration=rb, to_registration=ra, by=ub)
    assert "answer their request" in exc.value.message


def test_requests_expire_and_both_sides_are_told(people):
    (ua, ra), (ub, rb) = people["Rice Mill"], people["Buyer Co"]
    request = services.request_send(from_registration=ra, to_registration=rb, by=ua)
    mail.outbox.clear()

    n = services.requests_expire(now=timezone.now() + dt.timedelta(days=6))

    assert n == 1
    request.refresh_from_db()
    assert request.status == MeetingRequest.Status.EXPIRED
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ua.email, ub.email])
    with pytest.raises(services.EventError):
        services.request_accept(request=request, by=ub)


def test_requests_close_when_scheduling_starts(people, forum, staff):
    (ua, ra), (_ub, rb) = people["Rice Mill"], people["Buyer Co"]
    meet(people["Silk House"], people["Buyer Co"])
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    with pytest.raises(services.EventError) as exc:
        services.request_send(from_registration=ra, to_registration=rb, by=ua)
    assert "closed" in exc.value.message


def test_multi_party_meeting_waits_for_every_invitee(people):
    (ub, rb) = people["Buyer Co"]
    (u1, r1), (u2, r2), (u3, r3) = people["Rice Mill"], people["Silk House"], people["Pepper Farm"]
    request = services.request_send(
        from_registration=rb, to_registration=r1, by=ub, priority=3, invitees=[r2, r3]
    )

    services.request_accept(request=request, by=u1, priority=2)
    request.refresh_from_db()
    assert request.status == MeetingRequest.Status.PENDING
    services.request_accept(request=request, by=u2, registration=r2, priority=1)
    services.request_decline(request=request, by=u3, registration=r3)

    request.refresh_from_db()
    assert request.status == MeetingRequest.Status.ACCEPTED
    names = sorted(s.registration.organisation.name for s in request.meeting.seats.all())
    assert names == ["Buyer Co", "Rice Mill", "Silk House"]
    assert request.meeting.weight == 5


def test_solve_places_meetings_without_double_booking(people, forum, staff):
    for a, b in [
        ("Rice Mill", "Buyer Co"),
        ("Silk House", "Buyer Co"),
        ("Pepper Farm", "Buyer Co"),
        ("Rice Mill", "Silk House"),
    ]:
        meet(people[a], people[b])

    run = services.schedule_run_start(event=forum, by=staff, time_limit=1)

    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.APPLIED
    assert run.result["stats"]["scheduled"] == 4
    meetings = list(Meeting.objects.filter(event=forum))
    assert all(m.slot_id and m.table for m in meetings)
    seats = list(
        MeetingSeat.objects.filter(meeting__event=forum).values_list("registration", "slot")
    )
    assert len(seats) == len(set(seats)) == 8
    forum.refresh_from_db()
    assert forum.schedule_version >= 1


def _scheduled(people, forum, staff, pairs):
    meetings = [meet(people[a], people[b]) for a, b in pairs]
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    forum.refresh_from_db()
    for m in meetings:
        m.refresh_from_db()
    return meetings


def test_hand_move_into_a_clash_is_refused_with_reasons(people, forum, staff):
    m1, m2 = _scheduled(
        people, forum, staff, [("Rice Mill", "Buyer Co"), ("Silk House", "Buyer Co")]
    )

    with pytest.raises(services.EventError) as exc:
        services.meeting_move(meeting=m1, by=staff, slot=m2.slot, version=forum.schedule_version)

    assert "Buyer Co" in exc.value.message
    assert "already has meeting" in exc.value.message
    m1.refresh_from_db()
    assert m1.slot_id != m2.slot_id


def test_hand_move_to_a_free_slot_is_allowed_and_raises_the_sequence(people, forum, staff):
    (m1,) = _scheduled(people, forum, staff, [("Rice Mill", "Buyer Co")])
    free = forum.slots.exclude(pk=m1.slot_id).last()
    seq = m1.sequence

    services.meeting_move(meeting=m1, by=staff, slot=free, table=2, version=forum.schedule_version)

    m1.refresh_from_db()
    assert (m1.slot_id, m1.table, m1.sequence) == (free.pk, 2, seq + 1)
    assert set(m1.seats.values_list("slot", flat=True)) == {free.pk}


def test_a_locked_meeting_cannot_be_moved(people, forum, staff):
    (m1,) = _scheduled(people, forum, staff, [("Rice Mill", "Buyer Co")])
    services.meeting_lock(meeting=m1, by=staff, locked=True, version=forum.schedule_version)
    forum.refresh_from_db()
    free = forum.slots.exclude(pk=m1.slot_id).last()

    with pytest.raises(services.EventError) as exc:
        services.meeting_move(meeting=m1, by=staff, slot=free, version=forum.schedule_version)

    assert "locked" in exc.value.message


def test_a_change_made_on_an_old_version_is_refused(people, forum, staff):
    (m1,) = _scheduled(people, forum, staff, [("Rice Mill", "Buyer Co")])
    seen = forum.schedule_version
    free = forum.slots.exclude(pk=m1.slot_id).last()
    services.meeting_lock(meeting=m1, by=staff, locked=False, version=seen)  # first change wins

    with pytest.raises(services.StaleSchedule):
        services.meeting_move(meeting=m1, by=staff, slot=free, version=seen)


def test_participants_cannot_move_meetings(people, forum, staff):
    (m1,) = _scheduled(people, forum, staff, [("Rice Mill", "Buyer Co")])
    owner = people["Rice Mill"][0]
    with pytest.raises(services.EventError):
        services.meeting_move(meeting=m1, by=owner, slot=forum.slots.last())


def test_reschedule_after_a_cancellation_tells_only_the_affected(people, forum, staff):
    meetings = _scheduled(
        people,
        forum,
        staff,
        [("Rice Mill", "Buyer Co"), ("Silk House", "Buyer Co"), ("Pepper Farm", "Silk House")],
    )
    services.schedule_publish(event=forum, by=staff)
    forum.refresh_from_db()
    before = {m.pk: (m.slot_id, m.table) for m in meetings}
    services.meeting_cancel(meeting=meetings[0], by=staff, version=forum.schedule_version)
    forum.refresh_from_db()
    late = services.meeting_add(
        event=forum,
        by=staff,
        registrations=[people["Buyer Co"][1], people["Pepper Farm"][1]],
        version=forum.schedule_version,
    )
    mail.outbox.clear()

    run = services.schedule_run_start(event=forum, by=staff, kind="resolve", time_limit=1)
    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.DONE  # waits for staff to confirm the preview
    assert run.result["added"] == [f"m{late.pk}"]
    assert run.result["moved"] == []
    services.schedule_run_apply(run=run, by=staff)

    late.refresh_from_db()
    assert late.slot_id is not None
    for m in meetings[1:]:
        m.refresh_from_db()
        assert (m.slot_id, m.table) == before[m.pk]
    told = sorted(m.to[0] for m in mail.outbox)
    assert told == sorted([people["Buyer Co"][0].email, people["Pepper Farm"][0].email])


def test_applying_a_run_computed_on_an_old_schedule_is_refused(people, forum, staff):
    (m1,) = _scheduled(people, forum, staff, [("Rice Mill", "Buyer Co")])
    run = services.schedule_run_start(event=forum, by=staff, kind="resolve", time_limit=1)
    forum.refresh_from_db()
    services.meeting_lock(meeting=m1, by=staff, locked=True, version=forum.schedule_version)
    run.refresh_from_db()
    with pytest.raises(services.StaleSchedule):
        services.schedule_run_apply(run=run, by=staff)


def test_no_show_frees_the_rest_of_the_day_and_partners_are_rescheduled(people, forum, staff):
    m1, m2 = _scheduled(
        people, forum, staff, [("Rice Mill", "Buyer Co"), ("Silk House", "Rice Mill")]
    )
    services.schedule_publish(event=forum, by=staff)
    first = forum.slots.order_by("starts_at").first()
    rice = people["Rice Mill"][1]

    services.mark_no_show(registration=rice, by=staff, from_slot=first)
    forum.refresh_from_db()
    mail.outbox.clear()
    run = services.schedule_run_start(event=forum, by=staff, kind="resolve", time_limit=1)
    run.refresh_from_db()
    services.schedule_run_apply(run=run, by=staff)

    for m in (m1, m2):
        m.refresh_from_db()
        assert m.slot_id is None  # dropped: waiting
    told = {m.to[0] for m in mail.outbox}
    assert told == {
        people["Rice Mill"][0].email,
        people["Buyer Co"][0].email,
        people["Silk House"][0].email,
    }
    assert people["Pepper Farm"][0].email not in told


def test_held_by_either_side_counts_until_staff_settle(people, forum, staff):
    (m1,) = _scheduled(people, forum, staff, [("Rice Mill", "Buyer Co")])
    services.meeting_mark(meeting=m1, by=people["Rice Mill"][0], mark="held")
    services.meeting_mark(meeting=m1, by=people["Buyer Co"][0], mark="no_show")
    assert services.meeting_outcome(m1) == "held"

    services.meeting_settle(meeting=m1, by=staff, outcome="no_show")
    m1.refresh_from_db()
    assert services.meeting_outcome(m1) == "no_show"
    with pytest.raises(services.EventError):
        services.meeting_feedback(
            meeting=m1, by=people["Rice Mill"][0], rating=5, wants_follow_up=True
        )


def test_feedback_after_a_held_meeting_is_kept(people, forum, staff):
    (m1,) = _scheduled(people, forum, staff, [("Rice Mill", "Buyer Co")])
    services.meeting_mark(meeting=m1, by=people["Buyer Co"][0], mark="held")
    out = services.meeting_feedback(
        meeting=m1, by=people["Rice Mill"][0], rating=4, wants_follow_up=True
    )
    assert (out.rating, out.wants_follow_up, out.registration.organisation.name) == (
        4,
        True,
        "Rice Mill",
    )
    with pytest.raises(services.EventError):
        services.meeting_feedback(
            meeting=m1, by=people["Pepper Farm"][0], rating=1, wants_follow_up=False
        )


def test_cancelling_a_registration_frees_its_meetings(people, forum, staff):
    m1, m2 = _scheduled(
        people, forum, staff, [("Rice Mill", "Buyer Co"), ("Silk House", "Buyer Co")]
    )
    services.registration_cancel(registration=people["Rice Mill"][1], by=people["Rice Mill"][0])
    m1.refresh_from_db()
    assert m1.status == Meeting.Status.CANCELLED
    assert list(m1.seats.values_list("slot", flat=True)) == [None, None]
    m2.refresh_from_db()
    assert m2.status == Meeting.Status.SCHEDULED


def test_change_email_shows_both_times_to_a_participant_in_myanmar(people, forum, staff):
    user, reg = make_participant(forum, "Yangon Tea", country="MM")
    reg.organisation.country.timezone = "Asia/Yangon"
    reg.organisation.country.save()
    meeting = meet((user, reg), people["Buyer Co"])
    services.schedule_run_start(event=forum, by=staff, time_limit=1)
    services.schedule_publish(event=forum, by=staff)
    forum.refresh_from_db()
    target = forum.slots.order_by("starts_at").last()
    mail.outbox.clear()

    services.meeting_move(meeting=meeting, by=staff, slot=target, version=forum.schedule_version)

    body = {m.to[0]: m.body for m in mail.outbox}
    bangkok = target.starts_at.astimezone(dt.timezone(dt.timedelta(hours=7)))
    yangon = target.starts_at.astimezone(dt.timezone(dt.timedelta(hours=6, minutes=30)))
    assert f"Now: {bangkok:%Y-%m-%d %H:%M} (Asia/Bangkok)" in body[user.email]
    assert f"Your time: {yangon:%H:%M} (Asia/Yangon)" in body[user.email]
    assert "Your time" not in body[people["Buyer Co"][0].email]


def test_reschedule_during_the_event_freezes_past_slots(people, forum, staff):
    from tests.events.conftest import at

    m1, m2 = _scheduled(
        people, forum, staff, [("Rice Mill", "Buyer Co"), ("Silk House", "Rice Mill")]
    )
    slots = list(forum.slots.order_by("starts_at"))
    am, pm = slots[0], slots[4]
    services.meeting_move(meeting=m1, by=staff, slot=am, table=1, version=forum.schedule_version)
    forum.refresh_from_db()
    services.meeting_move(meeting=m2, by=staff, slot=pm, table=1, version=forum.schedule_version)
    services.mark_no_show(registration=people["Rice Mill"][1], by=staff, from_slot=pm)
    forum.refresh_from_db()
    run = ScheduleRun.objects.create(
        event=forum, kind="resolve", time_limit=1, base_version=forum.schedule_version
    )

    run = services.schedule_run_execute(run=run, now=at(12))  # between the two sessions

    assert run.result["frozen_before"] == pm.key
    assert run.result["dropped"] == [f"m{m2.pk}"]  # it may not go back to a free morning slot
    services.schedule_run_apply(run=run, by=staff)
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert (m1.slot_id, m2.slot_id) == (am.pk, None)


def test_reschedule_after_the_last_slot_is_refused(people, forum, staff):
    from tests.events.conftest import at

    _scheduled(people, forum, staff, [("Rice Mill", "Buyer Co")])
    forum.refresh_from_db()
    run = ScheduleRun.objects.create(
        event=forum, kind="resolve", time_limit=1, base_version=forum.schedule_version
    )
    run = services.schedule_run_execute(run=run, now=at(20))
    assert run.status == ScheduleRun.Status.FAILED
    assert "nothing can be re-scheduled" in run.message


def test_meeting_accepted_after_publication_is_placed_at_once_or_waits(people, forum, staff):
    from tests.events.conftest import at

    _scheduled(people, forum, staff, [("Rice Mill", "Buyer Co")])
    services.schedule_publish(event=forum, by=staff)
    forum.refresh_from_db()
    forum.requests_close_at = at(23)  # staff keep requests open after scheduling
    forum.save()
    pepper = people["Pepper Farm"][1]
    services.registration_set_unavailable(registration=pepper, by=staff, slots=forum.slots.all())
    mail.outbox.clear()

    placed = meet(people["Silk House"], people["Buyer Co"])
    waiting = meet(people["Pepper Farm"], people["Silk House"])

    placed.refresh_from_db()
    waiting.refresh_from_db()
    assert placed.slot_id is not None
    assert waiting.slot_id is None
    subjects = {(m.to[0], m.subject) for m in mail.outbox}
    assert (
        people["Silk House"][0].email,
        "A meeting at Mekong SME cluster promotion and investor forum has changed",
    ) in subjects
    assert (
        people["Pepper Farm"][0].email,
        "Your meeting at Mekong SME cluster promotion and investor forum is waiting for a free slot",
    ) in subjects
