"""Property (issue #10, item 2): for any sequence of upgrades, downgrades, billing cycle changes,
payments (money or credit) and queued-credit releases, then a cancellation, the client never holds
more than they paid less the service they received:

    credit − amount due (− queued charges) ≤ money paid − value of the service received (− the rest it still has)

(with nothing due: credit ≤ paid − received). The value received is measured the way the product
measures it: the price on the period's basis times the share of the period between two moments, in
the product's whole units; it is owed whether or not its charge was paid. Every change and the
cancellation round once to the cent, so a cent per rounding is allowed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from moorage.billing.models import Invoice
from moorage.billing.proration import remaining_units
from moorage.billing.queries import client_amount_due, client_credit_balance
from moorage.cancellations.actions import cancellation_request
from moorage.catalog.models import Price, Product
from moorage.core.errors import DomainError
from moorage.payments.actions import invoice_pay_from_credit, payment_record
from moorage.upgrades.actions import midnight, release_queued_credit
from moorage.upgrades.models import UpgradeRequest
from moorage.upgrades.pricing import on_basis
from tests import factories
from tests.automation.conftest import at
from tests.upgrades.conftest import JAN1, active_service, change

R = UpgradeRequest
FEB1 = dt.date(2026, 2, 1)
LAST = at(dt.date(2026, 1, 30), 23)  # every step stays in the first paid period
prices = st.integers(min_value=100, max_value=40_000).map(lambda c: Decimal(c) / 100)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("change"), st.integers(0, 2), st.sampled_from(["monthly", "annually"])),
        st.tuples(st.just("pay"), st.integers(0, 9)),
        st.tuples(st.just("credit"), st.integers(0, 9)),
        st.tuples(st.just("release"), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


def pay_in_full(invoice: Invoice, moment: dt.datetime, txn: str) -> None:
    """Money for the whole invoice, received at `moment` (time only moves forward)."""
    payment_record(
        invoice_id=invoice.pk, amount=invoice.total, gateway="bank_transfer", transaction_id=txn, now=moment, actor=None
    )


def unused_share(moment: dt.datetime, unit: str) -> Fraction:
    left, total = remaining_units(period_start=midnight(JAN1), period_end=midnight(FEB1), moment=moment, unit=unit)
    return Fraction(left, total)


def value_of_service(service, first_price: Decimal, unit: str, *, until: dt.datetime, cancelled: bool) -> Fraction:  # noqa: ANN001
    """What the client owes for the period: the service received until `until` at each plan's price
    (from the moment each change was made), plus — while not cancelled — the rest of the period at
    the current plan, which is theirs too."""
    price, since, value = on_basis(first_price, "monthly", "monthly"), midnight(JAN1), Fraction(0)
    made = R.objects.filter(service=service, applied_at__isnull=False).exclude(status__in=["cancelled", "failed"])
    for req in made.order_by("applied_at", "pk"):
        value += price * (unused_share(since, unit) - unused_share(req.applied_at, unit))
        price, since = on_basis(req.to_price, req.to_cycle, "monthly"), req.applied_at
    value += price * (unused_share(since, unit) - unused_share(until, unit))
    if not cancelled:
        value += price * unused_share(until, unit)
    return value


class CreditPropertyTests(TestCase):
    """Each generated example runs in its own rolled-back transaction."""

    @settings(max_examples=40, deadline=None)
    @given(
        amounts=st.lists(prices, min_size=3, max_size=3),
        settlement=st.sampled_from(["after_payment", "on_order", "queue", "hybrid"]),
        credit=st.sampled_from(["yes", "after_unpaid", "no"]),
        note=st.booleans(),
        unit=st.sampled_from(["days", "hours", "seconds"]),
        fee=st.booleans(),
        plan=steps,
        advance=st.lists(st.integers(0, 3 * 86400), min_size=13, max_size=13),
    )
    def test_credit_never_exceeds_paid_less_received(  # noqa: PLR0913
        self, amounts, settlement, credit, note, unit, fee, plan, advance
    ):
        page = factories.shared_page(name="Plans")
        fields = {
            "credit_on_downgrade": credit,
            "credit_note_on_downgrade": note,
            "auto_upgrade": "on_order" if settlement == "on_order" else "after_payment",
            "queue_prorata": settlement == "queue",
            "billing_type": "hybrid" if settlement == "hybrid" else "prepaid",
            "upgrade_proration": unit,
            "prorate_cancellations": "prepaid",
        }
        products = []
        for i, amount in enumerate(amounts):
            product = Product.objects.create(order_page=page, name=f"P{i}", **fields)
            upgrade_fee = Decimal("0.50") * i if fee else Decimal("0.00")
            Price.objects.create(product=product, cycle="monthly", amount=amount, upgrade_fee=upgrade_fee)
            Price.objects.create(product=product, cycle="annually", amount=amount * 10, upgrade_fee=upgrade_fee)
            products.append(product)
        for product in products:
            product.available_upgrades.add(*[p for p in products if p != product])
        client = factories.client()
        service = active_service(client, products[0], day=JAN1)
        moment = at(JAN1, 13)
        txn = itertools.count(1)
        roundings = 1

        def check(*, cancelled: bool) -> None:
            service.refresh_from_db()
            paid = sum((p.amount for p in client.payments.all()), Decimal("0.00"))
            value = value_of_service(service, amounts[0], unit, until=moment, cancelled=cancelled)
            # Queued pro-rata charges are owed too, though no invoice carries them yet.
            queued = R.objects.filter(service=service, status=R.Status.QUEUED, settlement=R.Settlement.NEXT_INVOICE)
            owed_later = sum((r.charge - getattr(r, "netted", 0) for r in queued), Decimal("0.00"))
            position = client_credit_balance(client) - client_amount_due(client) - owed_later
            allowed = Fraction(paid) - value + Fraction(roundings, 100)
            assert Fraction(position) <= allowed, (position, paid, float(value), roundings)
            assert client_credit_balance(client) >= 0

        for step, seconds in zip(plan, advance, strict=False):
            moment = min(moment + dt.timedelta(seconds=seconds), LAST)
            unpaid = list(Invoice.objects.filter(client=client, status="unpaid").order_by("pk"))
            try:
                if step[0] == "change":
                    change(service, products[step[1]], step[2], now=moment)
                    roundings += 1
                elif step[0] == "pay" and unpaid:
                    pay_in_full(unpaid[step[1] % len(unpaid)], moment, txn=f"T-{next(txn)}")
                elif step[0] == "credit" and unpaid:
                    invoice_pay_from_credit(invoice_id=unpaid[step[1] % len(unpaid)].pk, now=moment, actor=None)
                elif step[0] == "release":
                    self.release(service, moment)
            except DomainError:
                pass  # refused (same plan, a change waiting for payment, no credit): still checked
            check(cancelled=False)

        moment = min(moment + dt.timedelta(seconds=advance[-1]), LAST)
        cancellation_request(service_id=service.pk, type="immediate", reason="done", now=moment, actor=None)
        roundings += 1
        check(cancelled=True)
        # Cancelling settled the queued charges: none is left to a renewal that will never come.
        assert not R.objects.filter(service=service, status=R.Status.QUEUED, settlement=R.Settlement.NEXT_INVOICE)
        # A queued downgrade credit released later (nothing unpaid) still keeps to the rule.
        for invoice in Invoice.objects.filter(client=client, status="unpaid"):
            pay_in_full(invoice, moment, txn=f"T-{next(txn)}")
        self.release(service, moment)
        check(cancelled=True)

    @staticmethod
    def release(service, moment: dt.datetime) -> None:  # noqa: ANN001
        for pk in R.objects.filter(
            service=service, status=R.Status.QUEUED, settlement=R.Settlement.CREDIT_QUEUE
        ).values_list("pk", flat=True):
            with transaction.atomic():
                release_queued_credit(request_id=pk, now=moment)
