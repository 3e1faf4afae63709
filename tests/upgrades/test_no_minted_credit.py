"""Credit can't be minted (issue #10, item 2): an upgrade whose charge is unpaid or only queued,
reversed by a downgrade, gives no spendable credit; repeated and then cancelled, the client keeps
at most what they paid less what they used, and owes what they used and did not pay.

Cheap is 31.00 a month, Dear 310.00 (January: 1.00 and 10.00 a day). The service is paid on
1 January; changes are made on 16 January at 00:05: 15 whole days of 31 left, so an upgrade
costs 279.00 × 15/31 = 135.00 and the downgrade back credits 135.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.models import Invoice, LedgerEntry
from moorage.billing.queries import client_amount_due, client_credit_balance
from moorage.cancellations.actions import cancellation_request
from moorage.catalog.models import Product
from moorage.upgrades.models import UpgradeRequest
from tests.automation.conftest import at, pay
from tests.upgrades.conftest import JAN1, active_service, change

pytestmark = pytest.mark.django_db
R = UpgradeRequest
JAN16, JAN21 = dt.date(2026, 1, 16), dt.date(2026, 1, 21)

CONFIGS = {
    # Automatic Upgrades "when the order is placed": the upgrade invoice is issued, the service
    # changes at once; before the fix the downgrade credited 135.00 while the invoice was unpaid.
    "auto_upgrade_on_order": {"auto_upgrade": "on_order"},
    # Queue Pro-rata Charges: the charge waits for the next renewal invoice.
    "queue_prorata": {"queue_prorata": True},
    # Hybrid billing: upgrades are post-paid (queued), the rest pre-paid.
    "hybrid": {"billing_type": Product.BillingType.HYBRID},
}


def plans(page, **fields) -> tuple[Product, Product]:  # noqa: ANN001, ANN003
    common = {"credit_on_downgrade": "yes", "prorate_cancellations": "prepaid", "upgrade_proration": "days", **fields}
    cheap = Product.objects.create(order_page=page, name="Cheap", **common)
    dear = Product.objects.create(order_page=page, name="Dear", **common)
    cheap.prices.create(cycle="monthly", amount=Decimal("31.00"))
    dear.prices.create(cycle="monthly", amount=Decimal("310.00"))
    cheap.available_upgrades.add(dear)
    dear.available_upgrades.add(cheap)
    return cheap, dear


def paid(client) -> Decimal:  # noqa: ANN001
    return sum((p.amount for p in client.payments.all()), Decimal("0.00"))


@pytest.mark.parametrize("config", CONFIGS, ids=list(CONFIGS))
def test_upgrade_and_downgrade_repeated_then_cancelled_mints_no_credit(shared_page, client_account, config):
    cheap, dear = plans(shared_page, **CONFIGS[config])
    service = active_service(client_account, cheap, day=JAN1)
    assert paid(client_account) == Decimal("31.00")

    for _ in range(3):
        up = change(service, dear, now=at(JAN16))
        down = change(service, cheap, now=at(JAN16))
        assert (up.charge, down.charge) == (Decimal("135.00"), Decimal("-135.00"))
        # The downgrade's credit settled the unpaid (or queued) upgrade charge: nothing spendable, nothing due.
        assert client_credit_balance(client_account) == Decimal("0.00")
        assert client_amount_due(client_account) == Decimal("0.00")
        down.refresh_from_db()
        assert down.netted == Decimal("135.00") and down.status == R.Status.APPLIED

    cancellation_request(service_id=service.pk, type="immediate", reason="done", now=at(JAN16, 1), actor=None)

    # Paid 31.00; used 16 of 31 days on Cheap (the two changes at one moment cost nothing): 15.00 is left.
    assert client_credit_balance(client_account) == Decimal("15.00")
    assert client_amount_due(client_account) == Decimal("0.00")
    assert not R.objects.filter(service=service, status=R.Status.QUEUED).exists()
    # Every document adds up: the queued charges were settled by the credits, never billed or dropped.
    assert not Invoice.objects.filter(client=client_account, status="unpaid").exists()


@pytest.mark.parametrize("config", CONFIGS, ids=list(CONFIGS))
def test_an_unpaid_upgrade_cancelled_later_is_still_owed_for_the_days_used(shared_page, client_account, config):
    """Upgraded on 16 Jan (135.00 unpaid or queued), cancelled on 21 Jan at 00:05: 10 whole days
    left. Unused now: Cheap's paid 31.00 × 10/31 + the upgrade's 279.00 × 10/31 = 100.00, which
    pays the upgrade charge first: 35.00 stays owed (paid 31.00, used 16 days of Cheap + 5 of
    Dear = 66.00), and there is no credit. Before the fix the charge was cancelled or dropped
    with the service and 10.00 credited."""
    cheap, dear = plans(shared_page, **CONFIGS[config])
    service = active_service(client_account, cheap, day=JAN1)
    change(service, dear, now=at(JAN16))

    cancellation_request(service_id=service.pk, type="immediate", reason="done", now=at(JAN21), actor=None)

    assert client_credit_balance(client_account) == Decimal("0.00")
    assert client_amount_due(client_account) == Decimal("35.00")
    # credit − due = paid − used, to the cent
    assert client_credit_balance(client_account) - client_amount_due(client_account) == paid(client_account) - Decimal(
        "66.00"
    )
    owed = Invoice.objects.get(client=client_account, status="unpaid")
    assert owed.total == Decimal("135.00")
    assert [line.kind for line in owed.lines.all()] == ["upgrade"]
    assert not R.objects.filter(service=service, status=R.Status.QUEUED).exists()


def test_a_paid_upgrade_then_a_downgrade_credits_what_was_paid(shared_page, client_account):
    """The netting takes nothing from money really paid: an upgrade invoice paid, then the
    downgrade back credits its 135.00 in full, spendable."""
    cheap, dear = plans(shared_page, auto_upgrade="on_order")
    service = active_service(client_account, cheap, day=JAN1)
    up = change(service, dear, now=at(JAN16))
    pay(up.invoice, JAN16, txn="T-up")
    down = change(service, cheap, now=at(JAN16, 2))
    down.refresh_from_db()
    assert down.netted == Decimal("0.00")
    assert client_credit_balance(client_account) == Decimal("135.00")


def test_a_downgrade_credit_partly_settles_a_larger_queued_charge(shared_page, client_account):
    """Queued 135.00 (upgrade on 16 Jan); a downgrade to Cheap on 21 Jan credits 279.00 × 10/31 =
    90.00, which settles 90.00 of the queued charge: 45.00 is left to bill, no credit."""
    cheap, dear = plans(shared_page, queue_prorata=True)
    service = active_service(client_account, cheap, day=JAN1)
    up = change(service, dear, now=at(JAN16))
    down = change(service, cheap, now=at(JAN21))
    up.refresh_from_db()
    down.refresh_from_db()
    assert (up.status, up.netted) == (R.Status.QUEUED, Decimal("90.00"))
    assert (down.netted, down.credit_entry) == (Decimal("90.00"), None)
    assert client_credit_balance(client_account) == Decimal("0.00")
    assert not LedgerEntry.objects.filter(client=client_account, account="credit").exists()

    cancellation_request(service_id=service.pk, type="immediate", reason="done", now=at(JAN21, 1), actor=None)
    # Cancelled at once: the 45.00 left is billed; the unused 10 days of Cheap (10.00) pay part of it.
    bill = Invoice.objects.get(client=client_account, kind="manual")
    assert bill.total == Decimal("45.00")
    assert client_amount_due(client_account) == Decimal("35.00")
    assert client_credit_balance(client_account) == Decimal("0.00")
    up.refresh_from_db()
    assert up.status == R.Status.APPLIED and up.invoice_line.invoice == bill


def test_a_downgrade_priced_over_an_unpaid_renewal_period_then_cancelled(shared_page, client_account):
    """Automatic Renew "when the invoice is issued": the February renewal (310.00) is issued on
    18 Jan and the next due date moves to 1 March, so a downgrade on 20 Jan is priced over all of
    February: 279.00 of credit — for a month not paid. The credit pays that renewal first (31.00
    left: Cheap's price). Cancelled the same day, the renewal is cancelled and the part the credit
    paid comes back — less the downgrade's share of a February never received: 110.00 is left, what
    was paid (310.00) less 20 days of Dear (200.00). Before the fix: 389.00."""
    from tests.automation.conftest import run_day

    cheap, dear = plans(shared_page, renew_on="invoice_issued")
    service = active_service(client_account, dear, day=JAN1)
    run_day(dt.date(2026, 1, 18))
    renewal = Invoice.objects.get(client=client_account, kind="renewal")
    service.refresh_from_db()
    assert (renewal.total, service.next_due_date) == (Decimal("310.00"), dt.date(2026, 3, 1))

    down = change(service, cheap, now=at(dt.date(2026, 1, 20)))
    assert down.charge == Decimal("-279.00")
    assert client_credit_balance(client_account) == Decimal("0.00")
    assert client_amount_due(client_account) == Decimal("31.00")

    cancellation_request(
        service_id=service.pk, type="immediate", reason="done", now=at(dt.date(2026, 1, 20), 1), actor=None
    )
    renewal.refresh_from_db()
    assert renewal.status == "cancelled"
    assert client_amount_due(client_account) == Decimal("0.00")
    assert client_credit_balance(client_account) == Decimal("110.00")
