"""Notifications travel through a real SMTP transport: an SMTP server on a free local port."""

from __future__ import annotations

import datetime as dt

import pytest

from moorage.notifications import delivery
from moorage.notifications.actions import deliver, deliver_pending, notify
from moorage.notifications.models import DeliveryAttempt, Notification
from tests import factories
from tests.threads import race

pytestmark = pytest.mark.django_db


def test_a_notification_is_delivered_once_over_smtp(smtp, client_account, starter, now):
    from django.db import transaction

    from moorage.orders.actions import CartItem, order_checkout

    service = (
        order_checkout(client=client_account, items=[CartItem(starter.pk, "monthly", "shop.example.com")], now=now)
        .items.get()
        .service
    )
    Notification.objects.all().delete()  # the order's own email (Initial Order) is not this test's
    with transaction.atomic():
        notify(
            template="account_suspended",
            client=client_account,
            dedupe_key="t:1",
            now=now,
            context={"service": service, "reason": "unpaid invoice 000001"},
        )
        again = notify(template="account_suspended", client=client_account, dedupe_key="t:1", now=now)
    assert again is None
    assert deliver_pending(now=now) == 1
    assert deliver_pending(now=now) == 0
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == client_account.user.email
    assert "suspended" in message["Subject"]
    # Text and HTML alternatives (the templates write both); the reason is in each.
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert "unpaid invoice 000001" in parts["text/plain"] and "unpaid invoice 000001" in parts["text/html"]
    row = Notification.objects.get()
    assert row.status == "sent" and row.sent_at == now


def test_smtp_down_keeps_the_email_queued(settings, client_account, now):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    from django.db import transaction

    with transaction.atomic():
        notify(
            template="order_cancelled",
            client=client_account,
            dedupe_key="t:2",
            now=now,
            context={"order": {"display_number": "000007"}},
        )
    assert deliver_pending(now=now + dt.timedelta(minutes=1)) == 0
    row = Notification.objects.get()
    assert row.status == "queued" and row.attempts == 1 and row.last_error


def _attempts(row):  # noqa: ANN001, ANN202
    return list(row.delivery_attempts.order_by("number").values_list("number", "outcome", "resend_by"))


def test_html_and_text_are_delivered_as_alternatives(smtp, client_account, make_row, now):
    row = make_row(client_account, html_body="<p>Hello, <b>your account</b> is ready.</p>")
    assert deliver(row.pk, now=now) == "sent"
    (message,) = smtp.messages
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.get_payload()}
    assert "your account is ready" in parts["text/plain"]
    assert "<b>your account</b>" in parts["text/html"]
    row.refresh_from_db()
    assert row.status == "sent" and row.sent_at == now and row.attempts == 1 and row.last_error == ""
    attempt = row.delivery_attempts.get()
    assert (attempt.number, attempt.outcome, attempt.channel, attempt.started_at) == (1, "sent", "email", now)
    assert attempt.finished_at >= now


def test_a_text_only_row_is_sent_as_plain_text(smtp, client_account, make_row, now):
    deliver(make_row(client_account).pk, now=now)
    assert smtp.messages[0].get_content_type() == "text/plain"


def test_smtp_down_backs_off_records_each_attempt_then_delivers(smtp_server, client_account, make_row, now):
    row = make_row(client_account)
    assert deliver_pending(now=now) == 0  # server not started: connection refused
    row.refresh_from_db()
    assert row.status == "queued" and row.next_attempt_at == now + dt.timedelta(minutes=1)
    assert "ConnectionRefused" in row.last_error
    assert _attempts(row) == [(1, "retry", "")]

    # Not due yet: nothing is tried, nothing recorded.
    assert deliver_pending(now=now + dt.timedelta(seconds=59)) == 0
    assert deliver(row.pk, now=now + dt.timedelta(seconds=30)) == "not due"
    assert row.delivery_attempts.count() == 1

    assert deliver_pending(now=now + dt.timedelta(minutes=1)) == 0  # still down: the next wait is 5 minutes
    row.refresh_from_db()
    assert row.next_attempt_at == now + dt.timedelta(minutes=6)

    smtp_server.start()
    later = now + dt.timedelta(minutes=6)
    assert deliver_pending(now=later) == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.sent_at == later and row.last_error == ""
    assert _attempts(row) == [(1, "retry", ""), (2, "retry", ""), (3, "sent", "")]
    assert len(smtp_server.messages) == 1
    assert deliver_pending(now=later + dt.timedelta(days=1)) == 0  # sent: never again
    assert len(smtp_server.messages) == 1


def test_retries_follow_the_schedule_then_the_row_fails(settings, client_account, make_row, now):
    settings.EMAIL_BACKEND = "tests.notifications.backends.DownBackend"
    row = make_row(client_account)
    moment, waits = now, []
    for _ in range(len(delivery.RETRY_DELAYS)):
        assert deliver(row.pk, now=moment) == "queued"
        row.refresh_from_db()
        waits.append(row.next_attempt_at - moment)
        moment = row.next_attempt_at
    assert waits == [
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=30),
        dt.timedelta(hours=2),
        dt.timedelta(hours=12),
    ]
    assert deliver(row.pk, now=moment) == "failed"
    row.refresh_from_db()
    assert row.status == "failed" and row.next_attempt_at is None and row.attempts == 6
    assert "SMTPServerDisconnected" in row.last_error
    assert [o for _, o, _ in _attempts(row)] == ["retry"] * 5 + ["failed"]
    assert deliver_pending(now=moment + dt.timedelta(days=7)) == 0  # failed rows wait for a resend


def test_a_refused_recipient_fails_at_once(smtp, client_account, make_row, now):
    smtp.refuse.add(client_account.user.email)
    row = make_row(client_account)
    assert deliver(row.pk, now=now) == "failed"
    row.refresh_from_db()
    assert "550" in row.last_error and "no such mailbox" in row.last_error
    assert _attempts(row) == [(1, "failed", "")] and smtp.messages == []


def test_a_row_left_sending_becomes_unknown_and_is_not_sent_again(smtp, client_account, make_row, now):
    row = make_row(client_account)
    claimed, attempt = delivery._claim(row.pk, now)  # a worker claimed it, then died before any answer
    assert deliver_pending(now=now + dt.timedelta(hours=1)) == 0
    assert delivery.mark_stale_sending(now=now + dt.timedelta(minutes=14)) == 0  # maybe still sending
    assert delivery.mark_stale_sending(now=now + dt.timedelta(minutes=16)) == 1
    row.refresh_from_db()
    assert row.status == "unknown" and "may or may not" in row.last_error
    assert _attempts(row) == [(1, "unknown", "")]
    assert deliver_pending(now=now + dt.timedelta(days=1)) == 0 and smtp.messages == []

    staff = factories.staff_user()
    delivery.notification_resend(notification_id=row.pk, now=now, actor=staff)
    assert deliver_pending(now=now + dt.timedelta(days=1)) == 1
    assert _attempts(row) == [(1, "unknown", ""), (2, "sent", f"staff:{staff.email}")]
    assert len(smtp.messages) == 1 and Notification.objects.count() == 1


def test_requeue_lost_wakes_only_due_rows(client_account, make_row, now, monkeypatch):
    woken = []
    monkeypatch.setattr(delivery, "enqueue", lambda pk, run_after=None: woken.append(pk))
    old = now - dt.timedelta(minutes=10)
    lost = make_row(client_account)
    Notification.objects.filter(pk=lost.pk).update(queued_at=old)
    waiting = make_row(client_account, next_attempt_at=now + dt.timedelta(minutes=1))
    Notification.objects.filter(pk=waiting.pk).update(queued_at=old)
    retry_due = make_row(client_account, next_attempt_at=now - dt.timedelta(minutes=6))
    Notification.objects.filter(pk=retry_due.pk).update(queued_at=old)
    make_row(client_account, status="sent")
    assert delivery.requeue_lost(now=now) == 2
    assert sorted(woken) == sorted([lost.pk, retry_due.pk])


def test_a_retry_wakes_a_worker_when_it_is_due(
    settings, client_account, make_row, now, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.DownBackend"
    woken = []
    monkeypatch.setattr(delivery, "enqueue", lambda pk, run_after=None: woken.append((pk, run_after)))
    monkeypatch.setattr(delivery, "_real_now", lambda: now)
    row = make_row(client_account)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(row.pk, now=now)
    assert woken == [(row.pk, now + dt.timedelta(minutes=1))]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_it_once(smtp, now):
    client = factories.client(now=now)
    row = Notification.objects.create(
        client=client,
        template="account_created",
        dedupe_key="race:1",
        to_email=client.user.email,
        subject="Ready",
        body="Ready.",
        created_at=now,
    )
    results = race(*[lambda: deliver(row.pk, now=now)] * 4)
    assert sorted(map(str, results)) == ["not due", "not due", "not due", "sent"]
    assert len(smtp.messages) == 1
    assert DeliveryAttempt.objects.filter(notification=row).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_never_sends_a_row_another_is_sending(smtp, now):
    """The first worker is in the middle of the SMTP conversation; a second one finds nothing to take."""
    import threading

    client = factories.client(now=now)
    row = Notification.objects.create(
        client=client,
        template="x",
        dedupe_key="race:2",
        to_email=client.user.email,
        subject="S",
        body="B",
        created_at=now,
    )
    from django.db import connections

    def worker() -> None:
        try:
            deliver(row.pk, now=now)
        finally:
            connections.close_all()

    smtp.gate = threading.Event()
    first = threading.Thread(target=worker)
    first.start()
    try:
        assert smtp.arrived.wait(timeout=30)
        assert Notification.objects.get(pk=row.pk).status == "sending"
        assert deliver(row.pk, now=now) == "not due"
        assert deliver_pending(now=now + dt.timedelta(days=1)) == 0
    finally:
        smtp.gate.set()
        first.join(timeout=30)
    assert Notification.objects.get(pk=row.pk).status == "sent" and len(smtp.messages) == 1
