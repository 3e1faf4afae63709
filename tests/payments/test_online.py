"""Paying invoices online through a gateway module (a fake one): checkout, webhook, return page,
held payments, partial payments, refunds, hostile input."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from moorage.billing.actions import credit_add
from moorage.billing.models import LedgerEntry, Payment
from moorage.billing.queries import client_credit_balance, invoice_outstanding, refundable_amount
from moorage.core.errors import DomainError, NotFound
from moorage.notifications.models import Notification
from moorage.payments.models import (
    Checkout,
    GatewayConfig,
    GatewayRefund,
    HeldPayment,
    SavedPaymentMethod,
    WebhookEvent,
)
from moorage.payments.online import (
    checkout_return,
    checkout_start,
    gateway_event_apply,
    held_payment_apply,
    payment_refund,
)
from tests import factories
from tests.factories import checkout as order_checkout
from tests.payments.fake_gateway import FakeGateway, provider, sign

LATER = dt.datetime(2026, 1, 16, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def order(starter, client_account, now):  # noqa: ANN001, ANN201
    return order_checkout(client_account, starter, now=now)


def start(order, *, save=False, now=LATER):  # noqa: ANN001, ANN201
    co, url = checkout_start(
        client_id=order.client_id, invoice_id=order.invoice.pk, gateway="fake", save_method=save, now=now
    )
    return co, url


def post_webhook(client, body: bytes, signature: str | None = None):  # noqa: ANN001, ANN201
    headers = {"HTTP_X_FAKE_SIGNATURE": signature if signature is not None else sign(body)}
    return client.post("/payments/webhooks/fake/", data=body, content_type="application/json", **headers)


def test_a_client_cannot_make_moorage_hammer_the_provider(fake, order):
    from moorage.payments.online import CHECKOUTS_PER_HOUR, TooManyCheckouts

    for _ in range(CHECKOUTS_PER_HOUR):
        start(order)
    with pytest.raises(TooManyCheckouts):
        start(order)
    assert Checkout.objects.filter(client_id=order.client_id).count() == CHECKOUTS_PER_HOUR
    start(order, now=LATER + dt.timedelta(hours=1, seconds=1))  # the window moved on


def test_checkout_starts_at_the_provider_for_what_is_due(fake, order):
    co, url = start(order)
    assert url == f"https://fake.test/pay/{co.provider_ref}"
    assert (co.amount, co.currency, co.status) == (Decimal("4.99"), "USD", "open")
    request = provider.sessions[co.provider_ref]["request"]
    assert request.reference == co.reference
    assert request.return_url == f"https://billing.example.com/pay/return/{co.reference}/"
    assert request.amount == Decimal("4.99")


def test_a_signed_webhook_pays_the_invoice_and_starts_the_service(fake, order, client):
    co, _ = start(order)
    txn = FakeGateway.pay(co.provider_ref)
    response = post_webhook(client, fake.webhook_body(co.provider_ref, "evt_1"))
    assert response.status_code == 200
    payment = Payment.objects.get()
    assert (payment.gateway, payment.transaction_id, payment.amount) == ("fake", txn, Decimal("4.99"))
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"
    co.refresh_from_db()
    assert (co.status, co.payment_id) == ("paid", payment.pk)
    assert order.items.get().service.status != "pending"


def test_the_same_webhook_twice_pays_once(fake, order, client):
    co, _ = start(order)
    FakeGateway.pay(co.provider_ref)
    body = fake.webhook_body(co.provider_ref, "evt_1")
    first, second = post_webhook(client, body), post_webhook(client, body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["outcomes"] == ["duplicate"]
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert WebhookEvent.objects.count() == 1


def test_webhook_and_return_page_pay_once(fake, order, client, now):
    co, _ = start(order)
    FakeGateway.pay(co.provider_ref)
    back = checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    assert back.status == "paid"
    response = post_webhook(client, fake.webhook_body(co.provider_ref, "evt_1"))
    assert response.json()["outcomes"] == [f"payment {back.payment.transaction_id} recorded already"]
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert set(WebhookEvent.objects.values_list("event_id", flat=True)) == {"evt_1", f"fetch:{co.provider_ref}:paid"}


def test_a_bad_signature_is_refused_and_nothing_is_recorded(fake, order, client):
    co, _ = start(order)
    FakeGateway.pay(co.provider_ref)
    body = fake.webhook_body(co.provider_ref, "evt_1")
    assert post_webhook(client, body, signature="0" * 64).status_code == 400
    assert post_webhook(client, body, signature="").status_code == 400
    assert post_webhook(client, body + b" ", signature=sign(body)).status_code == 400
    assert not Payment.objects.exists() and not WebhookEvent.objects.exists()
    order.invoice.refresh_from_db()
    assert order.invoice.status == "unpaid"


def test_a_webhook_the_module_cannot_check_now_is_503_and_nothing_is_recorded(fake, order, client):
    # A module that must ask the provider (a certificate, a capture) and cannot: the provider is
    # told to deliver again later (503), not that the event is bad (400, which some never retry).
    co, _ = start(order)
    FakeGateway.pay(co.provider_ref)
    body = fake.webhook_body(co.provider_ref, "evt_1")
    provider.webhook_unreachable = True
    assert post_webhook(client, body).status_code == 503
    assert not Payment.objects.exists() and not WebhookEvent.objects.exists()
    provider.webhook_unreachable = False
    assert post_webhook(client, body).status_code == 200
    assert Payment.objects.count() == 1


def test_webhook_of_an_unknown_or_disabled_gateway_is_404(fake, client):
    assert client.post("/payments/webhooks/nope/", data=b"{}", content_type="application/json").status_code == 404
    GatewayConfig.objects.filter(code="fake").update(enabled=False)
    assert client.post("/payments/webhooks/fake/", data=b"{}", content_type="application/json").status_code == 404
    assert (
        client.post("/payments/webhooks/bank_transfer/", data=b"{}", content_type="application/json").status_code == 404
    )
    assert client.get("/payments/webhooks/fake/").status_code in (404, 405)


def test_a_huge_webhook_body_is_refused(fake, client, settings):
    settings.MOORAGE_WEBHOOK_MAX_BYTES = 1000
    body = b"{" + b" " * 2000 + b"}"
    assert post_webhook(client, body).status_code == 413
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    ("amount", "currency"), [(Decimal("4.00"), "USD"), (Decimal("4.99"), "EUR"), (Decimal("5.99"), "USD")]
)
def test_an_amount_or_currency_that_does_not_match_is_held(fake, order, client, staff, amount, currency):
    co, _ = start(order)
    txn = FakeGateway.pay(co.provider_ref, amount=amount, currency=currency)
    assert post_webhook(client, fake.webhook_body(co.provider_ref, "evt_1")).status_code == 200
    assert not Payment.objects.exists()
    held = HeldPayment.objects.get()
    assert (held.transaction_id, held.amount, held.currency, held.status) == (txn, amount, currency, "held")
    order.invoice.refresh_from_db()
    assert order.invoice.status == "unpaid" and invoice_outstanding(order.invoice) == Decimal("4.99")
    co.refresh_from_db()
    assert co.status == "held"
    assert Notification.objects.filter(template="staff_payment_held", to_email=staff.email).count() == 1
    # The return page asks the provider: the same transaction stays held, once.
    checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    assert HeldPayment.objects.count() == 1 and not Payment.objects.exists()


def test_staff_apply_a_held_payment(fake, order, client, staff):
    co, _ = start(order)
    FakeGateway.pay(co.provider_ref, amount=Decimal("6.00"))
    post_webhook(client, fake.webhook_body(co.provider_ref, "evt_1"))
    held = HeldPayment.objects.get()
    payment = held_payment_apply(held_id=held.pk, now=LATER, actor=staff)
    assert payment.amount == Decimal("6.00")
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"
    assert client_credit_balance(order.client) == Decimal("1.01")  # the overpayment
    with pytest.raises(DomainError):
        held_payment_apply(held_id=held.pk, now=LATER, actor=staff)
    assert Payment.objects.count() == 1


def test_a_checkout_for_the_rest_after_credit_pays_the_invoice_in_full(fake, order, staff, now, client):
    from moorage.payments.actions import invoice_pay_from_credit

    credit_add(client=order.client, amount=Decimal("3.00"), reason="goodwill", now=now, actor=staff)
    invoice_pay_from_credit(invoice_id=order.invoice.pk, now=LATER, actor=None)
    co, _ = start(order)
    assert co.amount == Decimal("1.99")
    FakeGateway.pay(co.provider_ref)
    post_webhook(client, fake.webhook_body(co.provider_ref, "evt_1"))
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid" and invoice_outstanding(order.invoice) == Decimal("0.00")
    assert Payment.objects.get().amount == Decimal("1.99")


def test_declined_and_3ds_required(fake, order):
    co, _ = start(order)
    FakeGateway.pay(co.provider_ref, state="action_required")
    assert checkout_return(client_id=order.client_id, reference=co.reference, now=LATER).status == "action_required"
    FakeGateway.pay(co.provider_ref, state="failed")
    back = checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    assert (back.status, back.message) == ("failed", "card declined")
    assert not Payment.objects.exists()
    order.invoice.refresh_from_db()
    assert order.invoice.status == "unpaid"


def test_provider_down_leaves_a_failed_checkout_and_a_clear_error(fake, order):
    provider.fail_start = True
    with pytest.raises(DomainError, match="could not start the payment"):
        start(order)
    assert Checkout.objects.get().status == "failed"


def test_checkout_refused_for_another_clients_invoice_paid_invoice_or_disabled_gateway(fake, order, now):
    other = factories.client(now=now, email="other@example.com")
    with pytest.raises(NotFound):
        checkout_start(client_id=other.pk, invoice_id=order.invoice.pk, gateway="fake", save_method=False, now=LATER)
    with pytest.raises(NotFound):
        checkout_start(
            client_id=order.client_id, invoice_id=order.invoice.pk, gateway="nope", save_method=False, now=LATER
        )
    with pytest.raises(DomainError):
        checkout_start(
            client_id=order.client_id,
            invoice_id=order.invoice.pk,
            gateway="bank_transfer",
            save_method=False,
            now=LATER,
        )
    factories.pay(order.invoice, "4.99", transaction_id="BANK-1", now=now)
    with pytest.raises(DomainError, match="paid"):
        start(order)
    assert not Checkout.objects.exists()


def test_saved_card_only_with_consent(fake, order, client):
    co, _ = start(order, save=False)
    FakeGateway.pay(co.provider_ref)
    checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    assert not SavedPaymentMethod.objects.exists()


def test_saved_card_with_consent_is_kept_encrypted(fake, order):
    co, _ = start(order, save=True)
    FakeGateway.pay(co.provider_ref)
    checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    method = SavedPaymentMethod.objects.get()
    assert method.token == f"pm_{co.provider_ref}" and "pm_" not in method.token_encrypted
    assert (method.client_id, method.active, method.label) == (order.client_id, True, "Visa •••• 4242")


def test_refund_through_the_gateway_part_then_rest(fake, order, staff):
    co, _ = start(order)
    FakeGateway.pay(co.provider_ref)
    checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    payment = Payment.objects.get()
    refund = payment_refund(payment_id=payment.pk, amount="1.00", now=LATER, actor=staff)
    assert (refund.status, refund.recorded, refund.amount) == ("done", True, Decimal("1.00"))
    order.invoice.refresh_from_db()
    assert refundable_amount(order.invoice, payment) == Decimal("3.99")
    assert client_credit_balance(order.client) == Decimal("0.00")
    with pytest.raises(DomainError, match="at most 3.99"):
        payment_refund(payment_id=payment.pk, amount="5.00", now=LATER, actor=staff)
    payment_refund(payment_id=payment.pk, amount=None, now=LATER, actor=staff)
    assert refundable_amount(order.invoice, payment) == Decimal("0.00")
    with pytest.raises(DomainError):
        payment_refund(payment_id=payment.pk, amount=None, now=LATER, actor=staff)
    # The provider's webhook about the first refund changes nothing.
    first = GatewayRefund.objects.order_by("pk").first()
    body = json.dumps(
        {
            "id": "evt_r1",
            "kind": "refunded",
            "txn": payment.transaction_id,
            "amount": "1.00",
            "currency": "USD",
            "refund_id": first.refund_id,
        }
    ).encode()
    from django.test import Client as WebClient

    response = post_webhook(WebClient(), body)
    assert response.json()["outcomes"] == [f"refund {first.refund_id} recorded already"]
    assert LedgerEntry.objects.filter(kind="refund").count() == 2


def test_a_refund_made_at_the_provider_is_recorded_once(fake, order, client):
    co, _ = start(order)
    FakeGateway.pay(co.provider_ref)
    checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    payment = Payment.objects.get()
    body = json.dumps(
        {
            "id": "evt_r9",
            "kind": "refunded",
            "txn": payment.transaction_id,
            "amount": "4.99",
            "currency": "USD",
            "refund_id": "re_x",
        }
    ).encode()
    assert post_webhook(client, body).status_code == 200
    body2 = json.dumps(
        {
            "id": "evt_r10",
            "kind": "refunded",
            "txn": payment.transaction_id,
            "amount": "4.99",
            "currency": "USD",
            "refund_id": "re_x",
        }
    ).encode()
    assert post_webhook(client, body2).json()["outcomes"] == ["refund re_x recorded already"]
    assert list(LedgerEntry.objects.filter(kind__in=["refund", "credit_removed"]).values_list("kind", "amount")) == [
        ("refund", Decimal("4.99")),
        ("credit_removed", Decimal("-4.99")),
    ]


def test_an_event_for_no_checkout_is_held(fake, now):
    from moorage.payments.interface import PAID, GatewayEvent

    event = GatewayEvent(
        event_id="e1", kind=PAID, provider_ref="cs_unknown", transaction_id="ch_x", amount=Decimal("1"), currency="USD"
    )
    assert gateway_event_apply(gateway="fake", event=event, now=now).startswith("held for staff")
    assert HeldPayment.objects.get().invoice is None
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("-4.99"), Decimal("1e999999"), Decimal("0"), None]
)
def test_hostile_amounts_are_held_never_recorded(fake, order, amount):
    from moorage.payments.interface import PAID, GatewayEvent

    co, _ = start(order)
    event = GatewayEvent(
        event_id="e1",
        kind=PAID,
        provider_ref=co.provider_ref,
        reference=co.reference,
        transaction_id="ch_1",
        amount=amount,
        currency="USD",
    )
    outcome = gateway_event_apply(gateway="fake", event=event, now=LATER)
    assert outcome.startswith("held for staff"), outcome
    assert not Payment.objects.exists()


def test_hostile_strings_in_an_event(fake, order):
    from moorage.payments.interface import FAILED, PAID, GatewayEvent

    co, _ = start(order)
    long_txn = GatewayEvent(
        event_id="x" * 1000, kind=PAID, provider_ref=co.provider_ref, transaction_id="t" * 500, amount=Decimal("4.99")
    )
    assert gateway_event_apply(gateway="fake", event=long_txn, now=LATER).startswith("ignored")
    other = GatewayEvent(event_id="e2", kind=FAILED, provider_ref=co.provider_ref, reference="co_someone_else")
    assert gateway_event_apply(gateway="fake", event=other, now=LATER) == "no matching checkout"
    with pytest.raises(DomainError):
        gateway_event_apply(gateway="fake", event=GatewayEvent(event_id="  ", kind=PAID), now=LATER)
    co.refresh_from_db()
    assert co.status == "open" and not Payment.objects.exists()


def test_an_event_whose_reference_and_provider_id_name_different_checkouts_is_held(fake, order, now):
    from moorage.payments.interface import PAID, GatewayEvent

    co, _ = start(order)
    other_order = order_checkout(
        factories.client(now=now, email="other@example.com"), order.items.get().product, now=now
    )
    other, _ = start(other_order)
    event = GatewayEvent(
        event_id="e3",
        kind=PAID,
        provider_ref=other.provider_ref,
        reference=co.reference,
        transaction_id="ch_9",
        amount=Decimal("4.99"),
        currency="USD",
    )
    assert gateway_event_apply(gateway="fake", event=event, now=LATER).startswith("held for staff")
    assert not Payment.objects.exists()


def test_a_payment_reported_under_the_providers_payment_id_with_our_reference_is_recorded(fake, order):
    from moorage.payments.interface import PAID, GatewayEvent

    co, _ = start(order)
    event = GatewayEvent(
        event_id="e4",
        kind=PAID,
        provider_ref="pi_123",
        reference=co.reference,
        transaction_id="ch_10",
        amount=Decimal("4.99"),
        currency="USD",
    )
    assert gateway_event_apply(gateway="fake", event=event, now=LATER) == "payment ch_10 recorded"


def test_a_refund_without_an_answer_stays_in_flight_and_retry_refunds_once(fake, order, staff):
    from moorage.payments.online import gateway_refund_retry

    co, _ = start(order)
    FakeGateway.pay(co.provider_ref)
    checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    payment = Payment.objects.get()
    provider.refund_fault = "unknown"
    with pytest.raises(DomainError, match="did not answer"):
        payment_refund(payment_id=payment.pk, amount="4.99", now=LATER, actor=staff)
    refund = GatewayRefund.objects.get()
    assert (refund.status, refund.recorded) == ("requested", False)
    # In flight: nothing more can be refunded meanwhile.
    with pytest.raises(DomainError, match="nothing of this payment"):
        payment_refund(payment_id=payment.pk, amount="1.00", now=LATER, actor=staff)
    retried = gateway_refund_retry(refund_id=refund.pk, now=LATER, actor=staff)
    assert (retried.status, retried.recorded) == ("done", True)
    assert len(provider.refunds) == 1 and provider.refund_calls == 2
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    with pytest.raises(DomainError):
        gateway_refund_retry(refund_id=refund.pk, now=LATER, actor=staff)


def test_a_refused_refund_fails_and_frees_the_amount(fake, order, staff):
    co, _ = start(order)
    FakeGateway.pay(co.provider_ref)
    checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    payment = Payment.objects.get()
    provider.refund_fault = "permanent"
    with pytest.raises(DomainError, match="refused"):
        payment_refund(payment_id=payment.pk, amount="4.99", now=LATER, actor=staff)
    assert GatewayRefund.objects.get().status == "failed"
    assert payment_refund(payment_id=payment.pk, amount="4.99", now=LATER, actor=staff).status == "done"


def test_the_webhook_needs_no_csrf_token_nor_login(fake, order):
    from django.test import Client as WebClient

    co, _ = start(order)
    FakeGateway.pay(co.provider_ref)
    body = fake.webhook_body(co.provider_ref, "evt_csrf")
    strict = WebClient(enforce_csrf_checks=True)
    response = strict.post(
        "/payments/webhooks/fake/", data=body, content_type="application/json", HTTP_X_FAKE_SIGNATURE=sign(body)
    )
    assert response.status_code == 200
    assert Payment.objects.count() == 1
