"""In a real browser: a visitor registers accepting the terms (with Image Verification), applies a
promotional code in the cart, accepts the product's contract at checkout, and finds it under Contracts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from moorage.contracts.actions import contract_version_add
from moorage.contracts.models import Acceptance, ContractTemplate, ProductContract
from moorage.orders.models import Order
from moorage.promotions.models import PromoCode
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Visit0r-Passw0rd!"


def test_terms_captcha_promo_code_and_contract_in_the_browser(live_server, page, settings, monkeypatch, shot, now):
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    settings.MOORAGE_CAPTCHA = True
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)
    shared = factories.shared_page()
    starter = shared.products.get(name="Starter Hosting")
    tos = ContractTemplate.objects.create(name="Terms of Service", code="tos", terms=True, created_at=now)
    contract_version_add(template_id=tos.pk, text="Our rules.", publish=True, now=now, actor=None)
    hosting = ContractTemplate.objects.create(name="Hosting terms", code="hosting", created_at=now)
    contract_version_add(template_id=hosting.pk, text="No spam, please.", publish=True, now=now, actor=None)
    ProductContract.objects.create(product=starter, template=hosting)
    PromoCode.objects.create(code="WELCOME", value=Decimal("20"), created_at=now)
    base = live_server.url

    page.goto(f"{base}/register/")
    page.fill("#id_email", "vera@example.com")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_first_name", "Vera")
    page.fill("#id_last_name", "Visitor")
    page.fill("#id_address1", "12 Harbour Road")
    page.fill("#id_city", "Hamburg")
    page.fill("#id_zip_code", "20457")
    page.fill("#id_country", "DE")
    assert page.locator("img.captcha").is_visible()
    page.fill("#id_captcha_1", "PASSED")
    page.get_by_role("button", name="Create account").click()
    assert "Please read and accept the terms" in page.locator(".field.has-error").inner_text()
    page.get_by_text("Terms of Service").first.click()  # unfold the text
    assert page.get_by_text("Our rules.").is_visible()
    page.check("#id_accept_terms")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_captcha_1", "PASSED")
    shot(page, "contracts-01-register")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/order/product/{starter.pk}/")
    page.fill("#id_hostname", "vera.example")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{base}/cart/")
    page.get_by_text("Use promotional code").click()
    page.fill("#id_promo_code", "nope")
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_text("The promotional code nope does not exist").is_visible()
    page.get_by_text("Use promotional code").click()
    page.fill("#id_promo_code", "welcome")
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_test_id("cart-total").inner_text() == "3.99 USD"
    assert "Promotional code WELCOME: 20% off" in page.get_by_test_id("cart-discount").inner_text()
    shot(page, "contracts-02-cart")

    page.get_by_role("link", name="Checkout").click()
    page.wait_for_url(f"{base}/checkout/")
    page.fill("#id_captcha_1", "PASSED")
    page.get_by_role("button", name="Confirm order").click()
    assert "Please read and accept Hosting terms" in page.locator(".alert-error, .has-error").first.inner_text()
    page.get_by_text("Hosting terms").first.click()
    assert page.get_by_text("No spam, please.").is_visible()
    page.check("#id_accept_contracts")
    page.fill("#id_captcha_1", "PASSED")
    shot(page, "contracts-03-checkout")
    page.get_by_role("button", name="Confirm order").click()
    page.wait_for_url(re.compile(r"/orders/\d+/complete/"))

    order = Order.objects.get(client__user__email="vera@example.com")
    assert order.invoice.total == Decimal("3.99")
    assert sorted(Acceptance.objects.values_list("kind", "version__template__code")) == [
        ("contract", "hosting"),
        ("terms", "tos"),
    ]
    service = order.items.get().service
    page.goto(f"{base}/services/{service.pk}/")
    page.get_by_test_id("fn-contracts").click()
    assert "Hosting terms" in page.get_by_test_id("service-contracts").inner_text()
    assert "Terms of Service" in page.get_by_test_id("terms-acceptances").inner_text()
    shot(page, "contracts-04-contracts")
