"""Related Emails: the client sees the emails sent to them, and nobody else's."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from moorage.notifications.actions import notify
from tests import factories

pytestmark = pytest.mark.django_db


def _email(client, key, now):  # noqa: ANN001, ANN202
    with transaction.atomic():
        return notify(
            template="order_cancelled",
            client=client,
            dedupe_key=key,
            now=now,
            context={"order": {"number": "000042"}},
        )


def test_client_sees_own_emails_only(client, client_account, now):
    other = factories.client(now=now)
    mine = _email(client_account, "mine", now)
    theirs = _email(other, "theirs", now)
    client.force_login(client_account.user)
    page = client.get(reverse("clientarea:emails")).content.decode()
    assert "Order 000042 was cancelled" in page
    detail = client.get(reverse("clientarea:email", args=[mine.pk]))
    assert detail.status_code == 200 and "was cancelled because it was not paid" in detail.content.decode()
    assert client.get(reverse("clientarea:email", args=[theirs.pk])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("clientarea:emails"))
    assert response.status_code == 302 and reverse("clientarea:login") in response["Location"]


# --- delivery status and Resend --------------------------------------------------------------------


def _failed(client_account, now, key="failed"):  # noqa: ANN001, ANN202
    from moorage.notifications.models import DeliveryAttempt, Notification

    row = _email(client_account, key, now)
    Notification.objects.filter(pk=row.pk).update(
        status="failed", attempts=1, last_error="SMTPRecipientsRefused: 550 no such mailbox"
    )
    DeliveryAttempt.objects.create(
        notification=row,
        number=1,
        channel="email",
        started_at=now,
        finished_at=now,
        outcome="failed",
        error="SMTPRecipientsRefused: 550 no such mailbox",
    )
    return row


def test_a_failed_email_shows_its_error_attempts_and_resend(client, client_account, now):
    row = _failed(client_account, now)
    client.force_login(client_account.user)
    listing = client.get(reverse("clientarea:emails")).content.decode()
    assert "Not delivered" in listing and "550 no such mailbox" in listing
    page = client.get(reverse("clientarea:email", args=[row.pk])).content.decode()
    assert "550 no such mailbox" in page and reverse("clientarea:email_resend", args=[row.pk]) in page


def test_a_client_resends_an_email_on_the_same_row(client, client_account, now, smtp_like):
    from moorage.notifications.delivery import deliver_pending
    from moorage.notifications.models import Notification

    row = _failed(client_account, now)
    client.force_login(client_account.user)
    assert client.get(reverse("clientarea:email_resend", args=[row.pk])).status_code == 405
    response = client.post(reverse("clientarea:email_resend", args=[row.pk]), follow=True)
    assert "queued to be sent again" in response.content.decode()
    row.refresh_from_db()
    assert row.status == "queued" and row.round_failures == 0
    assert deliver_pending(now=now) == 1
    assert Notification.objects.count() == 1 and len(smtp_like.outbox) == 1
    assert list(row.delivery_attempts.values_list("number", "outcome", "resend_by")) == [
        (1, "failed", ""),
        (2, "sent", "client"),
    ]
    page = client.get(reverse("clientarea:email", args=[row.pk])).content.decode()
    assert "(resend)" in page and "Sent" in page


def test_a_client_cannot_resend_another_clients_email(client, client_account, now):
    other = factories.client(now=now)
    theirs = _failed(other, now, key="theirs")
    client.force_login(client_account.user)
    assert client.post(reverse("clientarea:email_resend", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "failed"


def test_an_email_still_being_delivered_is_not_resent(client, client_account, now):
    row = _email(client_account, "queued", now)
    client.force_login(client_account.user)
    response = client.post(reverse("clientarea:email_resend", args=[row.pk]), follow=True)
    assert "still being delivered" in response.content.decode()
    row.refresh_from_db()
    assert row.status == "queued" and row.resend_by == ""


def test_client_resends_are_rate_limited(client, client_account, now):
    from moorage.notifications.delivery import CLIENT_RESEND_LIMIT

    rows = [_failed(client_account, now, key=f"f{i}") for i in range(CLIENT_RESEND_LIMIT + 1)]
    client.force_login(client_account.user)
    for row in rows[:-1]:
        client.post(reverse("clientarea:email_resend", args=[row.pk]))
    response = client.post(reverse("clientarea:email_resend", args=[rows[-1].pk]), follow=True)
    assert "emails an hour" in response.content.decode()
    rows[-1].refresh_from_db()
    assert rows[-1].status == "failed"
    # Another client is not affected by this one's count.
    other = factories.client(now=now)
    theirs = _failed(other, now, key="other")
    client.force_login(other.user)
    client.post(reverse("clientarea:email_resend", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.status == "queued"


def test_resend_needs_the_csrf_token(client_account, now):
    from django.test import Client as DjangoClient

    row = _failed(client_account, now)
    browser = DjangoClient(enforce_csrf_checks=True)
    browser.force_login(client_account.user)
    assert browser.post(reverse("clientarea:email_resend", args=[row.pk])).status_code == 403
    row.refresh_from_db()
    assert row.status == "failed"


def test_staff_resend_from_the_notification_admin(client, client_account, now):
    from django.contrib.auth.models import Permission

    from moorage.core.models import User

    row = _failed(client_account, now)
    changelist = reverse("admin:notifications_notification_changelist")
    viewer = User.objects.create_user(email="viewer@example.com", password="x" * 12, is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(viewer)
    page = client.get(reverse("admin:notifications_notification_change", args=[row.pk])).content.decode()
    assert "Delivery attempts" in page and "550 no such mailbox" in page
    assert "resend_selected" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "resend_selected", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.status == "failed"  # no permission: nothing changed

    viewer.user_permissions.add(Permission.objects.get(codename="resend_notification"))
    viewer = User.objects.get(pk=viewer.pk)  # fresh permission cache
    client.force_login(viewer)
    assert "resend_selected" in client.get(changelist).content.decode()
    response = client.post(changelist, {"action": "resend_selected", "_selected_action": [row.pk]}, follow=True)
    assert "queued to be sent again" in response.content.decode()
    row.refresh_from_db()
    assert row.status == "queued" and row.resend_by == "staff:viewer@example.com"
