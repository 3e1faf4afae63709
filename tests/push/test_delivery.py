"""Mobile notifications through a local push service: VAPID-signed, encrypted to the device, recorded
like emails; an unsubscribed device is dropped."""

from __future__ import annotations

import datetime as dt

import pytest

from moorage.notifications.delivery import deliver
from moorage.notifications.models import Notification
from moorage.push import vapid
from moorage.push.models import PushSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def push_row(client_account, now):
    def make(**fields):  # noqa: ANN003, ANN202
        values = {
            "client": client_account,
            "template": "account_created",
            "channel": "push",
            "dedupe_key": f"push:{Notification.objects.count() + 1}",
            "to_email": client_account.user.email,
            "subject": "Account created",
            "body": "shop.example.com is ready.",
            "service_id": None,
            "created_at": now,
        }
        values.update(fields)
        return Notification.objects.create(**values)

    return make


def test_a_push_row_reaches_the_device_signed_and_encrypted(push_service, device, push_row, now):
    row = push_row()
    assert deliver(row.pk, now=now) == "sent", (Notification.objects.get().last_error, push_service.refused)
    (message,) = push_service.received
    assert message.payload == {
        "title": "Account created",
        "body": "shop.example.com is ready.",
        "url": "/",
        "tag": f"moorage-{row.pk}",
    }
    assert message.vapid_key == vapid.keys().public_key  # signed with Moorage's key, checked by the stand-in
    assert message.claims["sub"] == "mailto:ops@moorage.test" and message.claims["aud"] == push_service.origin
    assert int(message.headers["ttl"]) > 0
    row.refresh_from_db()
    assert row.status == "sent" and row.sent_at == now
    assert list(row.delivery_attempts.values_list("number", "channel", "outcome")) == [(1, "push", "sent")]
    sub = PushSubscription.objects.get()
    assert sub.last_success_at == now and sub.failures == 0
    assert deliver(row.pk, now=now) == "not due" and len(push_service.received) == 1  # once


def test_a_gone_subscription_is_deactivated(push_service, device, push_row, now):
    device.answer = 410
    row = push_row()
    assert deliver(row.pk, now=now) == "failed"
    row.refresh_from_db()
    assert "unsubscribed (410)" in row.last_error
    assert row.delivery_attempts.get().outcome == "failed"
    assert PushSubscription.objects.get().active is False
    later = push_row()
    assert deliver(later.pk, now=now) == "skipped"  # no active device left
    later.refresh_from_db()
    assert "no device" in later.last_error and push_service.received == []


def test_a_push_service_error_is_retried_with_backoff(push_service, device, push_row, now):
    device.answer = 503
    row = push_row()
    assert deliver(row.pk, now=now) == "queued"
    row.refresh_from_db()
    assert "503" in row.last_error and row.next_attempt_at == now + dt.timedelta(minutes=1)
    sub = PushSubscription.objects.get()
    assert sub.active and sub.failures == 1 and "503" in sub.last_error
    device.answer = 201
    assert deliver(row.pk, now=now + dt.timedelta(minutes=1)) == "sent"
    assert list(row.delivery_attempts.values_list("outcome", flat=True)) == ["retry", "sent"]
    sub.refresh_from_db()
    assert sub.failures == 0 and len(push_service.received) == 1


def test_one_device_gone_the_other_delivered(push_service, device, push_row, client_account, now):
    from moorage.push.actions import push_subscribe

    second = push_service.new_device()
    push_subscribe(
        client=client_account,
        data=push_service.subscription_json(second),
        user_agent="",
        now=now,
        actor=client_account.user,
    )
    device.answer = 404
    row = push_row(service_id=None)
    assert deliver(row.pk, now=now) == "sent"
    assert len(second.received) == 1 and device.received == []
    assert PushSubscription.objects.filter(active=True).count() == 1
    row.refresh_from_db()
    assert "unsubscribed (404)" in row.last_error  # kept on a sent row for staff


def test_no_device_is_skipped(push_service, push_row, now):
    row = push_row()
    assert deliver(row.pk, now=now) == "skipped"
    assert row.delivery_attempts.get().outcome == "skipped" and push_service.received == []


def test_a_bad_vapid_signature_is_refused_by_the_stand_in(push_service, device, push_row, now, monkeypatch):
    """The stand-in really checks the JWT: signed with another key than the one it names → 401, retried."""
    from py_vapid import Vapid

    from moorage.push import sender

    other_private, _ = vapid.generate()
    real = sender._vapid

    def forged():  # noqa: ANN202
        signer, subject = real()
        liar = Vapid.from_string(private_key=other_private)
        liar._public_key = signer.public_key  # names Moorage's key, signs with another
        return liar, subject

    monkeypatch.setattr(sender, "_vapid", forged)
    row = push_row()
    assert deliver(row.pk, now=now) == "queued"
    assert push_service.refused == ["bad JWT signature"] and push_service.received == []
