"""Property tests over random plans, cycles and change moments (issue 7, "Checked by")."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from moorage.billing.models import Invoice, LedgerEntry, Payment
from moorage.billing.queries import client_balance
from moorage.catalog.models import Price, Product
from moorage.core.clock import business_tz
from moorage.core.errors import DomainError
from moorage.upgrades.models import UpgradeRequest
from moorage.upgrades.pricing import CYCLE_DAYS, change_amount
from tests import factories
from tests.automation.conftest import at, run_day
from tests.upgrades.conftest import JAN1, active_service, change

CYCLE_DAYS_D = {cycle: Decimal(days.numerator) / Decimal(days.denominator) for cycle, days in CYCLE_DAYS.items()}
CYCLES = ["monthly", "quarterly", "annually", "weekly"]
UNITS = ["seconds", "hours", "days"]
cents = st.integers(min_value=0, max_value=50_000).map(lambda c: Decimal(c) / 100)
positive = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)  # a paid order
fees = st.integers(min_value=0, max_value=2_000).map(lambda c: Decimal(c) / 100)
moments = st.integers(min_value=0, max_value=7 * 86400 - 1)  # seconds into the first week (in every period)


def plan(page, name: str, prices: dict[str, Decimal], fee: Decimal = Decimal("0"), **fields) -> Product:  # noqa: ANN003
    product = Product.objects.create(order_page=page, name=name, **fields)
    for cycle, amount in prices.items():
        Price.objects.create(product=product, cycle=cycle, amount=amount, upgrade_fee=fee)
    return product


# --- pure: the pro-rata never exceeds the price difference ----------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    old=cents,
    new=cents,
    fee=fees,
    old_cycle=st.sampled_from(CYCLES),
    new_cycle=st.sampled_from(CYCLES),
    basis=st.sampled_from(CYCLES),
    length=st.integers(1, 400 * 86400),
    offset=st.integers(-86400, 401 * 86400),
    unit=st.sampled_from(UNITS),
)
def test_pro_rata_never_exceeds_the_price_difference(old, new, fee, old_cycle, new_cycle, basis, length, offset, unit):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(seconds=length)
    moment = start + dt.timedelta(seconds=offset)
    amount = change_amount(
        old_price=old,
        old_cycle=old_cycle,
        new_price=new,
        new_cycle=new_cycle,
        basis_cycle=basis,
        fee=fee,
        period_start=start,
        period_end=end,
        moment=moment,
        unit=unit,
    )
    tiny = Decimal("1e-20")  # the decimals shown carry 28 digits; the arithmetic behind them is exact
    assert Decimal(0) <= amount.remaining <= Decimal(1)
    assert abs(amount.prorata) <= abs(amount.difference)
    assert abs(amount.total - fee) <= abs(amount.difference) + Decimal("0.005") + tiny
    if old_cycle == new_cycle == basis:
        assert amount.difference == new - old  # billing-semantics §4 exactly
    else:
        per_day = (new / CYCLE_DAYS_D[new_cycle] - old / CYCLE_DAYS_D[old_cycle]) * CYCLE_DAYS_D[basis]
        assert abs(amount.difference - per_day) < tiny
    # Rounded once, half-up, to cents: within half a cent of the exact amount, never more.
    assert amount.total == amount.total.quantize(Decimal("0.01"))
    assert abs(amount.total - (amount.prorata + fee)) <= Decimal("0.005") + tiny


# --- with the database ------------------------------------------------------------------------------


def documents_balance(client) -> Decimal:  # noqa: ANN001
    """Invoiced − paid − credits, from the documents (not the ledger's sums)."""
    invoiced = sum(
        (i.total for i in Invoice.objects.filter(client=client).exclude(status="cancelled")), Decimal("0.00")
    )
    paid = sum((p.amount for p in Payment.objects.filter(client=client)), Decimal("0.00"))
    # A downgrade credit is given less the queued charges it settled (issue #10: netting); what it
    # then paid of an unpaid charge stays in the balance (credit applied moves it, not changes it).
    credits = sum(
        (
            r.credit_entry.amount
            for r in UpgradeRequest.objects.filter(service__client=client, credit_entry__isnull=False)
        ),
        Decimal("0.00"),
    )
    return invoiced - paid - credits


def lines_add_up() -> None:
    """Every invoice's total is the sum of its lines and of its receivable ledger entries; every
    upgrade line is its request's charge."""
    for invoice in Invoice.objects.all():
        lines = sum((line.amount for line in invoice.lines.all()), Decimal("0.00"))
        billed = sum(
            (
                e.amount
                for e in LedgerEntry.objects.filter(
                    invoice=invoice, account="receivable", kind__in=["invoice_issued", "invoice_line_added"]
                )
            ),
            Decimal("0.00"),
        )
        assert invoice.total == lines == billed
    for req in UpgradeRequest.objects.filter(invoice__isnull=False, invoice__kind="upgrade"):
        assert req.invoice.total == req.charge
    for req in UpgradeRequest.objects.filter(invoice_line__isnull=False):
        assert req.invoice_line.amount == req.charge - req.netted  # less what a downgrade credit settled


class UpgradePropertyTests(TestCase):
    """Each generated example runs in its own rolled-back transaction."""

    @settings(max_examples=40, deadline=None)
    @given(
        a=positive,
        b=positive,
        fee=fees,
        cycle_a=st.sampled_from(CYCLES),
        cycle_b=st.sampled_from(CYCLES),
        same_product=st.booleans(),
        seconds=moments,
        unit=st.sampled_from(UNITS),
    )
    def test_upgrade_then_reverse_downgrade_nets_to_the_upgrade_fee(
        self, a, b, fee, cycle_a, cycle_b, same_product, seconds, unit
    ):
        page = factories.shared_page(name="Plans")
        common = {"auto_upgrade": "on_order", "credit_on_downgrade": "yes", "upgrade_proration": unit}
        if same_product and cycle_a != cycle_b:
            one = plan(page, "One", {cycle_a: a}, **common)
            Price.objects.create(product=one, cycle=cycle_b, amount=b, upgrade_fee=fee)
            first, second = one, one
        else:
            first = plan(page, "A", {cycle_a: a}, **common)
            second = plan(page, "B", {cycle_b: b}, fee, **common)
            first.available_upgrades.add(second)
            second.available_upgrades.add(first)
        client = factories.client()
        service = active_service(client, first, cycle=cycle_a)
        moment = dt.datetime.combine(JAN1, dt.time(0), tzinfo=business_tz()) + dt.timedelta(hours=10, seconds=seconds)

        up = change(service, second, cycle_b, now=moment)
        down = change(service, first, cycle_a, now=moment)

        assert (service.product, service.cycle, service.recurring_amount) == (first, cycle_a, a)
        assert up.charge + down.charge == fee
        assert client_balance(client) == fee == documents_balance(client)
        lines_add_up()

    @settings(max_examples=25, deadline=None)
    @given(
        prices=st.lists(positive, min_size=3, max_size=3),
        settlement=st.sampled_from(["invoice", "on_order", "queue", "hybrid"]),
        credit=st.sampled_from(["no", "yes", "after_unpaid"]),
        note=st.booleans(),
        steps=st.lists(
            st.one_of(
                st.tuples(st.just("change"), st.integers(0, 2), st.sampled_from(["monthly", "annually"])),
                st.tuples(st.just("pay"), st.integers(0, 9)),
                st.tuples(st.just("run")),
            ),
            min_size=1,
            max_size=10,
        ),
        advance=st.lists(st.integers(0, 5 * 86400), min_size=10, max_size=10),
    )
    def test_the_ledger_always_balances(self, prices, settlement, credit, note, steps, advance):
        page = factories.shared_page(name="Plans")
        fields = {
            "credit_on_downgrade": credit,
            "credit_note_on_downgrade": note,
            "auto_upgrade": "on_order" if settlement == "on_order" else "after_payment",
            "queue_prorata": settlement == "queue",
            "billing_type": "hybrid" if settlement == "hybrid" else "prepaid",
        }
        products = [
            plan(page, f"P{i}", {"monthly": price, "annually": price * 10}, Decimal("0.50") * i, **fields)
            for i, price in enumerate(prices)
        ]
        for product in products:
            product.available_upgrades.add(*[p for p in products if p != product])
        client = factories.client()
        service = active_service(client, products[0])
        moment = at(JAN1, 10)
        txn = itertools.count(1)
        for step, seconds in zip(steps, advance, strict=False):
            moment += dt.timedelta(seconds=seconds)
            try:
                if step[0] == "change":
                    change(service, products[step[1]], step[2], now=moment)
                elif step[0] == "pay":
                    unpaid = list(Invoice.objects.filter(client=client, status="unpaid").order_by("pk"))
                    if unpaid:
                        invoice = unpaid[step[1] % len(unpaid)]
                        factories.pay(invoice, str(invoice.total), transaction_id=f"T-{next(txn)}", now=moment)
                else:
                    assert not run_day(moment.astimezone(business_tz()).date()).failures
            except DomainError:
                pass  # refused (same plan, pending change, renewal issued): still checked below
            service.refresh_from_db()
            assert client_balance(client) == documents_balance(client)
            lines_add_up()
