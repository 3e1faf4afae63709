"""Notifications travel through a real SMTP transport: an SMTP server on a free local port."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from moorage.notifications.actions import deliver_pending, notify
from moorage.notifications.models import Notification

pytestmark = pytest.mark.django_db


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):  # noqa: ANN001, ANN201
        self.messages.append(message)


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port chosen at run time
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


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
    assert "unpaid invoice 000001" in message.get_payload()
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
