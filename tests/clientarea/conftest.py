"""Client-area fixtures: a fixed test clock, a signed-in client, an order with its invoice."""

from __future__ import annotations

import datetime as dt

import pytest

from moorage.orders.actions import CartItem, order_checkout
from tests import factories
from tests.provisioning.conftest import connection, hosting, panel  # noqa: F401  (the emulator fixtures)

CLOCK = "2026-01-15"


@pytest.fixture(autouse=True)
def test_clock(settings):  # noqa: ANN001, ANN201
    """Views take "now" from the clock; fix it so dates on the pages are known."""
    settings.MOORAGE_CLOCK_DATE = CLOCK
    return dt.date(2026, 1, 15)


@pytest.fixture
def signed_in(client, client_account):  # noqa: ANN001, ANN201
    """Django's test client, signed in as `client_account`."""
    client.force_login(client_account.user)
    return client


@pytest.fixture
def other_client(db, now):  # noqa: ANN001, ANN201
    return factories.client(now=now, email="other@example.com", first_name="Otto")


@pytest.fixture
def order(starter, client_account, now):  # noqa: ANN001, ANN201
    """Starter Hosting monthly for example.com, checked out on 2026-01-15 (invoice unpaid)."""
    return order_checkout(client=client_account, items=[CartItem(starter.pk, "monthly", "example.com")], now=now)


@pytest.fixture
def other_order(starter, other_client, now):  # noqa: ANN001, ANN201
    return order_checkout(client=other_client, items=[CartItem(starter.pk, "monthly", "other.example")], now=now)


@pytest.fixture
def smtp_like(settings):
    """Django's in-memory email backend (the SMTP path itself is covered in tests/notifications)."""
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail
