"""Paying an invoice from the client's credit balance, partly or in full."""

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.actions import credit_add
from moorage.billing.queries import client_balance, client_credit_balance, invoice_outstanding
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import AuditEntry
from moorage.payments.actions import invoice_pay_from_credit
from tests.factories import checkout, expected_balance, ledger_rows, pay

D = dt.date
LATER = dt.datetime(2026, 1, 18, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def order(starter, client_account, now):  # noqa: ANN001, ANN201
    return checkout(client_account, starter, now=now)


def test_credit_covers_part_of_the_invoice(order, client_account, staff, now):
    credit_add(client=client_account, amount=Decimal("3.00"), reason="goodwill", now=now, actor=staff)
    used = invoice_pay_from_credit(invoice_id=order.invoice.pk, now=LATER, actor=None)
    assert used == Decimal("3.00")
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "4.99", 1),
        ("credit", "credit_added", "3.00", None),
        ("credit", "credit_applied", "-3.00", 1),
        ("receivable", "credit_applied", "-3.00", 1),
    ]
    order.invoice.refresh_from_db()
    assert (order.invoice.status, invoice_outstanding(order.invoice)) == ("unpaid", Decimal("1.99"))
    assert order.items.get().service.status == "pending"
    assert client_credit_balance(client_account) == Decimal("0.00")
    assert client_balance(client_account) == Decimal("1.99") == expected_balance(client_account)


def test_credit_pays_the_whole_invoice_and_starts_the_service(order, client_account, staff, now):
    credit_add(client=client_account, amount=Decimal("10.00"), reason="prepaid", now=now, actor=staff)
    used = invoice_pay_from_credit(invoice_id=order.invoice.pk, now=LATER, actor=None)
    assert used == Decimal("4.99")
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "4.99", 1),
        ("credit", "credit_added", "10.00", None),
        ("credit", "credit_applied", "-4.99", 1),
        ("receivable", "credit_applied", "-4.99", 1),
    ]
    order.invoice.refresh_from_db()
    assert (order.invoice.status, order.invoice.paid_date) == ("paid", D(2026, 1, 18))
    service = order.items.get().service
    assert (service.status, service.start_date, service.next_due_date) == (
        "active",
        D(2026, 1, 15),
        D(2026, 2, 15),
    )
    assert client_credit_balance(client_account) == Decimal("5.01")
    assert client_balance(client_account) == Decimal("-5.01") == expected_balance(client_account)
    assert AuditEntry.objects.get(action="invoice_pay_from_credit").data == {"amount": "4.99"}


def test_credit_and_a_bank_transfer_together(order, client_account, staff, now):
    credit_add(client=client_account, amount=Decimal("1.00"), reason="refund of fee", now=now, actor=staff)
    invoice_pay_from_credit(invoice_id=order.invoice.pk, now=LATER, actor=None)
    pay(order.invoice, "3.99", transaction_id="BANK-1", now=LATER)
    order.invoice.refresh_from_db()
    assert order.invoice.status == "paid"
    assert ledger_rows(client_account)[-1] == ("receivable", "payment", "-3.99", 1)
    assert client_balance(client_account) == Decimal("0.00") == expected_balance(client_account)


def test_no_credit_to_apply(order, client_account, unchanged):
    with unchanged(), pytest.raises(DomainError) as err:
        invoice_pay_from_credit(invoice_id=order.invoice.pk, now=LATER, actor=None)
    assert (err.value.field, err.value.code) == ("gateway", "no_credit")


def test_a_paid_invoice_takes_no_credit(order, client_account, staff, now, unchanged):
    pay(order.invoice, "4.99", transaction_id="BANK-1", now=LATER)
    credit_add(client=client_account, amount=Decimal("10.00"), reason="x", now=now, actor=staff)
    with unchanged(), pytest.raises(DomainError) as err:
        invoice_pay_from_credit(invoice_id=order.invoice.pk, now=LATER, actor=None)
    assert err.value.code == "invoice_paid"


def test_credit_of_one_client_is_not_spent_for_another(order, starter, now, staff, unchanged):
    from tests import factories

    other = factories.client()
    credit_add(client=other, amount=Decimal("10.00"), reason="x", now=now, actor=staff)
    with unchanged(), pytest.raises(DomainError) as err:
        invoice_pay_from_credit(invoice_id=order.invoice.pk, now=LATER, actor=None)
    assert err.value.code == "no_credit"


def test_an_unknown_invoice(db, unchanged):
    with unchanged(), pytest.raises(NotFound):
        invoice_pay_from_credit(invoice_id=424242, now=LATER, actor=None)
