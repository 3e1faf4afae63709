"""The client area's side of online payments: Pay with …, return and cancel pages, saved cards."""

from __future__ import annotations

import pytest

from moorage.billing.models import Payment
from moorage.payments.models import Checkout, SavedPaymentMethod
from tests import factories
from tests.factories import checkout as order_checkout
from tests.payments.fake_gateway import FakeGateway


@pytest.fixture
def order(starter, client_account, now):  # noqa: ANN001, ANN201
    return order_checkout(client_account, starter, now=now)


@pytest.fixture
def web(client, client_account):  # noqa: ANN001, ANN201
    client.force_login(client_account.user)
    return client


def test_unpaid_invoice_shows_pay_with_buttons(fake, order, web):
    page = web.get(f"/invoices/{order.invoice.number}/")
    assert b'data-testid="pay-with-fake"' in page.content
    assert b'name="save_method"' in page.content
    assert b"Pay with Fake Card" in page.content


def test_pay_redirects_to_the_provider_and_return_shows_paid(fake, order, web):
    response = web.post(f"/invoices/{order.invoice.number}/pay/fake/", {"save_method": "1"})
    co = Checkout.objects.get()
    assert response.status_code == 302 and response["Location"] == f"https://fake.test/pay/{co.provider_ref}"
    assert co.save_method
    # The browser's query parameters claim success before the provider has it: not trusted.
    back = web.get(f"/pay/return/{co.reference}/?status=paid&amount=4.99", follow=True)
    assert not Payment.objects.exists()
    assert b"still being processed" in back.content
    FakeGateway.pay(co.provider_ref)
    back = web.get(f"/pay/return/{co.reference}/", follow=True)
    assert b"is paid" in back.content
    assert Payment.objects.count() == 1
    assert SavedPaymentMethod.objects.count() == 1
    methods = web.get("/payment-methods/")
    assert "Visa •••• 4242" in methods.content.decode()


def test_another_clients_checkout_and_invoice_are_404(fake, order, web, client, now):
    response = web.post(f"/invoices/{order.invoice.number}/pay/fake/")
    co = Checkout.objects.get()
    other = factories.client(now=now, email="other@example.com")
    client.force_login(other.user)
    assert client.get(f"/pay/return/{co.reference}/").status_code == 404
    assert client.get(f"/pay/cancel/{co.reference}/").status_code == 404
    assert client.post(f"/invoices/{order.invoice.number}/pay/fake/").status_code == 404
    assert client.get("/pay/return/%00%27garbage/").status_code in (400, 404)
    assert client.get("/pay/return/%27%20OR%201=1/").status_code == 404
    assert response.status_code == 302


def test_cancel_page(fake, order, web):
    web.post(f"/invoices/{order.invoice.number}/pay/fake/")
    co = Checkout.objects.get()
    response = web.get(f"/pay/cancel/{co.reference}/", follow=True)
    co.refresh_from_db()
    assert co.status == "cancelled"
    assert b"cancelled" in response.content


def test_remove_a_saved_card(fake, order, web, client_account, now):
    method = SavedPaymentMethod(client=client_account, gateway="fake", label="Visa 1", consent_at=now, created_at=now)
    method.token = "pm_1"
    method.save()
    other = factories.client(now=now, email="other@example.com")
    theirs = SavedPaymentMethod(client=other, gateway="fake", label="Visa 2", consent_at=now, created_at=now)
    theirs.token = "pm_2"
    theirs.save()
    assert web.post(f"/payment-methods/{theirs.pk}/remove/").status_code == 404
    web.post(f"/payment-methods/{method.pk}/remove/")
    method.refresh_from_db()
    theirs.refresh_from_db()
    assert (method.active, theirs.active) == (False, True)


def test_login_required(fake, order, client):
    assert client.get("/payment-methods/").status_code == 302
    assert client.get("/pay/return/co_x/").status_code == 302


def test_order_complete_offers_pay_with(fake, order, web):
    from django.urls import reverse

    page = web.get(reverse("clientarea:order_complete", args=[order.number]))
    assert b'data-testid="pay-with-fake"' in page.content


def test_checkout_page_lists_the_online_gateways(fake, starter, web):
    from django.urls import reverse

    web.post(reverse("clientarea:product", args=[starter.pk]), {"cycle": "monthly", "hostname": "example.com"})
    page = web.get(reverse("clientarea:checkout"))
    assert page.status_code == 200
    assert b'data-testid="checkout-gateway"' in page.content and b"Fake Card" in page.content


def test_disabled_gateways_are_not_offered(fake, order, web, client_account, staff, now):
    from moorage.billing.actions import credit_add
    from moorage.payments.models import GatewayConfig

    credit_add(client=client_account, amount="2.00", reason="x", now=now, actor=staff)
    GatewayConfig.objects.filter(code="fake").update(enabled=False)
    GatewayConfig.objects.create(code="credit_balance", enabled=False)
    page = web.get(f"/invoices/{order.invoice.number}/")
    assert b"pay-with-fake" not in page.content and b"Pay from credit balance" not in page.content
    assert web.post(f"/invoices/{order.invoice.number}/pay/fake/").status_code == 302
    assert not Checkout.objects.exists()
    web.post(f"/invoices/{order.invoice.number}/pay-from-credit/")
    order.invoice.refresh_from_db()
    assert order.invoice.status == "unpaid"
    from moorage.billing.queries import client_credit_balance

    assert str(client_credit_balance(client_account)) == "2.00"
