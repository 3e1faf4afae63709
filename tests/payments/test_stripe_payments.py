"""Paying invoices by card through the Stripe module and the Stripe stand-in, end to end: checkout,
signed webhooks posted to Moorage's endpoint, the return page's server-side fetch, refunds from the
staff side, Service Auto Payment on the saved card."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from moorage.billing.models import LedgerEntry, Payment
from moorage.billing.queries import invoice_outstanding
from moorage.catalog.models import BillingDefaults
from moorage.notifications.models import Notification
from moorage.payments.actions import payment_record
from moorage.payments.autopay import auto_charge_run
from moorage.payments.models import (
    Checkout,
    GatewayConfig,
    GatewayRefund,
    HeldPayment,
    SavedPaymentMethod,
    WebhookEvent,
)
from moorage.payments.online import checkout_return, checkout_start, payment_refund
from moorage.servicefunctions.actions import auto_payment_set
from moorage.services.models import Service
from stripe_standin import StripeStandin
from stripe_standin.testing import stripe_standin  # noqa: F401
from tests.automation.conftest import at
from tests.factories import checkout as order_checkout
from tests.payments.renewals import renewal_day as renewal

LATER = dt.datetime(2026, 1, 16, 9, 0, tzinfo=dt.UTC)
D = dt.date
SUCCESS, DECLINED, THREE_DS = "4242424242424242", "4000000000000002", "4000002500003155"


def enable_stripe(standin: StripeStandin) -> None:
    config, _ = GatewayConfig.objects.get_or_create(code="stripe")
    config.enabled = True
    config.set_settings(
        {
            "secret_key": standin.secret_key,
            "publishable_key": standin.publishable_key,
            "webhook_secret": standin.webhook_secret,
            "api_base": standin.base_url,
        }
    )
    config.save()


@pytest.fixture
def stripe_on(db, settings, stripe_standin):  # noqa: ANN001, ANN201, F811
    settings.MOORAGE_SITE_URL = "https://billing.example.com"
    enable_stripe(stripe_standin)
    return stripe_standin


@pytest.fixture
def order(stripe_on, starter, client_account, now):  # noqa: ANN001, ANN201
    return order_checkout(client_account, starter, now=now)


def start(order, *, save: bool = False) -> Checkout:  # noqa: ANN001
    co, url = checkout_start(
        client_id=order.client_id, invoice_id=order.invoice.pk, gateway="stripe", save_method=save, now=LATER
    )
    assert url.endswith(f"/pay/{co.provider_ref}")
    return co


def post_event(client, standin: StripeStandin, event_id: str, **sign):  # noqa: ANN001, ANN003, ANN201
    body, headers = standin.signed_webhook(event_id, **sign)
    return client.post(
        "/payments/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=headers["Stripe-Signature"],
    )


def deliver_all(client, standin: StripeStandin) -> list[list[str]]:  # noqa: ANN001
    """Post every event the stand-in raised so far, in order, as Stripe would; returns the outcomes."""
    outcomes = []
    for event_id in standin.stripe.drain():
        response = post_event(client, standin, event_id)
        assert response.status_code == 200, response.content
        outcomes.append(response.json()["outcomes"])
    return outcomes


def test_an_invoice_is_paid_by_card_through_checkout_and_webhook(order, client, stripe_on) -> None:  # noqa: ANN001
    co = start(order)
    assert stripe_on.stripe.objects[co.provider_ref]["amount_total"] == 499
    assert stripe_on.stripe.objects[co.provider_ref]["success_url"] == (
        f"https://billing.example.com/pay/return/{co.reference}/"
    )
    stripe_on.pay(co.provider_ref, SUCCESS)
    outcomes = deliver_all(client, stripe_on)
    pi = stripe_on.stripe.objects[co.provider_ref]["payment_intent"]
    assert outcomes == [[f"payment {pi} recorded"], [f"payment {pi} recorded already"]]

    payment = Payment.objects.get()
    assert (payment.gateway, payment.transaction_id, payment.amount, payment.currency) == (
        "stripe",
        pi,
        Decimal("4.99"),
        "USD",
    )
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"
    co.refresh_from_db()
    assert (co.status, co.payment_id) == ("paid", payment.pk)
    assert LedgerEntry.objects.filter(kind="payment").count() == 1


def test_the_return_page_alone_records_the_payment(order, stripe_on) -> None:  # noqa: ANN001
    co = start(order)
    assert checkout_return(client_id=order.client_id, reference=co.reference, now=LATER).status == "open"
    stripe_on.pay(co.provider_ref, SUCCESS)
    back = checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    assert back.status == "paid"
    assert Payment.objects.get().transaction_id == stripe_on.stripe.objects[co.provider_ref]["payment_intent"]


def test_webhook_and_return_page_pay_once(order, client, stripe_on) -> None:  # noqa: ANN001
    co = start(order)
    stripe_on.pay(co.provider_ref, SUCCESS)
    assert checkout_return(client_id=order.client_id, reference=co.reference, now=LATER).status == "paid"
    deliver_all(client, stripe_on)
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1


def test_a_replayed_webhook_pays_once(order, client, stripe_on) -> None:  # noqa: ANN001
    co = start(order)
    stripe_on.pay(co.provider_ref, SUCCESS)
    (completed,) = stripe_on.events_of("checkout.session.completed")
    first = post_event(client, stripe_on, completed["id"])
    again = post_event(client, stripe_on, completed["id"], timestamp=completed["created"] + 120)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["outcomes"] == ["duplicate"]
    assert Payment.objects.count() == 1
    assert WebhookEvent.objects.filter(event_id=completed["id"]).count() == 1


@pytest.mark.parametrize("how", ["other secret", "tampered", "too old", "unsigned"])
def test_a_webhook_with_a_bad_signature_is_refused_and_nothing_recorded(order, client, stripe_on, how) -> None:  # noqa: ANN001
    co = start(order)
    stripe_on.pay(co.provider_ref, SUCCESS)
    (completed,) = stripe_on.events_of("checkout.session.completed")
    if how == "other secret":
        response = post_event(client, stripe_on, completed["id"], secret="whsec_attacker")
    elif how == "too old":
        response = post_event(client, stripe_on, completed["id"], timestamp=completed["created"] - 3600)
    else:
        body, headers = stripe_on.signed_webhook(completed["id"])
        extra = {"HTTP_STRIPE_SIGNATURE": headers["Stripe-Signature"]} if how == "tampered" else {}
        if how == "tampered":
            data = json.loads(body)
            data["data"]["object"]["metadata"]["reference"] = "someone-else"
            body = json.dumps(data).encode()
        response = client.post("/payments/webhooks/stripe/", data=body, content_type="application/json", **extra)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert not Payment.objects.exists()
    order.invoice.refresh_from_db()
    assert order.invoice.status == "unpaid"


def test_a_declined_card_leaves_the_invoice_unpaid_then_another_card_pays(order, client, stripe_on) -> None:  # noqa: ANN001
    co = start(order)
    assert stripe_on.pay(co.provider_ref, DECLINED).error == "Your card was declined."
    deliver_all(client, stripe_on)
    co.refresh_from_db()
    assert co.status == "open"  # the client is still on Stripe's page and may try another card
    order.invoice.refresh_from_db()
    assert order.invoice.status == "unpaid"
    assert not Payment.objects.exists()

    stripe_on.pay(co.provider_ref, SUCCESS)  # the client tries again on the same page
    assert checkout_return(client_id=order.client_id, reference=co.reference, now=LATER).status == "paid"
    deliver_all(client, stripe_on)
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"
    assert Payment.objects.count() == 1


def test_an_expired_checkout_fails(order, client, stripe_on) -> None:  # noqa: ANN001
    co = start(order)
    stripe_on.advance_time(2 * 86400)
    assert stripe_on.pay(co.provider_ref, SUCCESS).kind == "closed"
    deliver_all(client, stripe_on)
    co.refresh_from_db()
    assert co.status == "failed"
    assert "expired" in co.message
    order.invoice.refresh_from_db()
    assert order.invoice.status == "unpaid"


def test_3d_secure_required_then_passed(order, client, stripe_on) -> None:  # noqa: ANN001
    co = start(order)
    assert stripe_on.pay(co.provider_ref, THREE_DS, authenticate=None).kind == "authenticate"
    back = checkout_return(client_id=order.client_id, reference=co.reference, now=LATER)
    assert back.status == "action_required"
    assert not Payment.objects.exists()
    stripe_on.stripe.session_authenticate(co.provider_ref, approve=True)
    deliver_all(client, stripe_on)
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"


def test_a_partial_payment_then_the_card_pays_the_rest(order, client, stripe_on, now) -> None:  # noqa: ANN001
    payment_record(
        invoice_id=order.invoice.pk,
        amount=Decimal("2.00"),
        gateway="bank_transfer",
        transaction_id="WIRE-1",
        now=now,
        actor=None,
    )
    co = start(order)
    assert co.amount == Decimal("2.99")
    assert stripe_on.stripe.objects[co.provider_ref]["amount_total"] == 299
    stripe_on.pay(co.provider_ref, SUCCESS)
    deliver_all(client, stripe_on)
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"
    assert invoice_outstanding(order.invoice) == Decimal("0.00")
    assert sorted(Payment.objects.values_list("gateway", "amount")) == [
        ("bank_transfer", Decimal("2.00")),
        ("stripe", Decimal("2.99")),
    ]


def test_an_amount_that_does_not_match_is_held(order, client, stripe_on, staff) -> None:  # noqa: ANN001
    co = start(order)
    stripe_on.pay(co.provider_ref, SUCCESS)
    stripe_on.stripe.drain()
    # Stripe reports a different amount for this session (signed: it really comes from the provider).
    session = dict(stripe_on.stripe.objects[co.provider_ref], amount_total=100)
    event = stripe_on.stripe.emit("checkout.session.completed", session)
    assert post_event(client, stripe_on, event["id"]).status_code == 200
    assert not Payment.objects.exists()
    held = HeldPayment.objects.get()
    assert (held.amount, held.currency, held.status) == (Decimal("1.00"), "USD", "held")
    order.invoice.refresh_from_db()
    assert order.invoice.status == "unpaid"


def test_staff_refund_part_then_the_rest_and_the_webhooks_change_nothing(order, client, stripe_on, staff) -> None:  # noqa: ANN001
    co = start(order)
    stripe_on.pay(co.provider_ref, SUCCESS)
    deliver_all(client, stripe_on)
    payment = Payment.objects.get()

    partial = payment_refund(payment_id=payment.pk, amount="1.50", now=LATER, actor=staff)
    assert (partial.status, partial.amount, partial.recorded) == ("done", Decimal("1.50"), True)
    assert partial.refund_id.startswith("re_")
    charge = stripe_on.stripe.objects[stripe_on.stripe.objects[payment.transaction_id]["latest_charge"]]
    assert charge["amount_refunded"] == 150
    deliver_all(client, stripe_on)  # charge.refunded, refund.created: already recorded
    assert GatewayRefund.objects.filter(recorded=True).count() == 1

    rest = payment_refund(payment_id=payment.pk, amount=None, now=LATER, actor=staff)
    assert rest.amount == Decimal("3.49")
    deliver_all(client, stripe_on)
    assert charge["refunded"] is True
    assert sorted(GatewayRefund.objects.filter(recorded=True).values_list("amount", flat=True)) == [
        Decimal("1.50"),
        Decimal("3.49"),
    ]


def test_a_refund_made_in_stripes_dashboard_is_recorded_once(order, client, stripe_on) -> None:  # noqa: ANN001
    co = start(order)
    stripe_on.pay(co.provider_ref, SUCCESS)
    deliver_all(client, stripe_on)
    payment = Payment.objects.get()
    stripe_on.stripe.refund_create({"payment_intent": payment.transaction_id, "amount": "200"})
    (refunded,) = stripe_on.events_of("charge.refunded")
    post_event(client, stripe_on, refunded["id"])
    post_event(client, stripe_on, refunded["id"], timestamp=refunded["created"] + 5)
    (refund,) = GatewayRefund.objects.all()
    assert (refund.amount, refund.recorded) == (Decimal("2.00"), True)


# -- Service Auto Payment ---------------------------------------------------------------------------------
@pytest.fixture
def card_service(stripe_on, starter, client_account, client):  # noqa: ANN001, ANN201
    """A paid first order whose client kept the card at Stripe and turned Service Auto Payment on."""
    defaults = BillingDefaults.load()
    defaults.apply_credit_automatically = False
    defaults.save()
    order = order_checkout(client_account, starter, now=at(D(2026, 1, 15), 9))
    co, _ = checkout_start(
        client_id=client_account.pk,
        invoice_id=order.invoice.pk,
        gateway="stripe",
        save_method=True,
        now=at(D(2026, 1, 15), 9),
    )
    stripe_on.pay(co.provider_ref, SUCCESS)
    deliver_all(client, stripe_on)
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"
    service = Service.objects.get()
    auto_payment_set(service_id=service.pk, on=True, now=at(D(2026, 1, 16)), actor=None, client_id=client_account.pk)
    return service


CHARGE_TIME = at(D(2026, 2, 1), 1)  # the renewal invoice's issue day, after the automation ran


def test_the_card_kept_at_checkout_is_saved(card_service, stripe_on) -> None:  # noqa: ANN001
    method = SavedPaymentMethod.objects.get()
    assert method.gateway == "stripe"
    assert method.label == "Visa •••• 4242, expires 12/2034"
    assert stripe_on.stripe.objects[method.token]["customer"] == method.customer_ref


def test_the_renewal_is_charged_on_the_saved_card(card_service, client, stripe_on) -> None:  # noqa: ANN001
    invoice, charge = renewal()
    assert auto_charge_run(charge_id=charge.pk, now=CHARGE_TIME).startswith("payment pi_")
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    charge.refresh_from_db()
    pi = stripe_on.stripe.objects[charge.transaction_id]
    assert (pi["status"], pi["amount"]) == ("succeeded", int(invoice.total * 100))
    assert pi["metadata"]["reference"] == charge.reference
    # Stripe's own webhook for that charge changes nothing; running the task again charges nothing.
    deliver_all(client, stripe_on)
    assert auto_charge_run(charge_id=charge.pk, now=CHARGE_TIME) == "nothing to do"
    assert Payment.objects.filter(invoice=invoice).count() == 1
    intents = [o for o in stripe_on.stripe.objects.values() if o["object"] == "payment_intent"]
    assert [o["id"] for o in intents if o["metadata"].get("reference") == charge.reference] == [pi["id"]]


def test_a_declined_renewal_leaves_it_unpaid_and_tells_the_client(card_service, client, stripe_on) -> None:  # noqa: ANN001
    method = SavedPaymentMethod.objects.get()
    stripe_on.set_card_behaviour(method.token, "decline", "insufficient_funds")
    invoice, charge = renewal()
    assert auto_charge_run(charge_id=charge.pk, now=CHARGE_TIME) == "declined"
    invoice.refresh_from_db()
    assert invoice.status == "unpaid"
    charge.refresh_from_db()
    assert charge.status == "declined"
    assert "insufficient funds" in charge.message
    note = Notification.objects.get(template="payment_declined")
    assert note.client_id == invoice.client_id
    deliver_all(client, stripe_on)  # payment_intent.payment_failed: nothing to pay
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_a_renewal_needing_authentication_is_declined_too(card_service, stripe_on) -> None:  # noqa: ANN001
    stripe_on.set_card_behaviour(SavedPaymentMethod.objects.get().token, "3ds_always")
    invoice, charge = renewal()
    assert auto_charge_run(charge_id=charge.pk, now=CHARGE_TIME) == "declined"
    charge.refresh_from_db()
    assert "requires authentication" in charge.message


# -- staff area ---------------------------------------------------------------------------------------------
def test_staff_configure_stripe_and_refund_from_the_payment_page(order, client, stripe_on, staff) -> None:  # noqa: ANN001
    GatewayConfig.objects.filter(code="stripe").delete()
    client.force_login(staff)
    form = client.get("/admin/payments/gatewayconfig/stripe/configure/").content.decode()
    assert "https://billing.example.com/payments/webhooks/stripe/" in form
    assert "checkout.session.completed" in form and "charge.refunded" in form
    response = client.post(
        "/admin/payments/gatewayconfig/stripe/configure/",
        {
            "enabled": "on",
            "display_name": "",
            "sort_order": "0",
            "secret_key": stripe_on.secret_key,
            "publishable_key": stripe_on.publishable_key,
            "webhook_secret": stripe_on.webhook_secret,
            "api_base": stripe_on.base_url,
        },
    )
    assert response.status_code == 302
    config = GatewayConfig.objects.get(code="stripe")
    assert config.enabled and stripe_on.secret_key not in config.settings_encrypted
    again = client.get("/admin/payments/gatewayconfig/stripe/configure/").content.decode()
    assert stripe_on.secret_key not in again and stripe_on.webhook_secret not in again

    co = start(order)
    stripe_on.pay(co.provider_ref, SUCCESS)
    deliver_all(client, stripe_on)
    payment = Payment.objects.get()
    response = client.post(f"/admin/billing/payment/{payment.pk}/refund-through-gateway/", {"amount": "1.99"})
    assert response.status_code == 302
    refund = GatewayRefund.objects.get()
    assert (refund.amount, refund.status, refund.recorded) == (Decimal("1.99"), "done", True)
    assert stripe_on.stripe.objects[refund.refund_id]["amount"] == 199
