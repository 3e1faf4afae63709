"""In the browser: a client pays an invoice with PayPal on the stand-in's approval page and comes back
to a paid invoice, while the stand-in's signed webhooks reach the live server at the same time."""

from __future__ import annotations

import re

import pytest
from django.test import Client as WebClient

from moorage.billing.models import Invoice, Payment
from moorage.gateways import paypal as paypal_module
from moorage.payments.models import GatewayConfig, WebhookEvent
from paypal_standin import PayPalStandin
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def paypal(live_server, settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_SITE_URL = live_server.url
    standin = PayPalStandin(port=0, webhook_url=f"{live_server.url}/payments/webhooks/paypal/").start()
    paypal_module._tokens.clear()
    paypal_module._certs.clear()
    config = GatewayConfig(code="paypal", enabled=True)
    config.set_settings(
        {
            "client_id": standin.client_id,
            "client_secret": standin.client_secret,
            "webhook_id": standin.webhook_id,
            "api_base_url": standin.base_url,
        }
    )
    config.save()
    yield standin
    standin.stop()


def test_pay_an_invoice_with_paypal_in_the_browser(live_server, paypal, page, shot, now):
    starter = factories.shared_page(now=now).products.get(code="starter")
    client = factories.client(now=now, first_name="Pia")
    invoice = factories.checkout(client, starter, now=now).invoice
    session = WebClient()
    session.force_login(client.user)
    cookie = {"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}
    page.context.add_cookies([cookie])

    page.goto(f"{live_server.url}/invoices/{invoice.number}/")
    shot(page, "paypal-01-invoice")
    page.get_by_test_id("pay-with-paypal").click()

    page.wait_for_url(re.compile(re.escape(paypal.base_url) + r"/checkoutnow\?token="))
    assert page.locator("#amount").inner_text() == f"{invoice.total} {invoice.currency.upper()}"
    shot(page, "paypal-02-approval")
    page.get_by_role("button", name="Pay now").click()

    page.wait_for_url(re.compile(re.escape(f"{live_server.url}/invoices/{invoice.number}/")))
    shot(page, "paypal-03-paid")
    assert "is paid" in page.locator("body").inner_text()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Payment.objects.filter(gateway="paypal").count() == 1
    # The stand-in's webhooks reached the live server, signed, and paid nothing twice.
    for event in paypal.events:
        if not event.deliveries:
            paypal.deliver(event)
    assert {e.event_type for e in paypal.events} >= {"CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED"}
    assert all(200 in e.deliveries for e in paypal.events), [(e.event_type, e.deliveries) for e in paypal.events]
    assert WebhookEvent.objects.filter(gateway="paypal").count() >= 2
    assert Payment.objects.filter(gateway="paypal").count() == 1
