"""When the first invoice is paid the service starts: start date, anchor and next due date."""

import datetime as dt
from decimal import Decimal

import pytest

from moorage.catalog.models import BillingDefaults, Product
from moorage.core.cycles import nth_due_date
from moorage.services.dates import initial_dates
from tests import factories
from tests.factories import checkout, pay

D = dt.date


def at(day: D, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC)


def order_and_pay(client, product, *, ordered: D, paid: D, cycle: str = "monthly"):  # noqa: ANN001, ANN201
    order = checkout(client, product, cycle=cycle, now=at(ordered))
    pay(
        order.invoice,
        str(order.invoice.total),
        transaction_id=f"T-{order.number}",
        now=at(paid, 15),
    )
    service = order.items.get().service
    service.refresh_from_db()
    return service


def dates(service) -> tuple:  # noqa: ANN001
    return (
        service.status,
        service.start_date,
        service.anchor_date,
        service.anchor_day,
        service.expiry_date,
        service.next_due_date,
    )


def test_without_adjust_initial_period_the_service_starts_on_the_order_date(starter, client_account):
    service = order_and_pay(client_account, starter, ordered=D(2026, 1, 1), paid=D(2026, 1, 5))
    assert dates(service) == (
        "active",
        D(2026, 1, 1),
        D(2026, 1, 1),
        1,
        D(2026, 1, 31),
        D(2026, 2, 1),
    )


def test_adjust_initial_period_starts_the_service_on_the_payment_date(starter, client_account):
    Product.objects.filter(pk=starter.pk).update(adjust_initial_period=True)
    service = order_and_pay(client_account, starter, ordered=D(2026, 1, 1), paid=D(2026, 1, 5))
    assert dates(service) == (
        "active",
        D(2026, 1, 5),
        D(2026, 1, 5),
        5,
        D(2026, 2, 4),
        D(2026, 2, 5),
    )


def test_adjust_initial_period_from_the_billing_defaults(starter, client_account):
    defaults = BillingDefaults.load()
    defaults.adjust_initial_period = True
    defaults.save()
    service = order_and_pay(client_account, starter, ordered=D(2026, 1, 1), paid=D(2026, 1, 5))
    assert (service.start_date, service.next_due_date) == (D(2026, 1, 5), D(2026, 2, 5))


def test_the_product_can_switch_adjust_initial_period_off_against_the_default(starter, client_account):
    defaults = BillingDefaults.load()
    defaults.adjust_initial_period = True
    defaults.save()
    Product.objects.filter(pk=starter.pk).update(adjust_initial_period=False)
    service = order_and_pay(client_account, starter, ordered=D(2026, 1, 1), paid=D(2026, 1, 5))
    assert (service.start_date, service.next_due_date) == (D(2026, 1, 1), D(2026, 2, 1))


def test_adjust_initial_period_paid_on_the_order_date_changes_nothing(starter, client_account):
    Product.objects.filter(pk=starter.pk).update(adjust_initial_period=True)
    service = order_and_pay(client_account, starter, ordered=D(2026, 1, 1), paid=D(2026, 1, 1))
    assert (service.start_date, service.next_due_date) == (D(2026, 1, 1), D(2026, 2, 1))


def test_anchor_on_the_31st(starter, client_account):
    service = order_and_pay(client_account, starter, ordered=D(2026, 1, 31), paid=D(2026, 2, 2))
    assert dates(service) == (
        "active",
        D(2026, 1, 31),
        D(2026, 1, 31),
        31,
        D(2026, 2, 27),
        D(2026, 2, 28),
    )
    # The following periods keep the 31st: 31 Mar, 30 Apr, 31 May.
    assert [nth_due_date(service.anchor_date, service.cycle, n, service.anchor_day) for n in (2, 3, 4)] == [
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 31),
    ]


def test_annual_plan_ordered_on_a_leap_day(starter, client_account):
    service = order_and_pay(client_account, starter, ordered=D(2028, 2, 29), paid=D(2028, 3, 1), cycle="annually")
    assert dates(service) == (
        "active",
        D(2028, 2, 29),
        D(2028, 2, 29),
        29,
        D(2029, 2, 27),
        D(2029, 2, 28),
    )


def test_full_month_billing(shared_page, client_account):
    plan = factories.product(shared_page, name="Calendar", full_month_billing=True)
    service = order_and_pay(client_account, plan, ordered=D(2026, 1, 15), paid=D(2026, 1, 16))
    assert dates(service) == (
        "active",
        D(2026, 1, 15),
        D(2026, 2, 1),
        1,
        D(2026, 1, 31),
        D(2026, 2, 1),
    )
    assert service.product.full_month_billing
    # Every later period is a calendar month.
    assert [nth_due_date(service.anchor_date, "monthly", n, service.anchor_day) for n in (1, 2)] == [
        D(2026, 3, 1),
        D(2026, 4, 1),
    ]


def test_one_time_product_has_no_renewal(shared_page, client_account):
    plan = factories.product(shared_page, name="Setup", prices={"one_time": "30.00"}, price_type="one_time")
    service = order_and_pay(client_account, plan, ordered=D(2026, 1, 15), paid=D(2026, 1, 16))
    assert dates(service) == ("active", D(2026, 1, 15), None, None, None, None)
    assert service.recurring_amount == Decimal("0.00")


def test_a_service_with_a_module_waits_for_provisioning(shared_page, client_account):
    plan = factories.product(shared_page, name="Panel", module="ispmanager")
    service = order_and_pay(client_account, plan, ordered=D(2026, 1, 15), paid=D(2026, 1, 16))
    assert dates(service) == (
        "pending",
        D(2026, 1, 15),
        D(2026, 1, 15),
        15,
        D(2026, 2, 14),
        D(2026, 2, 15),
    )
    assert service.order_item.order.status == "active"


def test_paying_activates_every_service_of_the_order(shared_page, starter, client_account):
    from moorage.orders.actions import CartItem, order_checkout

    business = shared_page.products.get(code="business")
    order = order_checkout(
        client=client_account,
        now=at(D(2026, 1, 10)),
        items=[
            CartItem(starter.pk, "monthly", "a.example.com"),
            CartItem(business.pk, "annually", "b.example.com"),
        ],
    )
    pay(order.invoice, "104.89", transaction_id="T-1", now=at(D(2026, 1, 12)))
    services = [i.service for i in order.items.order_by("id")]
    assert [(s.status, s.start_date, s.next_due_date) for s in services] == [
        ("active", D(2026, 1, 10), D(2026, 2, 10)),
        ("active", D(2026, 1, 10), D(2027, 1, 10)),
    ]
    assert [list(s.status_changes.values_list("from_status", "to_status", "reason")) for s in services] == [
        [("", "pending", "order 000001"), ("pending", "active", "first invoice paid")]
    ] * 2


@pytest.mark.parametrize(
    ("cycle", "next_due"),
    [
        ("daily", D(2026, 1, 2)),
        ("weekly", D(2026, 1, 8)),
        ("monthly", D(2026, 2, 1)),
        ("quarterly", D(2026, 4, 1)),
        ("semiannually", D(2026, 7, 1)),
        ("annually", D(2027, 1, 1)),
        ("biennially", D(2028, 1, 1)),
        ("triennially", D(2029, 1, 1)),
    ],
)
def test_initial_dates_for_every_cycle(cycle, next_due):
    result = initial_dates(cycle=cycle, order_date=D(2026, 1, 1), paid_on=D(2026, 1, 3), adjust_initial_period=False)
    assert (result.start_date, result.anchor_date, result.anchor_day, result.next_due_date) == (
        D(2026, 1, 1),
        D(2026, 1, 1),
        1,
        next_due,
    )


def test_initial_dates_full_month_billing_only_for_monthly():
    result = initial_dates(
        cycle="annually",
        order_date=D(2026, 1, 15),
        paid_on=D(2026, 1, 15),
        adjust_initial_period=False,
        full_month_billing=True,
    )
    assert result.next_due_date == D(2027, 1, 15)
    result = initial_dates(
        cycle="monthly",
        order_date=D(2026, 12, 20),
        paid_on=D(2026, 12, 20),
        adjust_initial_period=False,
        full_month_billing=True,
    )
    assert (result.anchor_date, result.anchor_day, result.next_due_date) == (
        D(2027, 1, 1),
        1,
        D(2027, 1, 1),
    )
