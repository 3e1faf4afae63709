"""Other services: products offered with a product are placed as separate orders, each with its own
invoice and service, in the same checkout (issue 13, item 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from moorage.billing.actions import credit_add
from moorage.billing.models import Invoice
from moorage.clientarea import cart
from moorage.core.errors import DomainError
from moorage.orders.actions import CartItem, order_checkout, order_groups
from moorage.orders.models import Order
from moorage.services.models import Service
from tests import factories
from tests.factories import invoice_lines
from tests.product_form import inline_management_data

D = dt.date


@pytest.fixture
def ssl(shared_page):  # noqa: ANN001, ANN201
    return factories.product(
        shared_page, name="SSL Certificate", prices={"annually": "20.00", "biennially": "35.00"}, setup_fee="5.00"
    )


@pytest.fixture
def backup(shared_page):  # noqa: ANN001, ANN201
    return factories.product(
        shared_page, name="Backup", prices={"one_time": "3.00"}, price_type="one_time", hostname_required=False
    )


@pytest.fixture
def hosting(shared_page, ssl, backup):  # noqa: ANN001, ANN201
    product = shared_page.products.get(code="starter")
    product.other_products.set([ssl, backup])
    return product


def _cart(hosting, ssl, backup) -> list[CartItem]:  # noqa: ANN001
    return [
        CartItem(hosting.pk, "monthly", "example.com"),
        CartItem(ssl.pk, "annually", "example.com", separate_order=True),
        CartItem(backup.pk, "one_time", "", separate_order=True),
    ]


def test_order_groups():
    items = [CartItem(1), CartItem(2, separate_order=True), CartItem(3), CartItem(4, separate_order=True)]
    assert order_groups(items) == [[0, 2], [1], [3]]
    assert order_groups([CartItem(2, separate_order=True), CartItem(4, separate_order=True)]) == [[0], [1]]


def test_each_other_service_is_its_own_order_with_its_own_invoice(hosting, ssl, backup, client_account, now):
    main = order_checkout(client=client_account, items=_cart(hosting, ssl, backup), now=now, checkout_key="k1")

    assert main.parent is None and main.checkout_key == "k1"
    assert [i.product for i in main.items.all()] == [hosting]
    others = list(main.separate_orders.order_by("number"))
    assert [(o.number, o.parent_id, o.checkout_key, o.status) for o in others] == [
        (2, main.pk, None, "pending"),
        (3, main.pk, None, "pending"),
    ]
    assert [[i.product for i in o.items.all()] for o in others] == [[ssl], [backup]]
    # Three invoices, one per order, each billing only its own service.
    assert invoice_lines(main.invoice) == [
        ("service", "Starter Hosting - example.com", "4.99", "monthly", D(2026, 1, 15), D(2026, 2, 14)),
    ]
    assert invoice_lines(others[0].invoice) == [
        ("service", "SSL Certificate - example.com", "20.00", "annually", D(2026, 1, 15), D(2027, 1, 14)),
        ("setup", "Setup fee: SSL Certificate", "5.00", "", None, None),
    ]
    assert invoice_lines(others[1].invoice) == [("one_time", "Backup", "3.00", "one_time", D(2026, 1, 15), None)]
    assert len({main.invoice_id, others[0].invoice_id, others[1].invoice_id}) == 3
    services = Service.objects.filter(client=client_account).order_by("pk")
    assert [(s.product, s.status, s.order_item.order) for s in services] == [
        (hosting, "pending", main),
        (ssl, "pending", others[0]),
        (backup, "pending", others[1]),
    ]


def test_the_same_checkout_twice_makes_one_set_of_orders(hosting, ssl, backup, client_account, now):
    first = order_checkout(client=client_account, items=_cart(hosting, ssl, backup), now=now, checkout_key="again")
    second = order_checkout(client=client_account, items=_cart(hosting, ssl, backup), now=now, checkout_key="again")
    assert second.pk == first.pk
    assert Order.objects.count() == 3
    assert Invoice.objects.count() == 3
    assert Service.objects.count() == 3


def test_a_cart_of_other_services_alone(hosting, ssl, backup, client_account, now):
    items = _cart(hosting, ssl, backup)[1:]
    main = order_checkout(client=client_account, items=items, now=now, checkout_key="only")
    assert [i.product for i in main.items.all()] == [ssl]
    assert main.parent is None and main.checkout_key == "only"
    assert [[i.product for i in o.items.all()] for o in main.separate_orders.all()] == [[backup]]


def test_one_refused_item_places_no_order_at_all(hosting, ssl, backup, client_account, now, unchanged):
    ssl.stock_enabled, ssl.stock = True, 0
    ssl.save()
    with unchanged(), pytest.raises(DomainError) as err:
        order_checkout(client=client_account, items=_cart(hosting, ssl, backup), now=now)
    assert err.value.code == "out_of_stock"


def test_a_bad_cycle_of_an_other_service_names_its_item(hosting, ssl, backup, client_account, now, unchanged):
    items = _cart(hosting, ssl, backup)
    items[1] = CartItem(ssl.pk, "monthly", "example.com", separate_order=True)
    with unchanged(), pytest.raises(DomainError) as err:
        order_checkout(client=client_account, items=items, now=now)
    assert (err.value.field, err.value.code) == ("items[1].cycle", "invalid_cycle")


def test_credit_pays_the_orders_in_turn(hosting, ssl, backup, client_account, now):
    credit_add(client=client_account, amount=Decimal("10.00"), reason="goodwill", now=now, actor=None)
    main = order_checkout(client=client_account, items=_cart(hosting, ssl, backup), now=now)
    ssl_order, backup_order = main.separate_orders.order_by("number")
    main.invoice.refresh_from_db()
    ssl_order.invoice.refresh_from_db()
    backup_order.invoice.refresh_from_db()
    # 4.99 pays the hosting; the 5.01 left goes to the SSL order (25.00, part paid); nothing is left.
    assert main.invoice.status == "paid"
    assert ssl_order.invoice.status == "unpaid"
    assert backup_order.invoice.status == "unpaid"
    main.refresh_from_db()
    assert main.status == "active"
    assert main.items.get().service.status == "active"
    assert ssl_order.items.get().service.status == "pending"


def test_a_free_other_service_is_settled_as_placed(hosting, shared_page, client_account, now):
    free = factories.product(shared_page, name="Free DNS", prices={}, price_type="free", hostname_required=False)
    hosting.other_products.add(free)
    main = order_checkout(
        client=client_account,
        items=[CartItem(hosting.pk, "monthly", "example.com"), CartItem(free.pk, "", "", separate_order=True)],
        now=now,
    )
    other = main.separate_orders.get()
    assert other.invoice is None and other.status == "active"
    assert other.items.get().service.status == "active"
    assert main.status == "pending"


def test_deleting_the_main_order_leaves_the_others(hosting, ssl, backup, client_account, now):
    from moorage.orders.deletion import order_delete

    main = order_checkout(client=client_account, items=_cart(hosting, ssl, backup), now=now)
    order_delete(order_id=main.pk, terminate_accounts=False, now=now, actor=None)
    assert list(Order.objects.values_list("number", "parent")) == [(3, None), (2, None)]


# --- The client area: the configure page's Other services section, the cart, the order-complete page. ---


@pytest.fixture
def signed_in(client, client_account, settings):  # noqa: ANN001, ANN201
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"
    client.force_login(client_account.user)
    return client


def _configure(signed_in, hosting, **data):  # noqa: ANN001, ANN003, ANN202
    return signed_in.post(
        reverse("clientarea:product", args=[hosting.pk]), {"cycle": "monthly", "hostname": "example.com", **data}
    )


def test_the_configure_page_offers_the_other_services_with_their_prices(signed_in, hosting, ssl, backup):
    page = signed_in.get(reverse("clientarea:product", args=[hosting.pk])).content.decode()
    assert 'data-testid="other-services"' in page
    assert f'name="other_{ssl.pk}"' in page and f'name="other_{ssl.pk}_cycle"' in page
    assert "SSL Certificate" in page and "20.00" in page and "35.00" in page
    assert f'name="other_{backup.pk}"' in page and "3.00" in page
    assert f'name="other_{backup.pk}_cycle"' not in page  # one-time: no cycle to choose


def test_a_hidden_product_is_not_offered(signed_in, hosting, ssl, backup):
    ssl.visible = False
    ssl.save()
    page = signed_in.get(reverse("clientarea:product", args=[hosting.pk])).content.decode()
    assert f'name="other_{ssl.pk}"' not in page
    response = _configure(signed_in, hosting, **{f"other_{ssl.pk}": "1", f"other_{ssl.pk}_cycle": "annually"})
    assert response.status_code == 200
    assert cart.items(signed_in.session) == []


def test_chosen_other_services_go_into_the_cart_as_separate_items(signed_in, hosting, ssl, backup):
    response = _configure(
        signed_in, hosting, **{f"other_{ssl.pk}": "1", f"other_{ssl.pk}_cycle": "biennially", f"other_{backup.pk}": "1"}
    )
    assert response.status_code == 302
    assert cart.items(signed_in.session) == [
        CartItem(hosting.pk, "monthly", "example.com"),
        # Other services in the staff's order (sort order, then name).
        CartItem(backup.pk, "one_time", "", separate_order=True),
        CartItem(ssl.pk, "biennially", "example.com", separate_order=True),
    ]


@pytest.mark.parametrize(
    "posted",
    [
        lambda ssl, backup, hosting: {f"other_{hosting.pk}": "1"},  # itself
        lambda ssl, backup, hosting: {"other_999999": "1"},  # not offered
        lambda ssl, backup, hosting: {"other_abc": "1"},
        lambda ssl, backup, hosting: {f"other_{ssl.pk}": "1", f"other_{ssl.pk}_cycle": "monthly"},
        lambda ssl, backup, hosting: {f"other_{ssl.pk}": "1", f"other_{ssl.pk}_cycle": "<script>"},
    ],
)
def test_a_tampered_choice_is_refused_and_nothing_is_added(signed_in, hosting, ssl, backup, posted):
    response = _configure(signed_in, hosting, **posted(ssl, backup, hosting))
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()
    assert cart.items(signed_in.session) == []


def test_an_other_service_that_cannot_be_ordered_is_named(signed_in, hosting, ssl, backup):
    ssl.stock_enabled, ssl.stock = True, 0
    ssl.save()
    response = _configure(signed_in, hosting, **{f"other_{ssl.pk}": "1", f"other_{ssl.pk}_cycle": "annually"})
    assert response.status_code == 200
    assert "SSL Certificate: SSL Certificate is out of stock" in response.content.decode()
    assert cart.items(signed_in.session) == []


def test_checkout_then_the_order_complete_page_lists_the_other_orders(signed_in, hosting, ssl, backup, client_account):
    _configure(signed_in, hosting, **{f"other_{ssl.pk}": "1", f"other_{ssl.pk}_cycle": "annually"})
    response = signed_in.post(reverse("clientarea:checkout"), {"notes": ""})
    assert response.status_code == 302
    main = Order.objects.get(client=client_account, parent=None)
    assert response.url == reverse("clientarea:order_complete", args=[main.number])
    other = main.separate_orders.get()
    page = signed_in.get(response.url).content.decode()
    assert 'data-testid="separate-orders"' in page
    assert f"#{other.display_number}" in page and f"#{other.invoice.display_number}" in page
    assert "SSL Certificate" in page
    # A second submit of the same cart (double click) makes nothing more.
    signed_in.post(reverse("clientarea:checkout"), {"notes": ""})
    assert Order.objects.filter(client=client_account).count() == 2


def test_another_clients_order_complete_page_is_not_found(signed_in, hosting, ssl, backup, now):
    stranger = factories.client(now=now, email="stranger@example.com")
    main = order_checkout(client=stranger, items=_cart(hosting, ssl, backup), now=now)
    for number in (main.number, main.separate_orders.first().number):
        assert signed_in.get(reverse("clientarea:order_complete", args=[number])).status_code == 404


def test_staff_set_other_services_on_the_product_page(client, staff, hosting, ssl, backup):
    client.force_login(staff)
    url = reverse("admin:catalog_product_change", args=[hosting.pk])
    page = client.get(url).content.decode()
    assert 'name="other_products"' in page


def test_staff_save_other_services_from_the_product_form(client, staff, shared_page, ssl, backup):
    client.force_login(staff)
    data = {
        "order_page": shared_page.pk,
        "name": "Custom",
        "code": "cus",
        "visible": "on",
        "sort_order": 0,
        "price_type": "recurring",
        "billing_type": "prepaid",
        "auto_create": "on_payment",
        "adjust_initial_period": "unknown",
        "stock": 0,
        "hostname_required": "on",
        "hostname_validation": "domain",
        "other_products": [ssl.pk, backup.pk],
        "prices-TOTAL_FORMS": 1,
        "prices-INITIAL_FORMS": 0,
        "prices-MIN_NUM_FORMS": 0,
        "prices-MAX_NUM_FORMS": 1000,
        "prices-0-cycle": "monthly",
        "prices-0-amount": "5.00",
        "prices-0-setup_fee": "0",
        "prices-0-upgrade_fee": "0",
        **inline_management_data(),
    }
    response = client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    product = shared_page.products.get(code="cus")
    assert set(product.other_products.all()) == {ssl, backup}
    # The product page does not offer the product itself.
    page = client.get(reverse("admin:catalog_product_change", args=[product.pk])).content.decode()
    assert f'<option value="{product.pk}"' not in page.split('name="other_products"')[1].split("</select>")[0]
