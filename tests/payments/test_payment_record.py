"""Recording payments: exact ledger rows, overpayment to credit, idempotent per transaction."""

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.models import Invoice, Payment
from moorage.billing.queries import (
    client_amount_due,
    client_balance,
    client_credit_balance,
    invoice_outstanding,
    invoice_paid_amount,
)
from moorage.core.errors import Conflict, DomainError, NotFound
from moorage.core.models import AuditEntry
from moorage.payments.actions import payment_record
from tests.factories import checkout, expected_balance, ledger_rows, pay

D = dt.date
PAID_AT = dt.datetime(2026, 1, 20, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def order(starter, client_account, now):  # noqa: ANN001, ANN201
    return checkout(client_account, starter, now=now)


def reload(obj):  # noqa: ANN001, ANN201
    obj.refresh_from_db()
    return obj


def test_full_payment(order, client_account, staff):
    payment, created = pay(order.invoice, "4.99", transaction_id="BANK-1", now=PAID_AT, actor=staff)
    assert created
    assert (
        payment.client,
        payment.invoice,
        payment.gateway,
        payment.transaction_id,
        payment.amount,
        payment.currency,
        payment.received_at,
        payment.recorded_by,
    ) == (
        client_account,
        order.invoice,
        "bank_transfer",
        "BANK-1",
        Decimal("4.99"),
        "USD",
        PAID_AT,
        staff,
    )
    invoice = reload(order.invoice)
    assert (invoice.status, invoice.paid_date) == ("paid", D(2026, 1, 20))
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "4.99", 1),
        ("receivable", "payment", "-4.99", 1),
    ]
    assert reload(order).status == "active"
    assert reload(order.items.get().service).status == "active"
    assert (invoice_outstanding(invoice), invoice_paid_amount(invoice)) == (
        Decimal("0.00"),
        Decimal("4.99"),
    )
    assert client_balance(client_account) == Decimal("0.00") == expected_balance(client_account)
    assert AuditEntry.objects.get(action="payment_record").data == {
        "invoice": 1,
        "amount": "4.99",
        "gateway": "Bank / Wire Transfer",
    }


def test_overpayment_becomes_credit(order, client_account):
    pay(order.invoice, "10", transaction_id="BANK-1", now=PAID_AT)
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "4.99", 1),
        ("receivable", "payment", "-4.99", 1),
        ("credit", "overpayment", "5.01", 1),
    ]
    assert reload(order.invoice).status == "paid"
    assert client_credit_balance(client_account) == Decimal("5.01")
    assert client_balance(client_account) == Decimal("-5.01") == expected_balance(client_account)


def test_partial_payments(order, client_account):
    pay(order.invoice, "2.00", transaction_id="BANK-1", now=PAID_AT)
    invoice = reload(order.invoice)
    service = order.items.get().service
    assert (invoice.status, invoice_outstanding(invoice), reload(service).status) == (
        "unpaid",
        Decimal("2.99"),
        "pending",
    )
    assert client_balance(client_account) == Decimal("2.99") == expected_balance(client_account)

    pay(order.invoice, "5.00", transaction_id="BANK-2", now=PAID_AT + dt.timedelta(days=2))
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "4.99", 1),
        ("receivable", "payment", "-2.00", 1),
        ("receivable", "payment", "-2.99", 1),
        ("credit", "overpayment", "2.01", 1),
    ]
    invoice = reload(order.invoice)
    assert (invoice.status, invoice.paid_date) == ("paid", D(2026, 1, 22))
    assert reload(service).status == "active"
    assert reload(service).start_date == D(2026, 1, 15)
    assert client_balance(client_account) == Decimal("-2.01") == expected_balance(client_account)


def test_the_same_transaction_twice_is_applied_once(order, client_account, unchanged):
    first, _ = pay(order.invoice, "4.99", transaction_id="BANK-1", now=PAID_AT)
    with unchanged():
        again, created = pay(order.invoice, "4.99", transaction_id=" BANK-1 ", now=PAID_AT + dt.timedelta(hours=1))
    assert (again, created) == (first, False)
    assert Payment.objects.count() == 1


def test_a_retried_partial_payment_is_not_applied_twice(order, client_account, unchanged):
    first, _ = pay(order.invoice, "2.00", transaction_id="BANK-1", now=PAID_AT)
    with unchanged():
        assert pay(order.invoice, "2.00", transaction_id="BANK-1", now=PAID_AT) == (first, False)
    assert invoice_outstanding(order.invoice) == Decimal("2.99")


def test_the_same_transaction_id_with_another_amount_is_a_conflict(order, client_account, unchanged):
    pay(order.invoice, "2.00", transaction_id="BANK-1", now=PAID_AT)
    with unchanged(), pytest.raises(Conflict) as err:
        pay(order.invoice, "2.99", transaction_id="BANK-1", now=PAID_AT)
    assert (err.value.field, err.value.code, err.value.status) == (
        "transaction_id",
        "duplicate_transaction",
        409,
    )
    assert "invoice 000001, amount 2.00" in err.value.message


def test_the_same_transaction_id_for_another_invoice_is_a_conflict(order, starter, client_account, now, unchanged):
    other = checkout(client_account, starter, hostname="b.example.com", now=now)
    pay(order.invoice, "4.99", transaction_id="BANK-1", now=PAID_AT)
    with unchanged(), pytest.raises(Conflict):
        pay(other.invoice, "4.99", transaction_id="BANK-1", now=PAID_AT)


def test_a_cancelled_invoice_cannot_be_paid(order, client_account, now, unchanged):
    from moorage.billing.actions import invoice_cancel

    invoice_cancel(invoice_id=order.invoice.pk, now=now, cancelled_on=D(2026, 1, 16), actor=None)
    with unchanged(), pytest.raises(DomainError) as err:
        pay(order.invoice, "4.99", transaction_id="BANK-1", now=PAID_AT)
    assert (err.value.field, err.value.code) == ("invoice", "invoice_cancelled")
    assert err.value.message == "invoice 000001 is cancelled and cannot be paid"


def test_a_paid_invoice_cannot_be_paid_again(order, client_account, unchanged):
    pay(order.invoice, "4.99", transaction_id="BANK-1", now=PAID_AT)
    with unchanged(), pytest.raises(DomainError) as err:
        pay(order.invoice, "4.99", transaction_id="BANK-2", now=PAID_AT)
    assert (err.value.field, err.value.code) == ("invoice", "invoice_paid")


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        ("0", "amount"),
        ("-1.00", "amount"),
        ("0.001", "amount"),
        ("abc", "amount"),
        ("NaN", "amount"),
        (4.99, "amount"),
        (None, "amount"),
        ("1e12", "amount"),
    ],
)
def test_bad_amounts(order, unchanged, amount, field):
    with unchanged(), pytest.raises(DomainError) as err:
        payment_record(
            invoice_id=order.invoice.pk,
            amount=amount,
            gateway="bank_transfer",
            transaction_id="BANK-1",
            now=PAID_AT,
            actor=None,
        )
    assert err.value.field == field


@pytest.mark.parametrize(
    ("gateway", "transaction_id", "field"),
    [
        ("paypal", "T-1", "gateway"),
        ("credit_balance", "T-1", "gateway"),
        ("bank_transfer", "  ", "transaction_id"),
        ("bank_transfer", None, "transaction_id"),
    ],
)
def test_bad_gateway_or_transaction(order, unchanged, gateway, transaction_id, field):
    with unchanged(), pytest.raises(DomainError) as err:
        payment_record(
            invoice_id=order.invoice.pk,
            amount="4.99",
            gateway=gateway,
            transaction_id=transaction_id,
            now=PAID_AT,
            actor=None,
        )
    assert err.value.field == field


def test_an_unknown_invoice(db, unchanged):
    with unchanged(), pytest.raises(NotFound) as err:
        payment_record(
            invoice_id=424242,
            amount="1.00",
            gateway="bank_transfer",
            transaction_id="T-1",
            now=PAID_AT,
            actor=None,
        )
    assert (err.value.field, err.value.status) == ("invoice", 404)


def test_amounts_are_rounded_to_cents(order, client_account):
    payment, _ = pay(order.invoice, "4.985", transaction_id="BANK-1", now=PAID_AT)
    assert payment.amount == Decimal("4.99")
    assert reload(order.invoice).status == "paid"


def test_paying_one_invoice_leaves_the_others_alone(order, starter, client_account, now):
    other = checkout(client_account, starter, hostname="b.example.com", now=now)
    pay(order.invoice, "4.99", transaction_id="BANK-1", now=PAID_AT)
    assert (reload(other.invoice).status, reload(other).status) == ("unpaid", "pending")
    assert reload(other.items.get().service).status == "pending"
    assert client_amount_due(client_account) == Decimal("4.99") == expected_balance(client_account)
    assert Invoice.objects.filter(status="paid").count() == 1
