"""Full Month Billing (billing-semantics §2), walked through the calendar: the first invoice charges
the full monthly price whatever the day, the next due date is the 1st of the following month, and
every later period is a calendar month."""

from __future__ import annotations

from decimal import Decimal

import pytest

from moorage.billing.models import Invoice, InvoiceLine
from moorage.billing.queries import client_balance
from moorage.services.models import Service
from tests import factories
from tests.automation.conftest import pay, walk
from tests.cancellations.conftest import D, ordered

pytestmark = pytest.mark.django_db


def calendar_plan(page, **settings):  # noqa: ANN001, ANN003, ANN201
    return factories.product(page, name="Calendar", prices={"monthly": "10.00"}, full_month_billing=True, **settings)


def pay_new_renewals(day):  # noqa: ANN001, ANN201
    for invoice in Invoice.objects.filter(status="unpaid", kind="renewal"):
        pay(invoice, day)


def periods() -> list[tuple]:
    return list(
        InvoiceLine.objects.filter(kind="service")
        .order_by("period_start")
        .values_list("period_start", "period_end", "amount", "invoice__issue_date", "invoice__due_date")
    )


def test_prepaid_ordered_mid_month_then_calendar_months(shared_page, client_account):
    """Ordered and paid 15 January: 10.00 for 15–31 January; renewals for February, March, April
    and May, each issued 14 days before the 1st and due on it, each 10.00."""
    service = ordered(client_account, calendar_plan(shared_page), D(2026, 1, 15))
    assert (service.start_date, service.anchor_date, service.anchor_day, service.next_due_date) == (
        D(2026, 1, 15),
        D(2026, 2, 1),
        1,
        D(2026, 2, 1),
    )
    walk(D(2026, 1, 16), D(2026, 5, 1), on_day=pay_new_renewals)
    ten = Decimal("10.00")
    assert periods() == [
        (D(2026, 1, 15), D(2026, 1, 31), ten, D(2026, 1, 15), D(2026, 1, 15)),
        (D(2026, 2, 1), D(2026, 2, 28), ten, D(2026, 1, 18), D(2026, 2, 1)),
        (D(2026, 3, 1), D(2026, 3, 31), ten, D(2026, 2, 15), D(2026, 3, 1)),
        (D(2026, 4, 1), D(2026, 4, 30), ten, D(2026, 3, 18), D(2026, 4, 1)),
        (D(2026, 5, 1), D(2026, 5, 31), ten, D(2026, 4, 17), D(2026, 5, 1)),
    ]
    service.refresh_from_db()
    assert (service.status, service.next_due_date, service.expiry_date) == ("active", D(2026, 6, 1), D(2026, 5, 31))
    assert client_balance(client_account) == Decimal("0.00")


def test_ordered_on_the_last_day_of_the_month(shared_page, client_account):
    """Ordered 31 January: one day for the full 10.00, then February from the 1st."""
    ordered(client_account, calendar_plan(shared_page), D(2026, 1, 31))
    walk(D(2026, 2, 1), D(2026, 3, 1), on_day=pay_new_renewals)
    assert [(p[0], p[1]) for p in periods()] == [
        (D(2026, 1, 31), D(2026, 1, 31)),
        (D(2026, 2, 1), D(2026, 2, 28)),
        (D(2026, 3, 1), D(2026, 3, 31)),
    ]


def test_with_adjust_initial_period_the_month_of_payment_is_the_first(shared_page, client_account):
    """Ordered 15 January, paid 20 January with Adjust Initial Period: the service starts on
    20 January and still renews on 1 February."""
    service = ordered(
        client_account, calendar_plan(shared_page, adjust_initial_period=True), D(2026, 1, 15), paid=False
    )
    pay(Invoice.objects.get(), D(2026, 1, 20))
    service.refresh_from_db()
    assert (service.start_date, service.next_due_date) == (D(2026, 1, 20), D(2026, 2, 1))


def test_other_cycles_are_not_changed_by_full_month_billing(shared_page, client_account):
    product = factories.product(shared_page, name="Quarterly", prices={"quarterly": "30.00"}, full_month_billing=True)
    from moorage.orders.actions import CartItem, order_checkout
    from tests.automation.conftest import at

    order = order_checkout(
        client=client_account, items=[CartItem(product.pk, "quarterly", "example.com")], now=at(D(2026, 1, 15), 9)
    )
    pay(order.invoice, D(2026, 1, 15))
    service = Service.objects.get()
    assert (service.anchor_date, service.next_due_date) == (D(2026, 1, 15), D(2026, 4, 15))


def test_postpaid_the_first_partial_month_is_billed_in_full_on_the_first(shared_page, client_account):
    """Post-paid, started 15 January: the run of 1 February bills 15–31 January at the full 10.00,
    the run of 1 March bills February, and so on (before the fix the first month was never billed)."""
    service = ordered(client_account, calendar_plan(shared_page, billing_type="postpaid"), D(2026, 1, 15))
    assert (service.status, service.start_date, service.next_due_date) == ("active", D(2026, 1, 15), D(2026, 1, 15))
    walk(D(2026, 1, 16), D(2026, 4, 1), on_day=pay_new_renewals)
    ten = Decimal("10.00")
    assert periods() == [
        (D(2026, 1, 15), D(2026, 1, 31), ten, D(2026, 2, 1), D(2026, 2, 1)),
        (D(2026, 2, 1), D(2026, 2, 28), ten, D(2026, 3, 1), D(2026, 3, 1)),
        (D(2026, 3, 1), D(2026, 3, 31), ten, D(2026, 4, 1), D(2026, 4, 1)),
    ]
    service.refresh_from_db()
    assert service.next_due_date == D(2026, 4, 1)
