"""Cancelling a pending order: its pending services and unpaid invoice are cancelled."""

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.queries import client_balance
from moorage.catalog.models import Product
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import AuditEntry
from moorage.orders.actions import CartItem, order_cancel, order_checkout
from tests import factories
from tests.factories import checkout, expected_balance, ledger_rows, pay

LATER = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)


def test_cancel_a_pending_order(shared_page, starter, client_account, now, staff):
    business = shared_page.products.get(code="business")
    Product.objects.filter(pk=starter.pk).update(stock_enabled=True, stock=5)
    order = order_checkout(
        client=client_account,
        now=now,
        items=[
            CartItem(starter.pk, "monthly", "a.example.com"),
            CartItem(starter.pk, "monthly", "b.example.com"),
            CartItem(business.pk, "monthly", "c.example.com"),
        ],
    )
    starter.refresh_from_db()
    assert starter.stock == 3

    result = order_cancel(order_id=order.pk, now=LATER, actor=staff, reason="duplicate")
    assert result.status == "cancelled"
    order.invoice.refresh_from_db()
    assert (order.invoice.status, order.invoice.cancelled_date) == (
        "cancelled",
        dt.date(2026, 1, 20),
    )
    for item in order.items.all():
        assert list(item.service.status_changes.values_list("from_status", "to_status", "reason", "actor")) == [
            ("", "pending", "order 000001", None),
            ("pending", "cancelled", "duplicate", staff.pk),
        ]
        assert item.service.status == "cancelled"
    starter.refresh_from_db()
    assert starter.stock == 5
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "19.97", 1),
        ("receivable", "invoice_cancelled", "-19.97", 1),
    ]
    assert client_balance(client_account) == Decimal("0.00") == expected_balance(client_account)
    assert AuditEntry.objects.filter(action="order_cancel", object_id=str(order.pk)).count() == 1


def test_cancel_an_order_with_a_partial_payment(starter, client_account, now):
    order = checkout(client_account, starter, now=now)
    pay(order.invoice, "1.00", transaction_id="BANK-1", now=LATER)
    order_cancel(order_id=order.pk, now=LATER, actor=None)
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "4.99", 1),
        ("receivable", "payment", "-1.00", 1),
        ("receivable", "invoice_cancelled", "-4.99", 1),
        ("receivable", "credit_added", "1.00", 1),
        ("credit", "credit_added", "1.00", 1),
    ]
    assert client_balance(client_account) == Decimal("-1.00") == expected_balance(client_account)


def test_a_cancelled_order_frees_the_limit_per_customer(starter, client_account, now):
    Product.objects.filter(pk=starter.pk).update(limit_per_customer=1)
    order = checkout(client_account, starter, now=now)
    order_cancel(order_id=order.pk, now=LATER, actor=None)
    assert checkout(client_account, starter, now=LATER).number == 2


def test_a_paid_order_cannot_be_cancelled(starter, client_account, now, unchanged):
    order = checkout(client_account, starter, now=now)
    pay(order.invoice, "4.99", transaction_id="BANK-1", now=LATER)
    with unchanged(), pytest.raises(DomainError) as err:
        order_cancel(order_id=order.pk, now=LATER, actor=None)
    assert (err.value.field, err.value.code) == ("order", "order_not_pending")
    assert err.value.message == "only a pending order can be cancelled; this one is active"


def test_a_cancelled_order_cannot_be_cancelled_again(starter, client_account, now, unchanged):
    order = checkout(client_account, starter, now=now)
    order_cancel(order_id=order.pk, now=LATER, actor=None)
    with unchanged(), pytest.raises(DomainError):
        order_cancel(order_id=order.pk, now=LATER, actor=None)


def test_an_unknown_order(db, unchanged):
    with unchanged(), pytest.raises(NotFound):
        order_cancel(order_id=424242, now=LATER, actor=None)


def test_cancel_a_free_order_is_refused_because_it_is_active(shared_page, client_account, now, unchanged):
    free = factories.product(shared_page, prices={}, price_type="free")
    order = checkout(client_account, free, cycle="", now=now)
    with unchanged(), pytest.raises(DomainError):
        order_cancel(order_id=order.pk, now=LATER, actor=None)
