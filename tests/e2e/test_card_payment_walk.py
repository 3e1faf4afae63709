"""Paying an invoice by card in a real browser: the client opens an unpaid invoice, chooses Pay with
Credit Card, is sent to the Stripe stand-in's hosted page, is declined once, passes 3-D Secure with a
second card and comes back to a paid invoice. The stand-in's signed webhooks reach the live server
too; either path pays the invoice, and it is paid once."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from moorage.billing.models import Payment
from moorage.payments.models import Checkout, WebhookEvent
from stripe_standin import StripeStandin
from tests import factories
from tests.payments.test_stripe_payments import enable_stripe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "cardholder@example.com"


@pytest.fixture
def standin(live_server):  # noqa: ANN001, ANN201
    with StripeStandin(port=0, webhook_url=f"{live_server.url}/payments/webhooks/stripe/") as running:
        yield running


def test_a_client_pays_an_invoice_by_card_on_the_hosted_page(live_server, page, standin, settings, shot) -> None:  # noqa: ANN001
    settings.MOORAGE_SITE_URL = live_server.url
    enable_stripe(standin)
    client = factories.client(email=EMAIL)
    starter = factories.shared_page().products.get(name="Starter Hosting")
    order = factories.checkout(client, starter)
    invoice = order.invoice
    base = live_server.url

    page.goto(f"{base}/login/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/invoices/{invoice.number}/")
    assert page.get_by_test_id("invoice-status").inner_text().strip().lower() == "unpaid"
    shot(page, "card-01-unpaid-invoice")
    page.get_by_test_id("pay-with-stripe").click()

    # The stand-in's hosted page, for what is due.
    page.wait_for_url(re.compile(re.escape(standin.base_url) + r"/pay/cs_test_\w+"))
    assert "4.99 USD" in page.locator(".amount").inner_text()
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay 4.99 USD").click()
    assert page.get_by_role("alert").inner_text() == "Your card was declined."
    shot(page, "card-02-declined")

    page.get_by_label("Card number").fill("4000 0025 0000 3155")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay 4.99 USD").click()
    assert page.get_by_role("heading", name="3-D Secure authentication").is_visible()
    shot(page, "card-03-3d-secure")
    page.get_by_role("button", name="Complete authentication").click()

    # Back on Moorage: the return page asked Stripe server to server and shows the paid invoice.
    page.wait_for_url(f"{base}/invoices/{invoice.number}/")
    shot(page, "card-04-back")
    assert page.get_by_test_id("invoice-status").inner_text().strip().lower() == "paid"
    assert "is paid" in page.locator("body").inner_text()
    shot(page, "card-04-paid")

    assert standin.wait_for_deliveries()
    assert all(d.status == 200 for d in standin.deliveries), standin.deliveries
    delivered = {d.event_id for d in standin.deliveries}
    assert delivered <= set(WebhookEvent.objects.filter(gateway="stripe").values_list("event_id", flat=True))
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.gateway, payment.amount) == ("stripe", Decimal("4.99"))
    assert payment.transaction_id.startswith("pi_")
    assert Checkout.objects.get(invoice=invoice).status == "paid"
