"""Follow-up rounds: personal links, sending once, reminders, answers, disagreements."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.utils import timezone

from corridor.core import links
from corridor.followup import sending, services
from corridor.followup.models import (
    Lead,
    PersonalLink,
    SendRun,
    SurveyInvitation,
    SurveyMessage,
)
from tests import factories

URL = re.compile(r"http://localhost:8000(/followup/s/[^/\s]+/)")


def _links(outbox) -> list[str]:
    return [URL.search(m.body).group(1) for m in outbox]


def test_a_round_asks_each_side_once_at_the_due_step(lead, plan):
    run = sending.send_followups()

    assert (run.status, run.sent, run.failed) == ("done", 2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["buyer@example.com", "smeowner@example.com"]
    invitations = SurveyInvitation.objects.filter(lead=lead)
    # First contact 40 days ago: the +1 month step is the latest one due.
    assert sorted(invitations.values_list("side", "step__offset_months", "status")) == [
        ("buyer", 1, "sent"),
        ("supplier", 1, "sent"),
    ]
    again = sending.send_followups()
    assert (again.sent, len(mail.outbox)) == (0, 2)


def test_tokens_are_stored_only_as_their_hash(lead, plan):
    sending.send_followups()
    path = _links(mail.outbox)[0]
    raw = path.rstrip("/").rsplit("/", 1)[1]
    stored = list(PersonalLink.objects.values_list("token_hash", flat=True))
    assert hashlib.sha256(raw.encode()).hexdigest() in stored
    assert not PersonalLink.objects.filter(token_hash=raw).exists()
    assert all(raw not in h for h in stored)


def test_a_survey_link_opens_its_lead_on_a_phone_without_login(client, lead, plan):
    sending.send_followups()
    supplier_mail = next(m for m in mail.outbox if m.to == ["smeowner@example.com"])
    path = URL.search(supplier_mail.body).group(1)

    page = client.get(path)

    assert page.status_code == 200
    assert lead.buyer.name in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert page["Cache-Control"] == "no-store"


def test_answering_moves_the_lead_and_closes_the_link(client, lead, plan):
    sending.send_followups()
    path = URL.search(next(m for m in mail.outbox if m.to == ["smeowner@example.com"]).body).group(
        1
    )

    done = client.post(path, {"stage": "samples", "currency": "USD"})

    assert done.status_code == 200
    lead.refresh_from_db()
    assert lead.stage == "samples"
    change = lead.changes.last()
    assert (change.side, change.via) == ("supplier", "survey")
    reused = client.post(path, {"stage": "negotiating", "currency": "USD"})
    assert reused.status_code == 410
    assert Lead.objects.get(pk=lead.pk).stage == "samples"


def test_an_expired_link_is_refused(client, lead, plan):
    sending.send_followups()
    path = _links(mail.outbox)[0]
    PersonalLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    page = client.get(path)
    assert page.status_code == 410
    assert "expired" in page.content.decode()


def test_a_token_of_one_lead_never_opens_another(client, lead, plan, sme, other_sme):
    second, _ = services.lead_for_pair(
        a=other_sme, b=lead.buyer, source="manual", started_on=lead.started_on
    )
    factories.MembershipFactory(
        user=factories.UserFactory(username="other"), organisation=other_sme
    )
    sending.send_followups()
    inv = SurveyInvitation.objects.get(lead=lead, side="supplier")
    raw, link = links.link_issue(
        purpose=services.SURVEY_PURPOSE, target=inv, valid_for=datetime.timedelta(days=1)
    )
    opened = links.link_open(raw=raw, purpose=services.SURVEY_PURPOSE, model=SurveyInvitation)
    assert opened.object_id == inv.pk
    assert SurveyInvitation.objects.get(pk=opened.object_id).lead_id == lead.pk != second.pk
    # Another purpose (a training assessment) or a forged token opens nothing.
    with pytest.raises(links.LinkInvalid):
        links.link_open(raw=raw, purpose="training.assessment", model=SurveyInvitation)
    assert client.get(f"/followup/s/{raw[:-2]}xx/").status_code == 404
    page = client.get(f"/followup/s/{raw}/")
    assert second.supplier.name not in page.content.decode()


def test_reminders_stop_after_two(lead, plan):
    start = timezone.now()
    sending.send_followups(now=start)
    for days in (6, 12, 18, 24):
        sending.send_followups(now=start + datetime.timedelta(days=days))
    kinds = sorted(SurveyMessage.objects.values_list("invitation__side", "kind", "number"))
    assert kinds == [
        ("buyer", "reminder", 1),
        ("buyer", "reminder", 2),
        ("buyer", "survey", 0),
        ("supplier", "reminder", 1),
        ("supplier", "reminder", 2),
        ("supplier", "survey", 0),
    ]
    assert len(mail.outbox) == 6
    assert set(SurveyInvitation.objects.values_list("reminders_sent", flat=True)) == {2}


def test_no_reminder_once_answered(lead, plan):
    start = timezone.now()
    sending.send_followups(now=start)
    inv = SurveyInvitation.objects.get(lead=lead, side="buyer")
    services.survey_answer(invitation=inv, stage="contact")
    sending.send_followups(now=start + datetime.timedelta(days=6))
    assert sorted(SurveyMessage.objects.values_list("invitation__side", "number")) == [
        ("buyer", 0),
        ("supplier", 0),
        ("supplier", 1),
    ]


class Crash(Exception):
    pass


def test_a_round_that_crashes_midway_never_sends_twice_when_run_again(
    monkeypatch, plan, buyer_org, buyer_user
):
    smes = []
    for i in range(5):
        org = factories.OrganisationFactory(kind="sme", name=f"Maker {i}")
        factories.MembershipFactory(
            user=factories.UserFactory(username=f"maker{i}"), organisation=org
        )
        services.lead_for_pair(
            a=org, b=buyer_org, source="manual", started_on=datetime.date.today()
        )
        smes.append(org)
    real = sending.messages.send_survey_email
    calls = {"n": 0}

    def crash_after_four(**kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise Crash("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(sending.messages, "send_survey_email", crash_after_four)
    # The fifth email raises; the round stops like a killed worker would, mid-round.
    monkeypatch.setattr(sending, "_send", _stop_on_crash(sending._send), raising=True)
    with pytest.raises(Crash):
        sending.send_followups()
    assert SendRun.objects.get().status == "failed"
    assert len(mail.outbox) == 4

    monkeypatch.setattr(sending.messages, "send_survey_email", real)
    sending.send_followups()
    sending.send_followups()

    # The buyer gets one survey per lead (one per supplier named in the subject).
    sent = [(m.to[0], m.subject) for m in mail.outbox]
    assert len(sent) == len(set(sent)) == 10
    assert SurveyMessage.objects.count() == 10


def _stop_on_crash(send):
    """Let the crash escape _send (which otherwise logs a refused email and carries on)."""

    def wrapped(**kwargs):
        inv = kwargs["invitation"]
        before = SurveyMessage.objects.filter(invitation=inv).count()
        result = send(**kwargs)
        if result == "failed" and SurveyMessage.objects.filter(invitation=inv).count() == before:
            raise Crash("worker killed")
        return result

    return wrapped


def test_a_message_recorded_before_a_crash_is_not_sent_again(lead, plan):
    """The worker died after recording the message but before updating the invitation."""
    sending.send_followups()
    SurveyInvitation.objects.update(status=SurveyInvitation.Status.CLAIMED, sent_at=None)
    mail.outbox.clear()
    sending.send_followups()
    assert mail.outbox == []
    assert set(SurveyInvitation.objects.values_list("status", flat=True)) == {"sent"}


def test_disagreeing_answers_wait_for_staff_to_settle(lead, plan, staff_user):
    sending.send_followups()
    supplier = SurveyInvitation.objects.get(lead=lead, side="supplier")
    buyer = SurveyInvitation.objects.get(lead=lead, side="buyer")
    services.survey_answer(invitation=supplier, stage="first_order")
    services.survey_answer(invitation=buyer, stage="negotiating")

    lead.refresh_from_db()
    assert (lead.stage, lead.in_conflict) == ("first_order", True)
    assert [x.pk for x in services_conflicts()] == [lead.pk]

    services.conflict_settle(lead=lead, by=staff_user, stage="negotiating", note="called both")

    lead.refresh_from_db()
    assert (lead.stage, lead.in_conflict) == ("negotiating", False)
    last = lead.changes.last()
    assert (last.side, last.via, last.reported_by) == ("staff", "settlement", staff_user)
    assert services_conflicts() == []


def services_conflicts():
    from corridor.followup import selectors

    return list(selectors.conflicts())


def test_only_staff_settle_or_enter_phone_answers(lead, plan, sme_owner):
    sending.send_followups()
    inv = SurveyInvitation.objects.get(lead=lead, side="buyer")
    with pytest.raises(services.FollowupError):
        services.survey_answer(invitation=inv, stage="contact", entered_by=sme_owner)
    Lead.objects.filter(pk=lead.pk).update(in_conflict=True)
    with pytest.raises(services.FollowupError):
        services.conflict_settle(lead=lead, by=sme_owner, stage="contact")


def test_staff_enter_a_phone_answer_for_a_non_responder(client, lead, plan, staff_user):
    sending.send_followups()
    inv = SurveyInvitation.objects.get(lead=lead, side="buyer")
    client.force_login(staff_user)
    listing = client.get("/followup/staff/non-responders/")
    assert listing.status_code == 200
    assert f"/followup/staff/invitations/{inv.pk}/phone/" in listing.content.decode()

    client.post(
        f"/followup/staff/invitations/{inv.pk}/phone/", {"stage": "contact", "currency": "USD"}
    )

    inv.refresh_from_db()
    assert (inv.status, inv.answer.via, inv.answer.entered_by) == ("answered", "phone", staff_user)
    assert (
        f"/invitations/{inv.pk}/phone/"
        not in client.get("/followup/staff/non-responders/").content.decode()
    )


def test_staff_get_a_copyable_link_that_opens_the_survey(client, lead, plan, staff_user):
    sending.send_followups()
    inv = SurveyInvitation.objects.get(lead=lead, side="buyer")
    client.force_login(staff_user)
    fragment = client.post(f"/followup/staff/invitations/{inv.pk}/link/").content.decode()
    path = re.search(r"http://testserver(/followup/s/[^\"]+)", fragment).group(1)
    client.logout()
    assert client.get(path).status_code == 200


def test_sides_without_an_address_are_listed_not_emailed(plan, buyer_org, buyer_user):
    org = factories.OrganisationFactory(kind="sme", email="")
    services.lead_for_pair(a=org, b=buyer_org, source="manual", started_on=datetime.date.today())
    run = sending.send_followups()
    assert (run.sent, run.skipped) == (1, 1)
    assert SurveyInvitation.objects.get(side="supplier").status == "no_address"
