"""Checkout: a cart becomes an order with its pending services and the first invoice."""

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.models import Invoice, LedgerEntry
from moorage.catalog.models import BillingDefaults, OrderPage, Product
from moorage.core.errors import DomainError
from moorage.core.models import AuditEntry
from moorage.customers.models import Client
from moorage.orders.actions import CartItem, order_checkout
from moorage.orders.models import Order
from moorage.services.models import Service, ServiceStatusChange
from tests import factories
from tests.factories import checkout, invoice_lines, ledger_rows

D = dt.date


def test_one_monthly_plan(starter, client_account, now, staff):
    order = checkout(client_account, starter, now=now, actor=staff)

    assert (order.number, order.status, order.client, order.created_at) == (
        1,
        "pending",
        client_account,
        now,
    )
    invoice = order.invoice
    assert (
        invoice.number,
        invoice.display_number,
        invoice.kind,
        invoice.status,
        invoice.currency,
    ) == (1, "000001", "order", "unpaid", "USD")
    assert (invoice.issue_date, invoice.due_date, invoice.total) == (
        D(2026, 1, 15),
        D(2026, 1, 15),
        Decimal("4.99"),
    )
    assert invoice_lines(invoice) == [
        (
            "service",
            "Starter Hosting - example.com",
            "4.99",
            "monthly",
            D(2026, 1, 15),
            D(2026, 2, 14),
        ),
    ]
    item = order.items.get()
    assert (item.product, item.cycle, item.hostname, item.amount, item.setup_fee) == (
        starter,
        "monthly",
        "example.com",
        Decimal("4.99"),
        Decimal("0.00"),
    )
    service = item.service
    assert (
        service.client,
        service.product,
        service.status,
        service.cycle,
        service.recurring_amount,
        service.hostname,
        service.created_at,
    ) == (client_account, starter, "pending", "monthly", Decimal("4.99"), "example.com", now)
    assert (service.start_date, service.anchor_date, service.next_due_date) == (None, None, None)
    assert invoice.lines.get().service == service
    assert list(ServiceStatusChange.objects.values_list("service", "from_status", "to_status", "reason", "actor")) == [
        (service.pk, "", "pending", "order 000001", staff.pk)
    ]
    assert ledger_rows(client_account) == [("receivable", "invoice_issued", "4.99", 1)]
    assert list(
        AuditEntry.objects.filter(action__in=["invoice_issue", "order_checkout"])
        .order_by("id")
        .values_list("action", "object_id", "data")
    ) == [
        ("invoice_issue", str(invoice.pk), {"total": "4.99", "kind": "order"}),
        ("order_checkout", str(order.pk), {"items": 1, "invoice": 1}),
    ]


def test_setup_fee_is_its_own_line(shared_page, client_account, now):
    plan = factories.product(shared_page, name="Plan", prices={"annually": "120.00"}, setup_fee="15.00")
    order = checkout(client_account, plan, cycle="annually", hostname="www.Example.org", now=now)
    assert invoice_lines(order.invoice) == [
        (
            "service",
            "Plan - www.example.org",
            "120.00",
            "annually",
            D(2026, 1, 15),
            D(2027, 1, 14),
        ),
        ("setup", "Setup fee: Plan", "15.00", "", None, None),
    ]
    assert order.invoice.total == Decimal("135.00")
    assert order.items.get().setup_fee == Decimal("15.00")
    assert ledger_rows(client_account) == [("receivable", "invoice_issued", "135.00", 1)]


def test_several_items_in_one_order(shared_page, starter, client_account, now):
    business = shared_page.products.get(code="business")
    plan = factories.product(
        shared_page,
        name="Weekly",
        prices={"weekly": "2.50"},
        setup_fee="1.00",
        hostname_required=False,
    )
    order = order_checkout(
        client=client_account,
        now=now,
        items=[
            CartItem(starter.pk, "monthly", "one.example.com"),
            CartItem(business.pk, "annually", "two.example.com"),
            CartItem(plan.pk, "weekly", ""),
        ],
    )
    assert invoice_lines(order.invoice) == [
        (
            "service",
            "Starter Hosting - one.example.com",
            "4.99",
            "monthly",
            D(2026, 1, 15),
            D(2026, 2, 14),
        ),
        (
            "service",
            "Business Hosting - two.example.com",
            "99.90",
            "annually",
            D(2026, 1, 15),
            D(2027, 1, 14),
        ),
        (
            "service",
            "Weekly",
            "2.50",
            "weekly",
            D(2026, 1, 15),
            D(2026, 1, 21),
        ),
        ("setup", "Setup fee: Weekly", "1.00", "", None, None),
    ]
    assert order.invoice.total == Decimal("108.39")
    services = [item.service for item in order.items.order_by("id")]
    assert [(s.product.name, s.cycle, s.hostname, s.status) for s in services] == [
        ("Starter Hosting", "monthly", "one.example.com", "pending"),
        ("Business Hosting", "annually", "two.example.com", "pending"),
        ("Weekly", "weekly", "", "pending"),
    ]
    assert (Order.objects.count(), Invoice.objects.count(), Service.objects.count()) == (1, 1, 3)
    assert ledger_rows(client_account) == [("receivable", "invoice_issued", "108.39", 1)]


def test_order_and_invoice_numbers_are_sequential(starter, client_account, now):
    other = factories.client()
    numbers = [
        (o.number, o.invoice.number)
        for o in (
            checkout(client_account, starter, now=now),
            checkout(other, starter, now=now),
            checkout(client_account, starter, hostname="b.example.com", now=now),
        )
    ]
    assert numbers == [(1, 1), (2, 2), (3, 3)]


def test_first_invoice_due_days_of_the_product(starter, client_account, now):
    starter.first_invoice_due_days = 7
    starter.save()
    assert checkout(client_account, starter, now=now).invoice.due_date == D(2026, 1, 22)


def test_first_invoice_due_days_from_the_billing_defaults(starter, client_account, now):
    defaults = BillingDefaults.load()
    defaults.first_invoice_due_days = 3
    defaults.save()
    assert checkout(client_account, starter, now=now).invoice.due_date == D(2026, 1, 18)
    starter.first_invoice_due_days = 0  # the product's own 0 wins over the default
    starter.save()
    assert checkout(client_account, starter, hostname="b.example.com", now=now).invoice.due_date == D(2026, 1, 15)


def test_first_invoice_of_several_items_is_due_at_the_earliest(shared_page, starter, client_account, now):
    business = shared_page.products.get(code="business")
    starter.first_invoice_due_days, business.first_invoice_due_days = 10, 4
    starter.save()
    business.save()
    order = order_checkout(
        client=client_account,
        now=now,
        items=[
            CartItem(starter.pk, "monthly", "a.example.com"),
            CartItem(business.pk, "monthly", "b.example.com"),
        ],
    )
    assert order.invoice.due_date == D(2026, 1, 19)


def test_free_product_has_no_invoice_and_is_active_at_once(shared_page, client_account, now):
    free = factories.product(shared_page, name="Free Trial", prices={}, price_type="free")
    order = checkout(client_account, free, cycle="", now=now)
    assert (order.status, order.invoice) == ("active", None)
    service = order.items.get().service
    assert (
        service.status,
        service.cycle,
        service.recurring_amount,
        service.start_date,
        service.next_due_date,
    ) == ("active", "one_time", Decimal("0.00"), D(2026, 1, 15), None)
    assert list(service.status_changes.values_list("from_status", "to_status")) == [
        ("", "pending"),
        ("pending", "active"),
    ]
    assert ledger_rows(client_account) == []
    assert not Invoice.objects.exists()


def test_free_product_with_a_module_waits_for_provisioning(shared_page, client_account, now):
    free = factories.product(shared_page, name="Free", prices={}, price_type="free", module="ispmanager")
    order = checkout(client_account, free, cycle="", now=now)
    service = order.items.get().service
    assert (order.status, service.status, service.start_date) == (
        "active",
        "pending",
        D(2026, 1, 15),
    )


def test_a_zero_priced_plan_is_settled_as_placed(shared_page, client_account, now):
    plan = factories.product(shared_page, name="Zero", prices={"monthly": "0.00"})
    order = checkout(client_account, plan, now=now)
    assert (order.status, order.invoice.status, order.invoice.total, order.invoice.paid_date) == (
        "active",
        "paid",
        Decimal("0.00"),
        D(2026, 1, 15),
    )
    assert order.items.get().service.status == "active"
    assert ledger_rows(client_account) == []


def test_one_time_product(shared_page, client_account, now):
    plan = factories.product(
        shared_page,
        name="Migration",
        prices={"one_time": "50.00"},
        setup_fee="10.00",
        price_type="one_time",
    )
    order = checkout(client_account, plan, cycle="monthly", now=now)  # the cycle asked for does not matter
    assert invoice_lines(order.invoice) == [
        ("one_time", "Migration - example.com", "50.00", "one_time", D(2026, 1, 15), None),
        ("setup", "Setup fee: Migration", "10.00", "", None, None),
    ]
    service = order.items.get().service
    assert (service.cycle, service.recurring_amount, service.is_recurring) == (
        "one_time",
        Decimal("0.00"),
        False,
    )


def test_full_month_billing_charges_the_whole_month_to_its_end(shared_page, client_account, now):
    plan = factories.product(shared_page, name="Calendar", full_month_billing=True)
    order = checkout(client_account, plan, now=now)
    assert invoice_lines(order.invoice) == [
        (
            "service",
            "Calendar - example.com",
            "10.00",
            "monthly",
            D(2026, 1, 15),
            D(2026, 1, 31),
        )
    ]


def test_ordered_on_the_31st(starter, client_account):
    order = checkout(client_account, starter, now=dt.datetime(2026, 1, 31, 8, 0, tzinfo=dt.UTC))
    assert invoice_lines(order.invoice)[0][4:] == (D(2026, 1, 31), D(2026, 2, 27))


def test_the_order_date_is_the_business_date(starter, client_account, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    order = checkout(client_account, starter, now=dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC))
    assert (order.invoice.issue_date, order.invoice.due_date) == (D(2026, 2, 1), D(2026, 2, 1))
    assert invoice_lines(order.invoice)[0][4:] == (D(2026, 2, 1), D(2026, 2, 28))


# --- Refused checkouts change nothing ---------------------------------------------------


def refused(unchanged, client, items, now) -> DomainError:  # noqa: ANN001
    with unchanged(), pytest.raises(DomainError) as err:
        order_checkout(client=client, items=items, now=now)
    return err.value


def test_an_empty_cart(client_account, now, unchanged):
    err = refused(unchanged, client_account, [], now)
    assert (err.field, err.code) == ("items", "empty_cart")


def test_an_unknown_product(client_account, now, unchanged):
    err = refused(unchanged, client_account, [CartItem(999999, "monthly", "example.com")], now)
    assert (err.field, err.code) == ("items[0].product", "not_found")


def test_a_hidden_product(starter, client_account, now, unchanged):
    Product.objects.filter(pk=starter.pk).update(visible=False)
    err = refused(unchanged, client_account, [CartItem(starter.pk, "monthly", "example.com")], now)
    assert (err.field, err.code) == ("items[0].product", "product_hidden")
    assert err.message == "Starter Hosting is not available for order"


def test_a_product_on_a_hidden_page(starter, client_account, now, unchanged):
    OrderPage.objects.filter(pk=starter.order_page_id).update(visible=False)
    err = refused(unchanged, client_account, [CartItem(starter.pk, "monthly", "example.com")], now)
    assert err.code == "product_hidden"


def test_a_product_in_a_sub_category_of_a_hidden_page(client_account, now, unchanged):
    parent = OrderPage.objects.create(name="Hosting", slug="hosting", contains="subcategories", visible=False)
    child = OrderPage.objects.create(name="Linux", slug="linux", parent=parent)
    plan = factories.product(child)
    err = refused(unchanged, client_account, [CartItem(plan.pk, "monthly", "example.com")], now)
    assert err.code == "product_hidden"


def test_the_faulty_item_is_named(starter, client_account, now, unchanged):
    hidden = factories.product(starter.order_page, visible=False)
    err = refused(
        unchanged,
        client_account,
        [
            CartItem(starter.pk, "monthly", "example.com"),
            CartItem(hidden.pk, "monthly", "example.com"),
        ],
        now,
    )
    assert err.field == "items[1].product"


def test_a_metered_product_is_ordered_without_a_first_invoice(shared_page, client_account, now):
    plan = factories.product(shared_page, prices={}, price_type="metered")
    order = order_checkout(client=client_account, items=[CartItem(plan.pk, "", "example.com")], now=now)
    assert order.invoice is None  # usage is billed after each period (tests/metering)
    assert order.items.get().service.cycle == "monthly"


def test_a_metered_product_without_price_rows_has_monthly_periods_only(shared_page, client_account, now, unchanged):
    plan = factories.product(shared_page, prices={}, price_type="metered")
    err = refused(unchanged, client_account, [CartItem(plan.pk, "annually", "example.com")], now)
    assert (err.field, err.code) == ("items[0].cycle", "invalid_cycle")


@pytest.mark.parametrize("cycle", ["quarterly", "", "fortnightly", "one_time"])
def test_a_cycle_the_product_does_not_offer(starter, client_account, now, unchanged, cycle):
    err = refused(unchanged, client_account, [CartItem(starter.pk, cycle, "example.com")], now)
    assert (err.field, err.code) == ("items[0].cycle", "invalid_cycle")
    assert "offered: Monthly, Annually" in err.message


def test_a_required_hostname_is_missing(starter, client_account, now, unchanged):
    err = refused(unchanged, client_account, [CartItem(starter.pk, "monthly", "   ")], now)
    assert (err.field, err.code, err.message) == (
        "items[0].hostname",
        "required",
        "Starter Hosting needs a hostname",
    )


@pytest.mark.parametrize(
    ("rule", "hostname"),
    [
        ("domain", "not a domain"),
        ("domain", "localhost"),
        ("fqdn", "example.com"),
        ("dns", "under_score"),
        ("none", "x" * 254),
    ],
)
def test_a_hostname_that_breaks_the_products_rule(starter, client_account, now, unchanged, rule, hostname):
    Product.objects.filter(pk=starter.pk).update(hostname_validation=rule)
    err = refused(unchanged, client_account, [CartItem(starter.pk, "monthly", hostname)], now)
    assert (err.field, err.code) == ("items[0].hostname", "invalid_hostname")
    assert err.message.startswith("Hostname: ")


def test_an_optional_hostname_may_be_left_out_but_is_checked_when_given(starter, client_account, now, unchanged):
    Product.objects.filter(pk=starter.pk).update(hostname_required=False)
    assert checkout(client_account, starter, hostname="", now=now).items.get().hostname == ""
    err = refused(unchanged, client_account, [CartItem(starter.pk, "monthly", "bad host")], now)
    assert err.code == "invalid_hostname"


@pytest.mark.parametrize("status", [Client.Status.CLOSED, Client.Status.INACTIVE])
def test_a_client_that_is_not_active_cannot_order(starter, client_account, now, unchanged, status):
    Client.objects.filter(pk=client_account.pk).update(status=status)
    err = refused(unchanged, client_account, [CartItem(starter.pk, "monthly", "example.com")], now)
    assert (err.field, err.code) == ("client", "client_not_active")


# --- Stock and limit per customer -------------------------------------------------------


def test_stock_is_decremented(starter, client_account, now):
    Product.objects.filter(pk=starter.pk).update(stock_enabled=True, stock=3)
    order_checkout(
        client=client_account,
        now=now,
        items=[
            CartItem(starter.pk, "monthly", "a.example.com"),
            CartItem(starter.pk, "monthly", "b.example.com"),
        ],
    )
    starter.refresh_from_db()
    assert starter.stock == 1


def test_out_of_stock(starter, client_account, now, unchanged):
    Product.objects.filter(pk=starter.pk).update(stock_enabled=True, stock=0)
    err = refused(unchanged, client_account, [CartItem(starter.pk, "monthly", "example.com")], now)
    assert (err.field, err.code, err.message) == (
        "items[0].product",  # found when the item is priced, before any row is written
        "out_of_stock",
        "Starter Hosting is out of stock",
    )


def test_more_in_the_cart_than_in_stock(shared_page, starter, client_account, now, unchanged):
    business = shared_page.products.get(code="business")
    Product.objects.filter(pk__in=[starter.pk, business.pk]).update(stock_enabled=True, stock=1)
    # Business is in stock and comes first: its decrement is undone with the rest.
    err = refused(
        unchanged,
        client_account,
        [
            CartItem(business.pk, "monthly", "b.example.com"),
            CartItem(starter.pk, "monthly", "a.example.com"),
            CartItem(starter.pk, "monthly", "c.example.com"),
        ],
        now,
    )
    assert err.code == "out_of_stock"


def test_stock_disabled_means_unlimited(starter, client_account, now):
    Product.objects.filter(pk=starter.pk).update(stock_enabled=False, stock=0)
    assert checkout(client_account, starter, now=now).status == "pending"


def test_limit_per_customer(starter, client_account, now, unchanged):
    Product.objects.filter(pk=starter.pk).update(limit_per_customer=1)
    checkout(client_account, starter, now=now)
    err = refused(unchanged, client_account, [CartItem(starter.pk, "monthly", "b.example.com")], now)
    assert (err.field, err.code) == ("items", "limit_per_customer")
    assert err.message == "one customer may order at most 1 of Starter Hosting; you have 1"
    # Another client has a limit of its own.
    assert checkout(factories.client(), starter, now=now).status == "pending"


def test_limit_per_customer_counts_the_cart_too(starter, client_account, now, unchanged):
    Product.objects.filter(pk=starter.pk).update(limit_per_customer=1)
    err = refused(
        unchanged,
        client_account,
        [
            CartItem(starter.pk, "monthly", "a.example.com"),
            CartItem(starter.pk, "monthly", "b.example.com"),
        ],
        now,
    )
    assert err.code == "limit_per_customer"


@pytest.mark.parametrize(
    ("status", "counted"),
    [
        ("pending", True),
        ("active", True),
        ("suspended", True),
        ("fraud", True),
        ("cancelled", False),
        ("terminated", False),
    ],
)
def test_limit_per_customer_skips_cancelled_and_terminated(starter, client_account, now, status, counted):
    Product.objects.filter(pk=starter.pk).update(limit_per_customer=1)
    order = checkout(client_account, starter, now=now)
    Service.objects.filter(pk=order.items.get().service_id).update(status=status)
    if counted:
        with pytest.raises(DomainError):
            checkout(client_account, starter, hostname="b.example.com", now=now)
    else:
        assert checkout(client_account, starter, hostname="b.example.com", now=now).number == 2


def test_nothing_half_written_when_a_later_step_fails(starter, client_account, now, unchanged):
    """Refused at the limit check after the first item priced: no order, no invoice number taken."""
    Product.objects.filter(pk=starter.pk).update(limit_per_customer=0)
    refused(unchanged, client_account, [CartItem(starter.pk, "monthly", "example.com")], now)
    assert checkout(factories.client(), factories.product(starter.order_page), now=now).invoice.number == 1
    assert LedgerEntry.objects.count() == 1


def test_the_same_checkout_key_places_one_order(starter, client_account, now):
    from moorage.orders.actions import CartItem, order_checkout
    from moorage.orders.models import Order

    items = [CartItem(starter.pk, "monthly", "twice.example.com")]
    first = order_checkout(client=client_account, items=items, now=now, checkout_key="k1")
    second = order_checkout(client=client_account, items=items, now=now, checkout_key="k1")
    assert first.pk == second.pk and Order.objects.count() == 1
    third = order_checkout(client=client_account, items=items, now=now, checkout_key="k2")
    assert third.pk != first.pk


def test_an_out_of_stock_product_is_refused_when_configured(starter):
    import pytest as _pytest

    from moorage.core.errors import DomainError
    from moorage.orders.actions import CartItem, price_item

    starter.stock_enabled, starter.stock = True, 0
    starter.save()
    with _pytest.raises(DomainError) as exc:
        price_item(CartItem(starter.pk, "monthly", "x.example.com"))
    assert exc.value.code == "out_of_stock" and exc.value.field == "items[0].product"
