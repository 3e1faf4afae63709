"""Ordering in the client area: order pages → product → configure → cart → checkout → done."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from moorage.billing.models import Invoice
from moorage.catalog.actions import order_page_create
from moorage.catalog.models import OrderPage, Product
from moorage.clientarea import cart
from moorage.orders.actions import CartItem, order_checkout
from moorage.orders.models import Order
from moorage.services.models import Service
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

CART = reverse("clientarea:cart")
CHECKOUT = reverse("clientarea:checkout")


def configure_url(product: Product) -> str:
    return reverse("clientarea:product", args=[product.pk])


def cart_items(client) -> list[dict]:  # noqa: ANN001
    return client.session.get(cart.SESSION_KEY, [])


def add(client, product, cycle="monthly", hostname="example.com"):  # noqa: ANN001, ANN201
    return client.post(configure_url(product), {"cycle": cycle, "hostname": hostname})


# --- browsing ------------------------------------------------------------------------------------


def test_order_index_lists_visible_pages(client, shared_page, now):
    order_page_create(name="Secret Plans", now=now, actor=None, visible=False)
    page = client.get(reverse("clientarea:order")).content.decode()
    assert "Shared Hosting" in page
    assert "Secret Plans" not in page


def test_order_page_shows_products_with_prices_per_cycle(client, shared_page, starter):
    factories.product(
        shared_page,
        name="Setup Plan",
        prices={"monthly": "7.00", "quarterly": "20.00"},
        setup_fee="15.00",
    )
    Product.objects.filter(name="Ultimate Hosting").update(visible=False)

    page = client.get(reverse("clientarea:order_page", args=[shared_page.slug])).content.decode()

    assert "Starter Hosting" in page and "4.99 USD" in page and "49.90 USD" in page
    assert "Monthly" in page and "Annually" in page and "Quarterly" in page
    assert "15.00 USD setup" in page
    assert "Ultimate Hosting" not in page
    assert configure_url(starter) in page


def test_out_of_stock_product_cannot_be_chosen(client, shared_page):
    product = factories.product(shared_page, name="Rare Plan", stock_enabled=True, stock=0)
    page = client.get(reverse("clientarea:order_page", args=[shared_page.slug])).content.decode()
    assert "Out of stock" in page
    assert configure_url(product) not in page


def test_hidden_order_page_is_not_found(client, now):
    hidden = order_page_create(name="Hidden", now=now, actor=None, visible=False)
    assert client.get(reverse("clientarea:order_page", args=[hidden.slug])).status_code == 404


def test_page_with_subcategories(client, now):
    parent = order_page_create(name="VPS", now=now, actor=None, contains=OrderPage.Contains.SUBCATEGORIES)
    sub = order_page_create(name="SSD VPS", now=now, actor=None, parent=parent)
    factories.product(sub, name="VPS S")
    order_page_create(name="Old VPS", now=now, actor=None, parent=parent, visible=False)

    page = client.get(reverse("clientarea:order_page", args=[parent.slug])).content.decode()
    assert "SSD VPS" in page and "Old VPS" not in page
    page = client.get(reverse("clientarea:order_page", args=[sub.slug])).content.decode()
    assert "VPS S" in page


# --- configure and cart --------------------------------------------------------------------------


def test_configure_page_offers_the_products_cycles(client, starter):
    response = client.get(configure_url(starter))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<option value="monthly" selected>Monthly — 4.99 USD</option>' in page
    assert '<option value="annually">Annually — 49.90 USD</option>' in page
    assert 'name="hostname"' in page and "A domain name, such as example.com" in page


def test_add_to_cart_and_totals(client, starter, shared_page):
    business = shared_page.products.get(name="Business Hosting")
    response = add(client, starter, hostname="Example.COM")
    assert response["Location"] == CART
    add(client, business, cycle="annually", hostname="shop.example")

    assert cart_items(client) == [
        {"product_id": starter.pk, "cycle": "monthly", "hostname": "example.com"},
        {"product_id": business.pk, "cycle": "annually", "hostname": "shop.example"},
    ]
    response = client.get(CART)
    page = response.content.decode()
    assert "Starter Hosting" in page and "Business Hosting" in page and "shop.example" in page
    assert response.context["totals"]["total"] == Decimal("104.89")
    assert "104.89 USD" in page


def test_remove_from_cart(client, starter, shared_page):
    add(client, starter)
    add(client, shared_page.products.get(name="Premium Hosting"))
    client.post(reverse("clientarea:cart_remove", args=[0]))
    assert [i["product_id"] for i in cart_items(client)] == [shared_page.products.get(name="Premium Hosting").pk]
    assert client.get(reverse("clientarea:cart_remove", args=[0])).status_code == 405
    assert client.post(reverse("clientarea:cart_remove", args=[7])).status_code == 302  # nothing to remove


def test_hostname_failing_the_rule_is_a_form_error(client, starter):
    response = add(client, starter, hostname="not a host")
    assert response.status_code == 200
    errors = response.context["form"].errors["hostname"]
    assert errors[0].startswith("Hostname: ") and "not a valid DNS label" in errors[0]
    assert cart_items(client) == []


def test_fqdn_rule(client, shared_page):
    product = factories.product(shared_page, name="Server", hostname_validation="fqdn")
    response = add(client, product, hostname="example.com")
    assert "fully qualified" in response.context["form"].errors["hostname"][0]
    assert add(client, product, hostname="www.example.com").status_code == 302


def test_required_hostname(client, starter, shared_page):
    response = add(client, starter, hostname="")
    assert response.context["form"].errors["hostname"] == ["Starter Hosting needs a hostname"]
    optional = factories.product(shared_page, name="No Host", hostname_required=False)
    assert add(client, optional, hostname="").status_code == 302
    assert cart_items(client) == [{"product_id": optional.pk, "cycle": "monthly", "hostname": ""}]


def test_cycle_not_offered(client, starter):
    response = add(client, starter, cycle="weekly")
    assert response.context["form"].errors["cycle"]
    assert cart_items(client) == []


def test_hidden_product_cannot_be_ordered(client, shared_page, starter):
    Product.objects.filter(pk=starter.pk).update(visible=False)
    page = client.get(configure_url(starter)).content.decode()
    assert "Starter Hosting is not available for order" in page
    assert 'name="hostname"' not in page

    response = add(client, starter)
    assert "Starter Hosting is not available for order" in response.content.decode()
    assert cart_items(client) == []


def test_product_on_hidden_page_cannot_be_ordered(client, now):
    page = order_page_create(name="Hidden", now=now, actor=None, visible=False)
    product = factories.product(page, name="Ghost")
    assert "not available for order" in add(client, product).content.decode()
    assert cart_items(client) == []


def test_one_time_and_free_products_have_no_cycle(client, shared_page):
    once = factories.product(
        shared_page,
        name="Migration",
        price_type="one_time",
        prices={"one_time": "25.00"},
        hostname_required=False,
    )
    free = factories.product(shared_page, name="Trial", price_type="free", prices={}, hostname_required=False)
    assert "cycle" not in client.get(configure_url(once)).context["form"].fields
    client.post(configure_url(once), {"hostname": ""})
    client.post(configure_url(free), {"hostname": ""})
    assert [i["cycle"] for i in cart_items(client)] == ["one_time", "one_time"]
    assert client.get(CART).context["totals"]["total"] == Decimal("25.00")


def test_unknown_product_is_404(client, db):
    assert client.get(reverse("clientarea:product", args=[999999])).status_code == 404


# --- checkout ------------------------------------------------------------------------------------


def test_anonymous_checkout_goes_to_sign_in_and_back_to_the_cart(client, starter, client_account):
    add(client, starter)
    response = client.get(CHECKOUT)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('clientarea:login')}?next={CART}"

    login_page = client.get(response["Location"]).content.decode()
    assert 'name="next" value="/cart/"' in login_page
    assert f"{reverse('clientarea:register')}?next=/cart/" in login_page

    response = client.post(
        reverse("clientarea:login"),
        {"email": client_account.email, "password": PASSWORD, "next": CART},
    )
    assert response["Location"] == CART
    assert len(cart_items(client)) == 1  # the cart survives signing in


def test_checkout_creates_the_order_and_shows_its_number(signed_in, client_account, starter):
    add(signed_in, starter, hostname="mysite.example")
    page = signed_in.get(CHECKOUT).content.decode()
    assert "Confirm order" in page and "mysite.example" in page and "Bank / Wire Transfer" in page

    response = signed_in.post(CHECKOUT, {"notes": "Please hurry"})

    order = Order.objects.get(client=client_account)
    assert response["Location"] == reverse("clientarea:order_complete", args=[order.number])
    assert order.notes == "Please hurry" and order.ip_address == "127.0.0.1"
    assert order.invoice.total == Decimal("4.99")
    assert cart_items(signed_in) == []
    page = signed_in.get(response["Location"]).content.decode()
    assert order.display_number in page
    assert f"#{order.invoice.display_number}" in page
    assert "Pending" in page


def test_checkout_with_several_items(signed_in, client_account, starter, shared_page):
    add(signed_in, starter, hostname="one.example")
    add(
        signed_in,
        shared_page.products.get(name="Business Hosting"),
        cycle="annually",
        hostname="two.example",
    )
    signed_in.post(CHECKOUT, {"notes": ""})
    order = Order.objects.get(client=client_account)
    assert order.items.count() == 2
    assert order.invoice.total == Decimal("104.89")


def test_checkout_with_empty_cart(signed_in):
    assert signed_in.get(CHECKOUT)["Location"] == CART
    assert signed_in.post(CHECKOUT, {})["Location"] == CART
    assert not Order.objects.exists()


def test_out_of_stock_at_checkout(signed_in, shared_page):
    product = factories.product(shared_page, name="Last One", stock_enabled=True, stock=1)
    add(signed_in, product)
    add(signed_in, product, hostname="second.example")

    response = signed_in.post(CHECKOUT, {})

    assert response.status_code == 200
    assert "Last One is out of stock" in response.content.decode()
    assert not Order.objects.exists() and not Invoice.objects.exists()
    product.refresh_from_db()
    assert product.stock == 1
    assert len(cart_items(signed_in)) == 2


def test_limit_per_customer_at_checkout(signed_in, client_account, shared_page, now):
    product = factories.product(shared_page, name="Solo", limit_per_customer=1)
    order_checkout(client=client_account, items=[CartItem(product.pk, "monthly", "first.example")], now=now)
    add(signed_in, product, hostname="second.example")

    response = signed_in.post(CHECKOUT, {})

    assert "one customer may order at most 1 of Solo; you have 1" in response.content.decode()
    assert Order.objects.count() == 1
    assert Service.objects.filter(client=client_account).count() == 1


def test_item_that_became_hidden_blocks_checkout(signed_in, starter):
    add(signed_in, starter)
    Product.objects.filter(pk=starter.pk).update(visible=False)

    page = signed_in.get(CART).content.decode()
    assert "Starter Hosting is not available for order" in page
    assert f'href="{CHECKOUT}"' not in page

    response = signed_in.post(CHECKOUT, {})
    assert "Starter Hosting is not available for order" in response.content.decode()
    assert not Order.objects.exists()


def test_confirmation_of_another_clients_order_is_404(signed_in, other_order):
    url = reverse("clientarea:order_complete", args=[other_order.number])
    assert signed_in.get(url).status_code == 404


def test_staff_checkout_without_client_profile(client, staff, starter):
    client.force_login(staff)
    add(client, starter)
    assert client.get(CHECKOUT).status_code == 403
