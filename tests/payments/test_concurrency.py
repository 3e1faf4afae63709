"""Races on PostgreSQL: the database, not Python, makes "never twice" true."""

import pytest
from django.db import connection

from moorage.billing.models import LedgerEntry, Payment
from moorage.catalog.models import Product
from moorage.core.errors import DomainError
from moorage.orders.models import Order
from moorage.services.models import Service
from tests import factories
from tests.factories import checkout, pay
from tests.threads import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"),
]


def test_the_same_transaction_recorded_twice_at_once(now):
    starter = factories.shared_page(now=now).products.get(code="starter")
    client = factories.client(now=now)
    order = checkout(client, starter, now=now)

    results = race(*[lambda: pay(order.invoice, "4.99", transaction_id="BANK-RACE", now=now)] * 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(created for _, created in results) == [False, True]
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert list(LedgerEntry.objects.filter(kind="payment").values_list("amount", flat=True)) == [-payment.amount]
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"
    assert Service.objects.get().status == "active"


def test_the_last_item_in_stock_is_sold_once(now):
    starter = factories.shared_page(now=now).products.get(code="starter")
    Product.objects.filter(pk=starter.pk).update(stock_enabled=True, stock=1)
    buyers = [factories.client(now=now), factories.client(now=now)]

    results = race(*[lambda b=b: checkout(b, starter, now=now) for b in buyers])

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert (len(orders), len(refused)) == (1, 1), results
    assert refused[0].code == "out_of_stock"
    assert Order.objects.count() == 1
    assert Service.objects.count() == 1
    starter.refresh_from_db()
    assert starter.stock == 0


def test_paying_an_upgrade_invoice_while_the_upgrade_is_cancelled(shared_page):
    """Issue #10 item 9: the payment locked invoice → request → service while cancelling the upgrade
    locked service → request → invoice, so the two could deadlock. Both now take the service first:
    one waits for the other, and exactly one outcome holds, whichever comes first."""
    from moorage.billing.queries import client_balance
    from moorage.upgrades.actions import upgrade_cancel
    from moorage.upgrades.models import UpgradeRequest
    from tests.automation.conftest import at
    from tests.automation.conftest import pay as pay_in_full
    from tests.upgrades.conftest import JAN1, active_service, change
    from tests.upgrades.test_no_minted_credit import JAN16, plans

    cheap, dear = plans(shared_page, auto_upgrade="after_payment")
    outcomes = set()
    for round_ in range(6):
        client = factories.client()
        service = active_service(client, cheap, day=JAN1, hostname=f"race{round_}.example.com")
        up = change(service, dear, now=at(JAN16))
        invoice = up.invoice

        paid, cancelled = race(
            lambda: pay_in_full(invoice, JAN16, txn=f"T-race-{round_}"),  # noqa: B023  (run before the next round)
            lambda: upgrade_cancel(request_id=up.pk, now=at(JAN16, 1), actor=None),  # noqa: B023
        )

        errors = [r for r in (paid, cancelled) if isinstance(r, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], DomainError), (paid, cancelled)  # no deadlock error
        up.refresh_from_db()
        invoice.refresh_from_db()
        service.refresh_from_db()
        if errors[0] is cancelled:  # the payment came first: the change is made, the cancel refused
            assert errors[0].code == "not_pending"
            assert (up.status, invoice.status, service.product_id) == ("applied", "paid", dear.pk)
            assert Payment.objects.filter(invoice=invoice).count() == 1
        else:  # the cancel came first: the invoice is cancelled, the payment refused
            assert errors[0].code == "invoice_cancelled"
            assert (up.status, invoice.status, service.product_id) == ("cancelled", "cancelled", cheap.pk)
            assert not Payment.objects.filter(invoice=invoice).exists()
        assert UpgradeRequest.objects.filter(service=service).count() == 1
        assert client_balance(client) == 0  # the ledger agrees either way: nothing owed, no credit
        outcomes.add(up.status)
    assert outcomes <= {"applied", "cancelled"}


def test_paying_an_order_while_staff_cancel_it(now):
    """order_cancel locked order → services → invoice while the payment locked invoice → order: a
    deadlock in waiting. The payment now takes the order first too."""
    from moorage.orders.actions import order_cancel

    starter = factories.shared_page(now=now).products.get(code="starter")
    for round_ in range(6):
        client = factories.client(now=now)
        order = checkout(client, starter, now=now, hostname=f"o{round_}.example.com")

        paid, cancelled = race(
            lambda: pay(order.invoice, str(order.invoice.total), transaction_id=f"O-{round_}", now=now),  # noqa: B023
            lambda: order_cancel(order_id=order.pk, now=now, actor=None),  # noqa: B023
        )

        errors = [r for r in (paid, cancelled) if isinstance(r, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], DomainError), (paid, cancelled)
        order.refresh_from_db()
        order.invoice.refresh_from_db()
        if errors[0] is cancelled:
            assert (order.invoice.status, errors[0].code) == ("paid", "order_not_pending")
        else:
            assert errors[0].code == "invoice_cancelled"
            assert (order.status, order.invoice.status) == ("cancelled", "cancelled")
