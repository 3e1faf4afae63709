"""The cart's promotional code: apply, see the discount line, be told why not, check out with it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from moorage.billing.models import Invoice
from moorage.clientarea import cart
from moorage.orders.models import Order
from moorage.promotions.models import PromoCode, Redemption
from tests import factories

pytestmark = pytest.mark.django_db

CART = reverse("clientarea:cart")
CHECKOUT = reverse("clientarea:checkout")
APPLY = reverse("clientarea:cart_promo")
REMOVE = reverse("clientarea:cart_promo_remove")


def add(client, product, cycle="monthly", hostname="example.com"):  # noqa: ANN001, ANN201
    return client.post(reverse("clientarea:product", args=[product.pk]), {"cycle": cycle, "hostname": hostname})


def said(response) -> str:  # noqa: ANN001
    """The last message the response left (earlier ones may be from adding to the cart)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_a_valid_code_shows_its_discount_line_and_total(client, starter, make_code, test_clock):
    make_code("SAVE10")
    add(client, starter)
    page = client.get(CART).content.decode()
    assert "Use promotional code" in page and 'name="code"' in page

    response = client.post(APPLY, {"code": "  save10 "})
    assert response["Location"] == CART
    assert said(response) == "The promotional code save10 was applied."
    assert client.session[cart.PROMO_KEY] == "save10"
    page = client.get(CART).content.decode()
    assert 'data-testid="cart-discount"' in page and "Promotional code SAVE10: 10% off" in page
    assert "-0.50" in page
    assert 'data-testid="cart-total">4.49' in page


def test_a_refused_code_says_why_and_is_not_kept(client, starter, make_code, test_clock):
    make_code("OLD", valid_until=dt.date(2025, 12, 31))
    add(client, starter)
    response = client.post(APPLY, {"code": "OLD"})
    assert said(response) == "The promotional code OLD expired on Dec. 31, 2025"
    assert cart.PROMO_KEY not in client.session
    response = client.post(APPLY, {"code": "NOPE"})
    assert said(response) == "The promotional code NOPE does not exist"
    assert 'data-testid="cart-total">4.99' in client.get(CART).content.decode()


def test_an_empty_cart_or_code_is_refused(client, make_code, starter, test_clock):
    make_code("SAVE10")
    assert said(client.post(APPLY, {"code": "SAVE10"})) == "Your cart is empty."
    add(client, starter)
    assert said(client.post(APPLY, {"code": "   "})) == "Enter a promotional code."
    assert client.get(APPLY).status_code == 405


def test_the_code_can_be_removed(client, starter, make_code, test_clock):
    make_code("SAVE10")
    add(client, starter)
    client.post(APPLY, {"code": "SAVE10"})
    client.post(REMOVE)
    assert cart.PROMO_KEY not in client.session
    assert "cart-discount" not in client.get(CART).content.decode()


def test_a_code_that_stops_applying_says_so_in_the_cart_and_at_checkout(
    signed_in, client_account, starter, shared_page, make_code
):
    other = factories.product(shared_page, name="Other")
    make_code("STARTER", products=[starter])
    add(signed_in, starter)
    signed_in.post(APPLY, {"code": "STARTER"})
    signed_in.post(reverse("clientarea:cart_remove", args=[0]))
    add(signed_in, other)
    page = signed_in.get(CART).content.decode()
    assert 'data-testid="promo-error"' in page and "not for the products in your cart" in page
    response = signed_in.post(CHECKOUT, {})
    assert response.status_code == 200 and "not for the products in your cart" in response.content.decode()
    assert not Order.objects.exists() and not Invoice.objects.exists()


def test_checkout_with_the_code_writes_the_discount_and_counts_a_use(signed_in, client_account, starter, make_code):
    make_code("SAVE10", max_uses=5)
    add(signed_in, starter)
    signed_in.post(APPLY, {"code": "SAVE10"})
    page = signed_in.get(CHECKOUT).content.decode()
    assert "Promotional code SAVE10: 10% off" in page and 'data-testid="cart-total">4.49' in page
    assert signed_in.post(CHECKOUT, {}).status_code == 302
    order = Order.objects.get()
    assert order.invoice.total == Decimal("4.49")
    assert PromoCode.objects.get().uses == 1 and Redemption.objects.get().order_id == order.pk
    assert cart.PROMO_KEY not in signed_in.session


def test_guessing_codes_is_throttled(client, starter, make_code, test_clock):
    make_code("REAL")
    add(client, starter)
    for i in range(20):
        client.post(APPLY, {"code": f"GUESS{i}"})
    assert said(client.post(APPLY, {"code": "REAL"})) == "Too many wrong promotional codes; please try again later."
    assert cart.PROMO_KEY not in client.session


def test_staff_create_a_code_and_see_its_uses(client, staff, starter, now):
    client.force_login(staff)
    response = client.post(
        reverse("admin:promotions_promocode_add"),
        {
            "code": "Spring26",
            "kind": "percent",
            "value": "15",
            "applies": "recurring",
            "products": [str(starter.pk)],
            "cycles": ["monthly", "annually"],
            "valid_from": "2026-03-01",
            "valid_until": "2026-05-31",
            "max_uses": "100",
            "active": "on",
            "redemptions-TOTAL_FORMS": "0",
            "redemptions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    promo = PromoCode.objects.get()
    assert (promo.cycles, list(promo.products.all()), promo.uses) == (["monthly", "annually"], [starter], 0)
    dup = client.post(
        reverse("admin:promotions_promocode_add"),
        {"code": "SPRING26", "kind": "fixed", "value": "5", "applies": "first_invoice", "active": "on"},
    )
    assert dup.status_code == 200 and "codes ignore case" in dup.content.decode()
    bad = client.post(
        reverse("admin:promotions_promocode_add"),
        {"code": "bad code!", "kind": "percent", "value": "150", "applies": "first_invoice"},
    )
    page = bad.content.decode()
    assert bad.status_code == 200 and "Letters A–Z" in page and "A percentage is at most 100" in page
    assert client.get(reverse("admin:promotions_promocode_changelist")).status_code == 200
    PromoCode.objects.filter(pk=promo.pk).update(uses=7)
    client.post(
        reverse("admin:promotions_promocode_change", args=[promo.pk]),
        {
            "code": "Spring26",
            "kind": "percent",
            "value": "20",
            "applies": "recurring",
            "products": [str(starter.pk)],
            "active": "on",
            "redemptions-TOTAL_FORMS": "0",
            "redemptions-INITIAL_FORMS": "0",
        },
    )
    promo.refresh_from_db()
    assert (promo.value, promo.uses) == (Decimal("20.00"), 7)  # the form never writes back `uses`
