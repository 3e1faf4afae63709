"""Invoices: issue, add a line, cancel (paid part to credit), credit by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from moorage.billing.actions import LineSpec, add_line, credit_add, credit_remove, invoice_cancel, issue_invoice
from moorage.billing.models import Invoice, InvoiceLine
from moorage.billing.queries import client_balance, client_credit_balance, invoice_outstanding
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import AuditEntry
from tests.factories import checkout, expected_balance, invoice_lines, ledger_rows, pay

D = dt.date
LATER = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def order(starter, client_account, now):  # noqa: ANN001, ANN201
    return checkout(client_account, starter, now=now)


def test_cancel_an_unpaid_invoice(order, client_account, staff):
    invoice = invoice_cancel(
        invoice_id=order.invoice.pk,
        now=LATER,
        cancelled_on=D(2026, 1, 20),
        actor=staff,
        reason="client changed mind",
    )
    assert (invoice.status, invoice.cancelled_date, invoice.number) == (
        "cancelled",
        D(2026, 1, 20),
        1,
    )
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "4.99", 1),
        ("receivable", "invoice_cancelled", "-4.99", 1),
    ]
    assert client_balance(client_account) == Decimal("0.00") == expected_balance(client_account)
    entry = AuditEntry.objects.get(action="invoice_cancel")
    assert (entry.actor, entry.message) == (staff, "client changed mind")


def test_cancel_with_a_partial_payment_moves_the_paid_part_to_credit(order, client_account):
    pay(order.invoice, "2.00", transaction_id="BANK-1", now=LATER)
    invoice_cancel(invoice_id=order.invoice.pk, now=LATER, cancelled_on=D(2026, 1, 20), actor=None)
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "4.99", 1),
        ("receivable", "payment", "-2.00", 1),
        ("receivable", "invoice_cancelled", "-4.99", 1),
        ("receivable", "credit_added", "2.00", 1),
        ("credit", "credit_added", "2.00", 1),
    ]
    assert invoice_outstanding(order.invoice) == Decimal("0.00")
    assert client_credit_balance(client_account) == Decimal("2.00")
    assert client_balance(client_account) == Decimal("-2.00") == expected_balance(client_account)


def test_a_cancelled_invoice_keeps_its_number(order, starter, client_account, now):
    invoice_cancel(invoice_id=order.invoice.pk, now=LATER, cancelled_on=D(2026, 1, 20), actor=None)
    again = checkout(client_account, starter, hostname="b.example.com", now=LATER)
    assert (again.invoice.number, Invoice.objects.get(pk=order.invoice.pk).number) == (2, 1)


@pytest.mark.parametrize("first", ["pay", "cancel"])
def test_only_an_unpaid_invoice_can_be_cancelled(order, unchanged, first):
    if first == "pay":
        pay(order.invoice, "4.99", transaction_id="BANK-1", now=LATER)
    else:
        invoice_cancel(invoice_id=order.invoice.pk, now=LATER, cancelled_on=D(2026, 1, 20), actor=None)
    with unchanged(), pytest.raises(DomainError) as err:
        invoice_cancel(invoice_id=order.invoice.pk, now=LATER, cancelled_on=D(2026, 1, 21), actor=None)
    assert (err.value.field, err.value.code) == ("invoice", "invoice_not_unpaid")


def test_cancel_an_unknown_invoice(db, unchanged):
    with unchanged(), pytest.raises(NotFound):
        invoice_cancel(invoice_id=424242, now=LATER, cancelled_on=D(2026, 1, 20), actor=None)


def test_credit_added_by_hand(client_account, staff):
    entry = credit_add(
        client=client_account,
        amount=Decimal("12.345"),
        reason="  goodwill  ",
        now=LATER,
        actor=staff,
    )
    assert (entry.account, entry.kind, entry.amount, entry.memo, entry.actor, entry.invoice) == (
        "credit",
        "credit_added",
        Decimal("12.35"),
        "goodwill",
        staff,
        None,
    )
    assert client_balance(client_account) == Decimal("-12.35") == expected_balance(client_account)
    assert AuditEntry.objects.get(action="credit_add").data == {"amount": "12.35"}


@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [
        (Decimal("0"), "x", "amount"),
        (Decimal("-5"), "x", "amount"),
        (Decimal("0.004"), "x", "amount"),
        ("ten", "x", "amount"),
        (1.5, "x", "amount"),
        (Decimal("1e11"), "x", "amount"),
        ("1e999999", "x", "amount"),  # quantizing this raises; the bound is checked first
        (Decimal("5"), "   ", "reason"),
    ],
)
def test_refused_credit(client_account, staff, unchanged, amount, reason, field):
    with unchanged(), pytest.raises(DomainError) as err:
        credit_add(client=client_account, amount=amount, reason=reason, now=LATER, actor=staff)
    assert err.value.field == field


@pytest.mark.parametrize("amount", ["1e999999", "-1e999999", "0.001", "NaN"])
def test_staff_removal_of_credit_refuses_a_hostile_amount(client_account, staff, unchanged, amount):
    credit_add(client=client_account, amount=Decimal("10"), reason="goodwill", now=LATER, actor=staff)
    with unchanged(), pytest.raises(DomainError) as err:
        credit_remove(client=client_account, amount=amount, reason="mistake", now=LATER, actor=staff)
    assert err.value.field == "amount"


@pytest.mark.django_db
def test_issue_an_invoice_rounds_each_line_and_sums_the_rounded_lines(client_account):
    with transaction.atomic():
        invoice = issue_invoice(
            client=client_account,
            kind=Invoice.Kind.MANUAL,
            issue_date=D(2026, 1, 20),
            due_date=D(2026, 1, 27),
            now=LATER,
            lines=[
                LineSpec(kind="other", description="a third", amount=Decimal(10) / 3),
                LineSpec(kind="other", description="another third", amount=Decimal(10) / 3),
                LineSpec(kind="other", description="half a cent", amount=Decimal("0.005")),
            ],
        )
    assert [line[2] for line in invoice_lines(invoice)] == ["3.33", "3.33", "0.01"]
    assert invoice.total == Decimal("6.67")
    assert ledger_rows(client_account) == [("receivable", "invoice_issued", "6.67", 1)]


@pytest.mark.django_db
def test_an_invoice_needs_lines(client_account, unchanged):
    with unchanged(), pytest.raises(DomainError) as err, transaction.atomic():
        issue_invoice(
            client=client_account,
            kind="manual",
            lines=[],
            issue_date=D(2026, 1, 20),
            due_date=D(2026, 1, 20),
            now=LATER,
        )
    assert err.value.field == "lines"


@pytest.mark.django_db(transaction=True)
def test_inner_steps_refuse_to_run_outside_a_transaction(client_account):
    with pytest.raises(RuntimeError):
        issue_invoice(
            client=client_account,
            kind="manual",
            issue_date=D(2026, 1, 20),
            due_date=D(2026, 1, 20),
            now=LATER,
            lines=[LineSpec(kind="other", description="x", amount=Decimal("1.00"))],
        )
    assert not Invoice.objects.exists()


def test_a_line_added_to_an_unpaid_invoice(order, client_account):
    with transaction.atomic():
        add_line(
            invoice=order.invoice,
            now=LATER,
            spec=LineSpec(
                kind="late_fee",
                description="Late fee",
                amount=Decimal("0.499"),
                service=order.items.get().service,
            ),
        )
    order.invoice.refresh_from_db()
    assert order.invoice.total == Decimal("5.49")
    assert ledger_rows(client_account) == [
        ("receivable", "invoice_issued", "4.99", 1),
        ("receivable", "invoice_line_added", "0.50", 1),
    ]
    pay(order.invoice, "5.49", transaction_id="BANK-1", now=LATER)
    assert client_balance(client_account) == Decimal("0.00") == expected_balance(client_account)


def test_no_line_is_added_to_a_paid_invoice(order, unchanged):
    pay(order.invoice, "4.99", transaction_id="BANK-1", now=LATER)
    order.invoice.refresh_from_db()
    with unchanged(), pytest.raises(DomainError), transaction.atomic():
        add_line(
            invoice=order.invoice,
            now=LATER,
            spec=LineSpec(kind="other", description="x", amount=Decimal("1.00")),
        )


def test_never_two_invoices_for_the_same_period_of_a_service(order, client_account):
    line = order.invoice.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        issue_invoice(
            client=client_account,
            kind="renewal",
            issue_date=D(2026, 1, 20),
            due_date=D(2026, 1, 20),
            now=LATER,
            lines=[
                LineSpec(
                    kind="service",
                    description="again",
                    amount=Decimal("4.99"),
                    service=line.service,
                    cycle="monthly",
                    period_start=line.period_start,
                    period_end=line.period_end,
                )
            ],
        )
    assert InvoiceLine.objects.count() == 1


def test_one_late_fee_per_invoice(order):
    service = order.items.get().service
    spec = LineSpec(kind="late_fee", description="Late fee", amount=Decimal("1.00"), service=service)
    with transaction.atomic():
        add_line(invoice=order.invoice, spec=spec, now=LATER)
    with pytest.raises(IntegrityError), transaction.atomic():
        add_line(invoice=order.invoice, spec=spec, now=LATER)
