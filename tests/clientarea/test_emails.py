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
