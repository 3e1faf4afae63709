"""Whatever happens to a client's money, balance = invoiced − paid − credits, from the ledger."""

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from moorage.billing.actions import credit_add, invoice_cancel
from moorage.billing.models import Invoice
from moorage.billing.queries import client_balance, invoice_outstanding, invoice_paid_amount
from moorage.core.errors import DomainError
from moorage.payments.actions import invoice_pay_from_credit
from tests import factories
from tests.factories import checkout, expected_balance, pay

NOW = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)
cents = st.integers(min_value=1, max_value=3000).map(lambda c: Decimal(c) / 100)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("order"), st.sampled_from(["monthly", "annually"])),
        st.tuples(st.just("pay"), st.integers(0, 5), cents),
        st.tuples(st.just("retry"), st.integers(0, 5)),
        st.tuples(st.just("credit"), cents),
        st.tuples(st.just("from_credit"), st.integers(0, 5)),
        st.tuples(st.just("cancel"), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=12,
)


class BalanceTests(TestCase):
    """Each generated example runs in its own rolled-back transaction."""

    @settings(max_examples=40, deadline=None)
    @given(steps=steps)
    def test_balance_is_always_explained(self, steps):  # noqa: ANN001
        starter = factories.shared_page(now=NOW).products.get(code="starter")
        client_account = factories.client(now=NOW)
        txn = itertools.count(1)
        payments: list[tuple[Invoice, str, str]] = []
        checkout(client_account, starter, now=NOW)
        for step in steps:
            invoices = list(Invoice.objects.filter(client=client_account).order_by("pk"))
            pick = invoices[step[1] % len(invoices)] if step[0] in ("pay", "retry", "from_credit", "cancel") else None
            try:
                if step[0] == "order":
                    checkout(
                        client_account,
                        starter,
                        cycle=step[1],
                        hostname=f"h{next(txn)}.example.com",
                        now=NOW,
                    )
                elif step[0] == "pay":
                    tid = f"T-{next(txn)}"
                    pay(pick, str(step[2]), transaction_id=tid, now=NOW)
                    payments.append((pick, str(step[2]), tid))
                elif step[0] == "retry" and payments:
                    invoice, amount, tid = payments[step[1] % len(payments)]
                    assert pay(invoice, amount, transaction_id=tid, now=NOW)[1] is False
                elif step[0] == "credit":
                    credit_add(client=client_account, amount=step[1], reason="test", now=NOW, actor=None)
                elif step[0] == "from_credit":
                    invoice_pay_from_credit(invoice_id=pick.pk, now=NOW, actor=None)
                elif step[0] == "cancel":
                    invoice_cancel(invoice_id=pick.pk, now=NOW, cancelled_on=NOW.date(), actor=None)
            except DomainError:
                pass  # refused (paid or cancelled invoice, no credit): still checked below
            assert client_balance(client_account) == expected_balance(client_account)
            for invoice in Invoice.objects.filter(client=client_account):
                outstanding = invoice_outstanding(invoice)
                if invoice.status == "unpaid":
                    assert Decimal("0.00") < outstanding <= invoice.total
                    assert invoice_paid_amount(invoice) == invoice.total - outstanding
                else:
                    assert outstanding == Decimal("0.00")
                if invoice.status == "paid":
                    assert invoice_paid_amount(invoice) == invoice.total
