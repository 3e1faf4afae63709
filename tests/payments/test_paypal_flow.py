"""Paying invoices with PayPal end to end: the client area, the PayPal stand-in's approval page, the return
page, signed webhooks to /payments/webhooks/paypal/, refunds and Service Auto Payment on a vaulted wallet."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from decimal import Decimal

import httpx
import pytest
from django.test import Client as WebClient

from moorage.billing.models import Invoice, Payment
from moorage.catalog.models import BillingDefaults
from moorage.gateways import paypal as paypal_module
from moorage.notifications.models import Notification
from moorage.payments.autopay import auto_charge_run
from moorage.payments.models import AutoCharge, Checkout, GatewayConfig, HeldPayment, SavedPaymentMethod, WebhookEvent
from moorage.payments.online import payment_refund
from moorage.servicefunctions.actions import auto_payment_set
from moorage.services.models import Service
from paypal_standin import PayPalStandin
from tests import factories
from tests.automation.conftest import at
from tests.payments.renewals import renewal_day

D = dt.date

SITE = "https://billing.example.com"
WEBHOOK = "/payments/webhooks/paypal/"


@pytest.fixture
def paypal(db, settings):  # noqa: ANN001, ANN201
    """The PayPal stand-in, and the PayPal gateway configured for it and enabled."""
    settings.MOORAGE_SITE_URL = SITE
    standin = PayPalStandin(port=0).start()
    paypal_module._tokens.clear()
    paypal_module._certs.clear()
    configure(standin)
    yield standin
    standin.stop()


def configure(standin: PayPalStandin) -> None:
    config, _ = GatewayConfig.objects.get_or_create(code="paypal")
    config.enabled = True
    config.set_settings(
        {
            "client_id": standin.client_id,
            "client_secret": standin.client_secret,
            "webhook_id": standin.webhook_id,
            "mode": "sandbox",
            "api_base_url": standin.base_url,
        }
    )
    config.save()


@pytest.fixture
def unpaid(db, now):  # noqa: ANN001, ANN201
    """A client with an unpaid first invoice (Starter Hosting, monthly)."""
    starter = factories.shared_page(now=now).products.get(code="starter")
    client = factories.client(now=now)
    order = factories.checkout(client, starter, now=now)
    return order.invoice


def browser(invoice: Invoice) -> WebClient:
    web = WebClient()
    web.force_login(invoice.client.user)
    return web


def start(web: WebClient, invoice: Invoice, *, save: bool = False) -> str:
    """Press "Pay with PayPal" on the invoice; returns the stand-in's approval page address."""
    answer = web.post(f"/invoices/{invoice.number}/pay/paypal/", {"save_method": "1"} if save else {})
    assert answer.status_code == 302, answer.content
    return answer["Location"]


def click(approval_url: str, action: str = "pay") -> str:
    """The payer on PayPal's page (over real HTTP); returns where PayPal sends the browser back."""
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(approval_url).query)["token"][0]
    with httpx.Client(timeout=10) as http:
        assert "Pay now" in http.get(approval_url).text
        answer = http.post(approval_url.split("?")[0], data={"token": token, "action": action})
    assert answer.status_code == 303
    return answer.headers["location"]


def come_back(web: WebClient, return_url: str):  # noqa: ANN201
    assert return_url.startswith(SITE)
    return web.get(return_url[len(SITE) :])


def post_webhook(standin: PayPalStandin, event, **extra_headers: str):  # noqa: ANN001, ANN201
    body, headers = standin.webhook_request(event)
    headers.update(extra_headers)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items() if k.lower() != "content-type"}
    return WebClient().post(WEBHOOK, data=body, content_type="application/json", **meta)


def paid(invoice: Invoice) -> bool:
    invoice.refresh_from_db()
    return invoice.status == Invoice.Status.PAID


def test_pay_with_paypal_and_come_back_to_a_paid_invoice(paypal, unpaid):
    web = browser(unpaid)
    page = web.get(f"/invoices/{unpaid.number}/").content.decode()
    assert 'data-testid="pay-with-paypal"' in page
    assert 'data-testid="save-method-paypal"' in page
    approval = start(web, unpaid)
    assert approval.startswith(paypal.base_url + "/checkoutnow?token=")
    back = click(approval)
    page = come_back(web, back)
    assert page.status_code == 302
    assert paid(unpaid)
    [payment] = Payment.objects.filter(gateway="paypal")
    assert payment.amount == unpaid.total
    assert payment.transaction_id in paypal.paypal.captures
    checkout = Checkout.objects.get()
    assert checkout.status == Checkout.Status.PAID
    assert checkout.provider_ref in paypal.paypal.orders

    # Then PayPal's webhooks arrive (and again): nothing is paid twice.
    for event in paypal.events * 2:
        assert post_webhook(paypal, event).status_code == 200
    assert Payment.objects.filter(gateway="paypal").count() == 1
    # The return page reloaded changes nothing either.
    come_back(web, back)
    assert Payment.objects.filter(gateway="paypal").count() == 1
    assert len(paypal.paypal.captures) == 1


def test_a_disabled_paypal_is_neither_offered_nor_usable(paypal, unpaid):
    GatewayConfig.objects.filter(code="paypal").update(enabled=False)
    web = browser(unpaid)
    assert b"pay-with-paypal" not in web.get(f"/invoices/{unpaid.number}/").content
    web.post(f"/invoices/{unpaid.number}/pay/paypal/")
    assert paypal.paypal.orders == {}
    assert not Checkout.objects.exists()
    assert post_webhook(paypal, paypal.emit("PAYMENT.CAPTURE.COMPLETED", {"id": "X"})).status_code == 404


def test_the_return_address_alone_pays_nothing(paypal, unpaid):
    web = browser(unpaid)
    start(web, unpaid)
    checkout = Checkout.objects.get()
    # The browser claims PayPal approved; PayPal says the payer has not: nothing is recorded.
    come_back(web, f"{SITE}/pay/return/{checkout.reference}/?token={checkout.provider_ref}&PayerID=FAKE")
    assert not paid(unpaid)
    assert not Payment.objects.exists()
    assert paypal.paypal.captures == {}


def test_another_clients_return_page_is_not_found(paypal, unpaid, now):
    web = browser(unpaid)
    start(web, unpaid)
    checkout = Checkout.objects.get()
    click(paypal.paypal.orders[checkout.provider_ref]["links"][1]["href"])
    stranger = WebClient()
    stranger.force_login(factories.client(now=now).user)
    assert stranger.get(f"/pay/return/{checkout.reference}/").status_code == 404
    assert not Payment.objects.exists()


def test_the_payer_closes_the_browser_and_the_approved_webhook_pays(paypal, unpaid):
    web = browser(unpaid)
    click(start(web, unpaid))  # approved on PayPal, never back on our return page
    [approved] = paypal.events_of("CHECKOUT.ORDER.APPROVED")
    assert post_webhook(paypal, approved).status_code == 200
    assert paid(unpaid)
    [completed] = paypal.events_of("PAYMENT.CAPTURE.COMPLETED")
    assert post_webhook(paypal, completed).status_code == 200
    assert Payment.objects.filter(gateway="paypal").count() == 1


def test_a_declined_payment_leaves_the_invoice_unpaid_with_the_reason(paypal, unpaid):
    web = browser(unpaid)
    back = click(start(web, unpaid), action="decline")
    page = come_back(web, back)
    assert page.status_code == 302
    assert not paid(unpaid)
    checkout = Checkout.objects.get()
    assert checkout.status == Checkout.Status.FAILED
    assert "declined" in checkout.message
    assert not Payment.objects.exists()


def test_cancel_on_paypal(paypal, unpaid):
    web = browser(unpaid)
    back = click(start(web, unpaid), action="cancel")
    assert "/pay/cancel/" in back
    come_back(web, back)
    assert Checkout.objects.get().status == Checkout.Status.CANCELLED
    assert not paid(unpaid)


def test_a_webhook_with_a_bad_signature_is_refused_and_nothing_is_recorded(paypal, unpaid, unchanged):
    web = browser(unpaid)
    click(start(web, unpaid))
    [approved] = paypal.events_of("CHECKOUT.ORDER.APPROVED")
    events_before = WebhookEvent.objects.count()
    with unchanged():
        answer = post_webhook(paypal, approved, **{"PAYPAL-TRANSMISSION-SIG": "AAAA"})
        assert answer.status_code == 400
        foreign = post_webhook(
            paypal, approved, **{"PAYPAL-CERT-URL": "https://attacker.example/v1/notifications/certs/CERT-1"}
        )
        assert foreign.status_code == 400
    assert WebhookEvent.objects.count() == events_before
    assert paypal.paypal.captures == {}
    assert not paid(unpaid)


def test_a_capture_of_another_amount_is_held_for_staff(paypal, unpaid):
    web = browser(unpaid)
    start(web, unpaid)
    checkout = Checkout.objects.get()
    event = paypal.emit(
        "PAYMENT.CAPTURE.COMPLETED",
        {
            "id": "PARTIALCAPTURE01",
            "status": "COMPLETED",
            "amount": {"currency_code": checkout.currency, "value": "1.00"},
            "custom_id": checkout.reference,
            "supplementary_data": {"related_ids": {"order_id": checkout.provider_ref}},
        },
    )
    assert post_webhook(paypal, event).status_code == 200
    [held] = HeldPayment.objects.all()
    assert held.amount == Decimal("1.00")
    assert held.transaction_id == "PARTIALCAPTURE01"
    assert not paid(unpaid)
    assert not Payment.objects.exists()


def test_staff_refund_part_then_the_rest(paypal, unpaid, now, staff):
    web = browser(unpaid)
    come_back(web, click(start(web, unpaid)))
    payment = Payment.objects.get(gateway="paypal")
    part = payment_refund(payment_id=payment.pk, amount="1.00", now=now, actor=staff)
    assert part.refund_id in paypal.paypal.refunds
    capture = paypal.paypal.captures[payment.transaction_id]
    assert capture["status"] == "PARTIALLY_REFUNDED"
    rest = payment_refund(payment_id=payment.pk, amount=None, now=now, actor=staff)
    assert paypal.paypal.refunds[rest.refund_id]["amount"]["value"] == str(payment.amount - Decimal("1.00"))
    assert capture["status"] == "REFUNDED"
    # PayPal's refund webhooks report the same refunds: recorded once.
    refunds_before = list(payment.gateway_refunds.values_list("refund_id", "amount", "recorded"))
    for event in paypal.events_of("PAYMENT.CAPTURE.REFUNDED") * 2:
        assert post_webhook(paypal, event).status_code == 200
    assert list(payment.gateway_refunds.values_list("refund_id", "amount", "recorded")) == refunds_before


@pytest.fixture
def wallet_service(paypal, settings, now):  # noqa: ANN001, ANN201
    """A service whose first invoice the client paid with PayPal, agreeing to keep the wallet, and
    for which the client turned Service Auto Payment on."""
    defaults = BillingDefaults.load()
    defaults.apply_credit_automatically = False
    defaults.save()
    starter = factories.shared_page(now=now).products.get(code="starter")
    client = factories.client(now=now)
    order = factories.checkout(client, starter, now=at(D(2026, 1, 15), 9))
    settings.MOORAGE_CLOCK_DATE = at(D(2026, 1, 15), 10).isoformat()  # the web pages' clock
    web = browser(order.invoice)
    come_back(web, click(start(web, order.invoice, save=True)))
    settings.MOORAGE_CLOCK_DATE = ""
    assert paid(order.invoice)
    [method] = SavedPaymentMethod.objects.filter(client=client, gateway="paypal")
    assert method.token in paypal.paypal.vault
    assert method.label.startswith("PayPal ")
    service = Service.objects.get()
    auto_payment_set(service_id=service.pk, on=True, now=at(D(2026, 1, 16)), actor=None, client_id=client.pk)
    return service


def test_service_auto_payment_on_the_vaulted_paypal_wallet(paypal, wallet_service):
    invoice, charge = renewal_day()
    assert charge.gateway == "paypal"
    assert auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 1)).startswith("payment ")
    assert paid(invoice)
    charge.refresh_from_db()
    assert charge.status == AutoCharge.Status.PAID
    assert charge.transaction_id in paypal.paypal.captures
    assert Payment.objects.filter(gateway="paypal").count() == 2
    # PayPal's webhook about the same capture, and the task run again, change nothing.
    assert post_webhook(paypal, paypal.events_of("PAYMENT.CAPTURE.COMPLETED")[-1]).status_code == 200
    AutoCharge.objects.filter(pk=charge.pk).update(status="pending")  # a lost state: the request id still guards
    auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 2))
    assert Payment.objects.filter(gateway="paypal").count() == 2
    assert len(paypal.paypal.captures) == 2


def test_service_auto_payment_declined_leaves_the_invoice_unpaid_and_tells_the_client(paypal, wallet_service):
    method = SavedPaymentMethod.objects.get(gateway="paypal")
    paypal.set_vault_behaviour(method.token, "decline")
    invoice, charge = renewal_day()
    assert auto_charge_run(charge_id=charge.pk, now=at(D(2026, 2, 1), 1)) == "declined"
    assert not paid(invoice)
    charge.refresh_from_db()
    assert charge.status == AutoCharge.Status.DECLINED
    assert "declined" in charge.message
    assert Notification.objects.filter(template="payment_declined", invoice_id=invoice.pk).count() == 1
    assert post_webhook(paypal, paypal.events_of("PAYMENT.CAPTURE.DENIED")[0]).status_code == 200
    assert not paid(invoice)


def test_staff_configure_paypal(paypal, admin_client):
    page = admin_client.get("/admin/payments/gatewayconfig/paypal/configure/").content.decode()
    for text in ("Client ID", "Secret", "Webhook ID", "Mode", "API base URL", f"{SITE}/payments/webhooks/paypal/"):
        assert text in page
    for event in ("CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.REFUNDED"):
        assert event in page
    assert paypal.client_secret not in page  # the secret is never shown back
    answer = admin_client.post(
        "/admin/payments/gatewayconfig/paypal/configure/",
        {
            "enabled": "on",
            "display_name": "",
            "sort_order": "2",
            "client_id": "live-client",
            "client_secret": "",
            "webhook_id": "LIVEWEBHOOK",
            "mode": "live",
            "api_base_url": "",
        },
    )
    assert answer.status_code == 302
    config = GatewayConfig.objects.get(code="paypal")
    assert config.get_settings() == {
        "client_id": "live-client",
        "client_secret": paypal.client_secret,  # kept: left blank
        "webhook_id": "LIVEWEBHOOK",
        "mode": "live",
    }
    assert paypal_module.PayPalGateway(config.get_settings()).base_url() == "https://api-m.paypal.com"
    assert paypal.client_secret not in config.settings_encrypted
