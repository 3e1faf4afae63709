"""Staff area: Settings → Payment Gateways, held payments, Refund through gateway, the webhook log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.models import Payment
from moorage.core.models import AuditEntry, User
from moorage.payments.models import GatewayConfig, GatewayRefund, HeldPayment
from moorage.payments.online import checkout_return, checkout_start
from tests.factories import PASSWORD
from tests.factories import checkout as order_checkout
from tests.payments.fake_gateway import FakeGateway

LATER = dt.datetime(2026, 1, 16, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def admin_client(client, staff):  # noqa: ANN001, ANN201
    client.force_login(staff)
    return client


@pytest.fixture
def helpdesk(client, db):  # noqa: ANN001, ANN201
    user = User.objects.create_user("helpdesk@example.com", PASSWORD, is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def paid(fake, starter, client_account, now):  # noqa: ANN001, ANN201
    order = order_checkout(client_account, starter, now=now)
    co, _ = checkout_start(
        client_id=client_account.pk, invoice_id=order.invoice.pk, gateway="fake", save_method=False, now=LATER
    )
    FakeGateway.pay(co.provider_ref)
    checkout_return(client_id=client_account.pk, reference=co.reference, now=LATER)
    return Payment.objects.get()


def test_gateway_list_and_configure(fake, admin_client):
    page = admin_client.get("/admin/payments/gatewayconfig/")
    assert page.status_code == 200
    for name in (b"Fake Card", b"Bank / Wire Transfer", b"Credit balance"):
        assert name in page.content
    form = admin_client.get("/admin/payments/gatewayconfig/fake/configure/")
    html = form.content.decode()
    assert "https://billing.example.com/payments/webhooks/fake/" in html
    assert "Send checkout.paid" in html
    assert "whsec_fake" not in html and "sk_test" not in html  # secrets never shown back
    # Blank secrets keep the stored ones; a new display name is saved.
    response = admin_client.post(
        "/admin/payments/gatewayconfig/fake/configure/",
        {
            "enabled": "on",
            "display_name": "Card",
            "sort_order": "1",
            "api_key": "",
            "webhook_secret": "",
            "mode": "live",
        },
    )
    assert response.status_code == 302
    config = GatewayConfig.objects.get(code="fake")
    assert config.get_settings() == {"api_key": "sk_test", "webhook_secret": "whsec_fake", "mode": "live"}
    assert config.display_name == "Card" and "sk_test" not in config.settings_encrypted
    entry = AuditEntry.objects.get(action="gateway_config_save")
    assert entry.data == {"changed": ["mode"]} and "sk_test" not in str(entry.data)


def test_enabling_without_a_required_setting_is_refused(fake, admin_client):
    GatewayConfig.objects.filter(code="fake").delete()
    response = admin_client.post(
        "/admin/payments/gatewayconfig/fake/configure/", {"enabled": "on", "sort_order": "0", "mode": "bogus"}
    )
    assert response.status_code == 200
    assert not GatewayConfig.objects.filter(code="fake").exists()


def test_bank_transfer_instructions_are_shown_to_clients(fake, admin_client, starter, client_account, now, client):
    admin_client.post(
        "/admin/payments/gatewayconfig/bank_transfer/configure/",
        {"enabled": "on", "sort_order": "0", "instructions": "Wire it", "bank_details": "IBAN XX00 1234"},
    )
    order = order_checkout(client_account, starter, now=now)
    client.force_login(client_account.user)
    page = client.get(f"/invoices/{order.invoice.number}/")
    assert b"IBAN XX00 1234" in page.content


def test_staff_without_permission_cannot_configure_refund_or_apply(fake, paid, helpdesk):
    assert helpdesk.get("/admin/payments/gatewayconfig/fake/configure/").status_code == 403
    assert (
        helpdesk.post(f"/admin/billing/payment/{paid.pk}/refund-through-gateway/", {"amount": "1"}).status_code == 403
    )
    assert not GatewayRefund.objects.exists()


def test_refund_through_gateway_from_the_payment_page(fake, paid, admin_client):
    page = admin_client.get(f"/admin/billing/payment/{paid.pk}/change/")
    assert b"Refund through gateway" in page.content
    response = admin_client.post(f"/admin/billing/payment/{paid.pk}/refund-through-gateway/", {"amount": "1.50"})
    assert response.status_code == 302
    refund = GatewayRefund.objects.get()
    assert (refund.amount, refund.status, refund.recorded) == (Decimal("1.50"), "done", True)
    bad = admin_client.post(f"/admin/billing/payment/{paid.pk}/refund-through-gateway/", {"amount": "1e999999"})
    assert bad.status_code == 200 and GatewayRefund.objects.count() == 1


def test_held_payment_apply_and_dismiss_pages(fake, admin_client, starter, client_account, now):
    order = order_checkout(client_account, starter, now=now)
    co, _ = checkout_start(
        client_id=client_account.pk, invoice_id=order.invoice.pk, gateway="fake", save_method=False, now=LATER
    )
    FakeGateway.pay(co.provider_ref, amount=Decimal("1.00"))
    checkout_return(client_id=client_account.pk, reference=co.reference, now=LATER)
    held = HeldPayment.objects.get()
    page = admin_client.get(f"/admin/payments/heldpayment/{held.pk}/change/")
    assert b"Apply to invoice" in page.content
    response = admin_client.post(f"/admin/payments/heldpayment/{held.pk}/apply/", {"invoice": order.invoice.pk})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == "applied" and Payment.objects.get().amount == Decimal("1.00")
    again = admin_client.post(f"/admin/payments/heldpayment/{held.pk}/dismiss/", {})
    assert again.status_code == 200
    held.refresh_from_db()
    assert held.status == "applied"


def test_logs_are_read_only(fake, paid, admin_client):
    for url in ("webhookevent", "checkout", "autocharge", "gatewayrefund", "savedpaymentmethod", "heldpayment"):
        assert admin_client.get(f"/admin/payments/{url}/").status_code == 200
    assert admin_client.get("/admin/payments/webhookevent/add/").status_code == 403
