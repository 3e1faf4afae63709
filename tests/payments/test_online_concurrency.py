"""Online payments raced on PostgreSQL: the same webhook twice at once, the webhook and the return
page at once, the auto charge task twice at once: one payment each time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client as WebClient

from moorage.billing.models import LedgerEntry, Payment
from moorage.payments.autopay import auto_charge_queue, auto_charge_run
from moorage.payments.models import AutoCharge, SavedPaymentMethod
from moorage.payments.online import checkout_return, checkout_start
from tests.factories import checkout as order_checkout
from tests.payments.fake_gateway import FakeGateway, provider, sign
from tests.threads import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"),
]
LATER = dt.datetime(2026, 1, 16, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def started(fake, starter, client_account, now):  # noqa: ANN001, ANN201
    order = order_checkout(client_account, starter, now=now)
    co, _ = checkout_start(
        client_id=client_account.pk, invoice_id=order.invoice.pk, gateway="fake", save_method=False, now=LATER
    )
    FakeGateway.pay(co.provider_ref)
    return order, co


def deliver(body: bytes) -> int:
    response = WebClient().post(
        "/payments/webhooks/fake/", data=body, content_type="application/json", HTTP_X_FAKE_SIGNATURE=sign(body)
    )
    return response.status_code


def test_the_same_webhook_delivered_twice_at_once_pays_once(fake, started):
    order, co = started
    body = fake.webhook_body(co.provider_ref, "evt_race")
    results = race(lambda: deliver(body), lambda: deliver(body))
    assert results == [200, 200]
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"


def test_webhook_and_return_page_at_once_pay_once(fake, started):
    order, co = started
    body = fake.webhook_body(co.provider_ref, "evt_race")
    results = race(
        lambda: deliver(body),
        lambda: checkout_return(client_id=order.client_id, reference=co.reference, now=LATER).status,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1


def test_the_auto_charge_task_twice_at_once_charges_once(fake, started, client_account):
    from django.db import transaction

    order, _co = started
    method = SavedPaymentMethod(client=client_account, gateway="fake", label="Visa", consent_at=LATER, created_at=LATER)
    method.token = "pm_ok"
    method.save()
    with transaction.atomic():
        charge = auto_charge_queue(invoice=order.invoice, now=LATER)
    assert charge is not None
    results = race(*[lambda: auto_charge_run(charge_id=charge.pk, now=LATER)] * 2)
    assert sorted(str(r)[:7] for r in results) == ["nothing", "payment"], results
    assert provider.charge_calls == 1
    assert Payment.objects.count() == 1
    assert AutoCharge.objects.get().status == "paid"
