"""notify(): deduplication, opt-out, language, and the queued email (batches, retries, failures)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from corridor.notifications import services, tasks
from corridor.notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

Status = Notification.EmailStatus


def test_same_key_twice_gives_one_notification_and_one_email(
    ping, stranger, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = ping(stranger, key="connections.requested:7")
    with django_capture_on_commit_callbacks(execute=True):
        again = ping(stranger, key="connections.requested:7")
    assert again.pk == first.pk
    assert Notification.objects.count() == 1
    assert [m.to for m in mail.outbox] == [[stranger.email]]
    again.refresh_from_db()
    assert again.email_status == Status.SENT and again.emailed_at is not None


def test_same_key_for_two_people_is_two_notifications(ping, stranger, sme_owner):
    ping(stranger, key="k")
    ping(sme_owner, key="k")
    assert Notification.objects.filter(key="k").count() == 2


def test_database_refuses_a_second_row_with_the_same_key(ping, stranger):
    n = ping(stranger)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=stranger, kind=n.kind, key=n.key, subject="x")


def test_notify_returns_the_winner_when_a_concurrent_insert_races(ping, stranger, monkeypatch):
    # The look-up before the insert misses (the other job had not committed yet); the unique
    # constraint then refuses our row and notify() returns the one that won.
    winner = ping(stranger, key="race")
    real_filter = Notification.objects.filter
    calls = []

    def first_lookup_misses(*args, **kwargs):
        calls.append(kwargs)
        qs = real_filter(*args, **kwargs)
        return qs.none() if len(calls) == 1 else qs

    monkeypatch.setattr(Notification.objects, "filter", first_lookup_misses)
    assert ping(stranger, key="race").pk == winner.pk
    assert real_filter(key="race").count() == 1


def test_opt_out_keeps_the_in_app_notification_but_sends_no_email(
    ping, stranger, django_capture_on_commit_callbacks
):
    services.preference_set(user=stranger, kind="tests.ping", email=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        n = ping(stranger)
    assert callbacks == []  # nothing queued
    assert mail.outbox == []
    assert (n.email_status, n.to_email) == (Status.NONE, "")
    assert Notification.objects.filter(recipient=stranger, read_at__isnull=True).count() == 1


def test_kind_off_by_default_emails_only_those_who_turn_it_on(
    ping, stranger, sme_owner, django_capture_on_commit_callbacks
):
    services.preference_set(user=sme_owner, kind="tests.quiet", email=True)
    with django_capture_on_commit_callbacks(execute=True):
        ping(stranger, kind="tests.quiet")
        ping(sme_owner, kind="tests.quiet")
    assert [m.to for m in mail.outbox] == [[sme_owner.email]]


def test_user_without_address_gets_the_in_app_notification_only(
    ping, django_capture_on_commit_callbacks
):
    user = factories.UserFactory(username="noaddress", email="")
    with django_capture_on_commit_callbacks(execute=True):
        n = ping(user)
    assert n.email_status == Status.NONE and mail.outbox == []


def test_inactive_user_is_not_notified(ping, stranger):
    stranger.is_active = False
    stranger.save()
    assert ping(stranger) is None
    assert Notification.objects.count() == 0


def test_unknown_kind_is_refused(ping, stranger):
    with pytest.raises(LookupError):
        ping(stranger, kind="tests.never_registered")


def test_thai_user_gets_thai_text_rendered_under_thai(
    ping, stranger, django_capture_on_commit_callbacks
):
    stranger.language = "th"
    stranger.save()
    with django_capture_on_commit_callbacks(execute=True):
        n = ping(stranger)
    assert n.language == "th"
    assert n.subject == "คำขอเชื่อมต่อใหม่บน Corridor"
    assert n.body == "สวัสดี Dara. [lang=th]"
    assert mail.outbox[0].subject == "คำขอเชื่อมต่อใหม่บน Corridor"
    assert "สวัสดี Dara." in mail.outbox[0].body
    assert translation.get_language() == "en"  # the caller's language is left as it was


def test_unknown_language_falls_back_to_the_site_default(ping, stranger):
    stranger.language = "xx"
    stranger.save()
    n = ping(stranger)
    assert (n.language, n.subject) == ("en", "New connection request on Corridor")


def test_email_has_link_html_alternative_and_unsubscribe(
    ping, stranger, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ping(stranger)
    message = mail.outbox[0]
    assert "http://localhost:8000/connections/" in message.body
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://localhost:8000/notifications/unsubscribe/")
    assert f"Stop these emails: {url}" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="http://localhost:8000/connections/"' in html and url in html


def test_notify_many_renders_once_per_language_and_queues_one_job(
    stranger, sme_owner, buyer_user, backend, django_capture_on_commit_callbacks
):
    buyer_user.language = "th"
    buyer_user.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = services.notify_many(
            users=[stranger, sme_owner, buyer_user],
            kind="tests.ping",
            key="many",
            subject="Hi",
            body_template="tests_notify/body.txt",
            context={"name": "all"},
        )
    assert len(created) == 3 and len(callbacks) == 1
    assert backend.opens == 1 and len(mail.outbox) == 3
    bodies = {n.recipient_id: n.body for n in created}
    assert bodies[buyer_user.pk] == "สวัสดี all. [lang=th]"
    assert bodies[stranger.pk] == "Hello, all. [lang=en]"
    # Again: nobody is told twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = services.notify_many(
            users=[stranger, sme_owner, buyer_user],
            kind="tests.ping",
            key="many",
            subject="Hi",
            body_template="tests_notify/body.txt",
            context={"name": "all"},
        )
    assert again == [] and len(mail.outbox) == 3


def test_one_connection_per_batch(ping, backend, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    users = [factories.UserFactory() for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True), services.batched():
        for u in users:
            ping(u)
    assert len(mail.outbox) == 5
    assert backend.opens == 3  # batches of 2, 2 and 1


def test_retried_job_after_a_crash_mid_batch_sends_nothing_twice(ping, backend):
    users = [factories.UserFactory() for _ in range(5)]
    ids = [ping(u).pk for u in users]  # queued, not sent: on_commit never ran
    backend.fail_at = 2  # the server drops the connection at the third email
    with pytest.raises(services.EmailDeliveryError):
        tasks.send_emails.call_local(ids)
    assert len(mail.outbox) == 2
    statuses = dict(Notification.objects.values_list("pk", "email_status"))
    assert sorted(statuses.values()) == ["pending", "pending", "pending", "sent", "sent"]

    backend.fail_at = None  # huey retries the same job
    assert tasks.send_emails.call_local(ids) == 3
    assert tasks.send_emails.call_local(ids) == 0  # and a further retry finds nothing
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert Notification.objects.filter(email_status=Status.SENT).count() == 5


def test_two_jobs_never_claim_the_same_row(ping, backend):
    n = ping(factories.UserFactory())
    # A job that claimed the row but has not finished yet.
    Notification.objects.filter(pk=n.pk).update(
        email_status=Status.SENDING, claim="other", claimed_at=timezone.now()
    )
    assert services.emails_send(ids=[n.pk]) == 0
    assert mail.outbox == []


def test_refused_address_fails_alone(ping, backend):
    users = [factories.UserFactory() for _ in range(3)]
    backend.refuse = {users[1].email}
    ids = [ping(u).pk for u in users]
    assert services.emails_send(ids=ids) == 2
    failed = Notification.objects.get(recipient=users[1])
    assert failed.email_status == Status.FAILED and "550" in failed.email_error


def test_gives_up_after_the_last_attempt(ping, backend):
    n = ping(factories.UserFactory())
    backend.fail_at = -1  # the server cannot be reached
    for _ in range(services.MAX_ATTEMPTS):
        with pytest.raises(services.EmailDeliveryError):
            services.emails_send(ids=[n.pk])
    n.refresh_from_db()
    assert (n.email_status, n.email_attempts) == (Status.FAILED, services.MAX_ATTEMPTS)
    assert "421" in n.email_error


def test_failed_send_inside_huey_does_not_raise(
    ping, stranger, backend, django_capture_on_commit_callbacks
):
    backend.fail_at = -1
    with django_capture_on_commit_callbacks(execute=True):
        n = ping(stranger)  # the on_commit job fails; huey keeps it for a retry
    n.refresh_from_db()
    assert (n.email_status, n.email_attempts) == (Status.PENDING, 1)


def test_broker_down_at_commit_is_caught_and_the_sweep_sends_later(
    ping, stranger, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(ids):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks, "send_emails", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        n = ping(stranger)
    assert mail.outbox == []
    assert tasks.outbox_sweep.call_local() == 1
    n.refresh_from_db()
    assert n.email_status == Status.SENT and len(mail.outbox) == 1


def test_sweep_gives_up_on_rows_a_crashed_job_held(ping, stranger):
    n = ping(stranger)
    Notification.objects.filter(pk=n.pk).update(
        email_status=Status.SENDING,
        claim="dead",
        claimed_at=timezone.now() - services.STALE_CLAIM - timedelta(minutes=1),
    )
    assert services.outbox_sweep() == 0
    n.refresh_from_db()
    assert n.email_status == Status.FAILED and mail.outbox == []


def test_address_message_is_sent_then_its_body_cleared(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        n = services.notify_address(
            email="New@Example.com",
            language="th",
            kind="tests.ping",
            key="invite:1",
            subject="x",
            body_template="tests_notify/body.txt",
            context={"name": "secret-link"},
        )
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert "secret-link" in mail.outbox[0].body
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers  # no account to switch
    n.refresh_from_db()
    assert (n.body, n.email_status, n.recipient) == ("", Status.SENT, None)
    again = services.notify_address(
        email="new@example.com",
        language="",
        kind="tests.ping",
        key="invite:1",
        subject="x",
        body_template="tests_notify/body.txt",
        context={},
    )
    assert again.pk == n.pk


def test_mark_read_refuses_another_users_notification(ping, stranger, sme_owner):
    from django.core.exceptions import PermissionDenied

    n = ping(stranger)
    with pytest.raises(PermissionDenied):
        services.notification_mark_read(notification=n, user=sme_owner)
    n.refresh_from_db()
    assert n.read_at is None


def test_demo_welcome_is_in_app_only_and_idempotent(stranger, sme_owner):
    from corridor.notifications.demo import load_demo_notifications

    assert load_demo_notifications([stranger, sme_owner]) == 2
    assert load_demo_notifications([stranger, sme_owner]) == 0
    n = Notification.objects.get(recipient=stranger)
    assert n.email_status == Status.NONE  # the welcome kind emails nobody by default
    assert "http://localhost:8000/notifications/settings/" in n.body


ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n"


def test_attachment_is_stored_with_the_queued_email_and_sent_by_the_retried_job(ping, backend):
    users = [factories.UserFactory() for _ in range(3)]
    ids = [
        ping(u, attachments=[("cancel.ics", ICS, "text/calendar; method=CANCEL")]).pk for u in users
    ]
    backend.fail_at = 1  # the server drops the connection at the second email
    with pytest.raises(services.EmailDeliveryError):
        tasks.send_emails.call_local(ids)
    backend.fail_at = None
    assert tasks.send_emails.call_local(ids) == 2  # huey's retry of the same job

    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    for message in mail.outbox:
        assert [(name, content) for name, content, _type in message.attachments] == [
            ("cancel.ics", ICS.decode())
        ]
    # Sent: the rows no longer carry the file.
    assert list(Notification.objects.values_list("attachments", flat=True)) == [[], [], []]


def test_same_key_with_an_attachment_sends_one_email(
    ping, stranger, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            ping(stranger, key="cancel:1", attachments=[("a.ics", ICS, "text/calendar")])
    assert len(mail.outbox) == 1
    assert len(mail.outbox[0].attachments) == 1


def test_attachment_over_the_limit_is_refused(ping, stranger):
    with pytest.raises(ValueError):
        ping(stranger, attachments=[("big.bin", b"x" * 1_000_001, "application/octet-stream")])
    assert Notification.objects.count() == 0


def test_opted_out_user_gets_no_stored_attachment(ping, stranger):
    services.preference_set(user=stranger, kind="tests.ping", email=False)
    n = ping(stranger, attachments=[("a.ics", ICS, "text/calendar")])
    assert n.email_status == Status.NONE
    assert n.attachments == []
