"""Balances and amounts derived from the ledger."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from moorage.billing.models import Invoice, LedgerEntry
from moorage.core.money import round_money
from moorage.customers.models import Client

ZERO = Decimal("0.00")


def _sum(qs) -> Decimal:  # noqa: ANN001
    # SQLite sums decimals as floats; every stored amount has cents, so rounding the sum is exact.
    return round_money(qs.aggregate(s=Sum("amount"))["s"] or ZERO)


def invoice_outstanding(invoice: Invoice) -> Decimal:
    """What is still owed on the invoice: its receivable entries summed."""
    return _sum(LedgerEntry.objects.filter(invoice=invoice, account=LedgerEntry.Account.RECEIVABLE))


def invoice_paid_amount(invoice: Invoice) -> Decimal:
    """What was paid on the invoice, by payments and applied credit."""
    kinds = [LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.CREDIT_APPLIED]
    return -_sum(LedgerEntry.objects.filter(invoice=invoice, account=LedgerEntry.Account.RECEIVABLE, kind__in=kinds))


def client_credit_balance(client: Client) -> Decimal:
    """The client's credit balance: money held for the client, spendable on invoices."""
    return _sum(LedgerEntry.objects.filter(client=client, account=LedgerEntry.Account.CREDIT))


def client_amount_due(client: Client) -> Decimal:
    """What the client owes on open invoices."""
    return _sum(LedgerEntry.objects.filter(client=client, account=LedgerEntry.Account.RECEIVABLE))


def client_balance(client: Client) -> Decimal:
    """Invoiced − paid − credits: positive means the client owes, negative means credit."""
    return client_amount_due(client) - client_credit_balance(client)


def refundable_amount(invoice: Invoice, payment=None) -> Decimal:  # noqa: ANN001
    """What may still be refunded to credit: paid on the invoice (or applied from one payment of it)
    less what was refunded already. An overpayment is credit already, so it is not counted."""
    refunds = LedgerEntry.objects.filter(account=LedgerEntry.Account.CREDIT, kind=LedgerEntry.Kind.REFUND)
    left = invoice_paid_amount(invoice) - _sum(refunds.filter(invoice=invoice))
    if payment is not None:
        applied = -_sum(
            LedgerEntry.objects.filter(
                payment=payment, account=LedgerEntry.Account.RECEIVABLE, kind=LedgerEntry.Kind.PAYMENT
            )
        )
        left = min(left, applied - _sum(refunds.filter(payment=payment)))
    return max(left, ZERO)
