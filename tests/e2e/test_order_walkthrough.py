"""The "Test order" walk-through in a real browser: a visitor registers, orders Starter Hosting
monthly with a hostname, checks out and sees the order number; staff record the bank transfer;
the client's service is then active with the right dates."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from moorage.orders.models import Order
from moorage.services.models import Service
from tests import factories
from tests.e2e.staff import record_payment_as_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "visitor@example.com"
PASSWORD = "Visit0r-Passw0rd!"


def test_visitor_registers_orders_and_is_activated_after_payment(live_server, page, staff_page, settings, shot):
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    factories.shared_page()
    base = live_server.url

    # Browse the catalog as a visitor.
    page.goto(f"{base}/order/")
    assert page.get_by_text("Test clock").is_visible()
    shot(page, "01-order-pages")
    page.get_by_role("link", name=re.compile("Shared Hosting")).click()
    starter = page.locator("article.plan", has_text="Starter Hosting")
    assert "4.99 USD" in starter.inner_text()
    shot(page, "02-order-page")
    starter.get_by_role("link", name="Order now").click()

    # Configure: monthly, with a hostname; a bad hostname first.
    page.select_option("#id_cycle", "monthly")
    page.fill("#id_hostname", "bad host name")
    page.get_by_role("button", name="Add to cart").click()
    assert "not a valid DNS label" in page.locator(".field.has-error").inner_text()
    page.fill("#id_hostname", "my-first-site.com")
    shot(page, "03-configure")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{base}/cart/")
    assert "my-first-site.com" in page.locator(".cart-table").inner_text()
    assert page.get_by_test_id("cart-total").inner_text() == "4.99 USD"
    shot(page, "04-cart")

    # Checkout as a visitor: sent to sign in, registers, comes back to the cart.
    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url(re.compile(r"/login/\?next=/cart/"))
    shot(page, "05-login")
    page.get_by_role("link", name="Create an account").click()
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_first_name", "Vera")
    page.fill("#id_last_name", "Visitor")
    page.fill("#id_address1", "12 Harbour Road")
    page.fill("#id_city", "Hamburg")
    page.fill("#id_zip_code", "20457")
    page.fill("#id_country", "DE")
    shot(page, "05-register")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base}/cart/")
    assert "my-first-site.com" in page.locator(".cart-table").inner_text()

    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url(f"{base}/checkout/")
    page.fill("#id_notes", "First site, thanks!")
    shot(page, "06-checkout")
    page.get_by_role("button", name="Confirm order").click()
    page.wait_for_url(re.compile(r"/orders/\d+/complete/"))
    number = page.get_by_test_id("order-number").inner_text()
    shot(page, "06b-order-complete")

    order = Order.objects.get(client__user__email=EMAIL)
    assert number == order.display_number
    item = order.items.get()
    assert (item.product.name, item.cycle, item.hostname) == (
        "Starter Hosting",
        "monthly",
        "my-first-site.com",
    )
    assert order.invoice.total == Decimal("4.99")

    # The invoice is waiting for the bank transfer.
    page.get_by_role("link", name=f"View invoice #{order.invoice.display_number}").click()
    assert page.get_by_test_id("invoice-status").inner_text() == "Unpaid"
    assert f"Invoice {order.invoice.display_number}" in page.locator(".pay-card").inner_text()
    shot(page, "07-invoice-unpaid")

    how = record_payment_as_staff(staff_page, base, order.invoice, shot)

    # The client sees the service active, started on the order date, next due a month later.
    service = item.service
    page.goto(f"{base}/services/{service.pk}/")
    assert page.get_by_test_id("service-status").inner_text() == "Active", how
    assert page.get_by_test_id("start-date").inner_text() == "2026-01-15"
    assert page.get_by_test_id("next-due-date").inner_text() == "2026-02-15"
    assert page.get_by_test_id("expiry-date").inner_text() == "2026-02-14"
    shot(page, "08-service-active")
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE

    page.goto(f"{base}/invoices/{order.invoice.number}/")
    assert page.get_by_test_id("invoice-status").inner_text() == "Paid"
    assert "BANK-2026-0001" in page.locator(".invoice-doc").inner_text()
    shot(page, "09-invoice-paid")

    page.goto(f"{base}/")
    shot(page, "10-dashboard")
