"""Stripe webhooks raced on PostgreSQL: the same signed event delivered twice at once, and the webhook
together with the return page's fetch, each pay the invoice once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client as WebClient

from moorage.billing.models import LedgerEntry, Payment
from moorage.payments.models import WebhookEvent
from moorage.payments.online import checkout_return, checkout_start
from stripe_standin.testing import stripe_standin  # noqa: F401
from tests.factories import checkout as order_checkout
from tests.payments.test_stripe_payments import enable_stripe
from tests.threads import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"),
]
LATER = dt.datetime(2026, 1, 16, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def paid_at_stripe(settings, stripe_standin, starter, client_account, now):  # noqa: ANN001, ANN201, F811
    settings.MOORAGE_SITE_URL = "https://billing.example.com"
    enable_stripe(stripe_standin)
    order = order_checkout(client_account, starter, now=now)
    co, _ = checkout_start(
        client_id=client_account.pk, invoice_id=order.invoice.pk, gateway="stripe", save_method=False, now=LATER
    )
    stripe_standin.pay(co.provider_ref, "4242424242424242")
    (completed,) = stripe_standin.events_of("checkout.session.completed")
    body, headers = stripe_standin.signed_webhook(completed["id"])
    return order, co, body, headers["Stripe-Signature"]


def deliver(body: bytes, signature: str) -> int:
    response = WebClient().post(
        "/payments/webhooks/stripe/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    return response.status_code


def test_the_same_stripe_webhook_delivered_twice_at_once_pays_once(paid_at_stripe):  # noqa: ANN001
    order, _co, body, signature = paid_at_stripe
    results = race(lambda: deliver(body, signature), lambda: deliver(body, signature))
    assert results == [200, 200]
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert WebhookEvent.objects.count() == 1
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"


def test_the_stripe_webhook_and_the_return_page_at_once_pay_once(paid_at_stripe):  # noqa: ANN001
    order, co, body, signature = paid_at_stripe
    results = race(
        lambda: deliver(body, signature),
        lambda: checkout_return(client_id=order.client_id, reference=co.reference, now=LATER).status,
    )
    assert results[0] == 200
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"
