"""Pro-rated cancellation after a change of package in the same period (issue #10, item 2): the
credit is the unused part of what the service is now, not of what was first billed for the period.

Cheap 31.00 a month, Dear 310.00; paid on 1 January for Dear; downgraded on 16 January at 00:05
(15 whole days of 31 left: 279.00 × 15/31 = 135.00 credited, spendable: the period was paid).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from moorage.billing.models import CreditNote
from moorage.billing.queries import client_amount_due, client_credit_balance
from moorage.cancellations.actions import cancellation_request
from tests.automation.conftest import at, pay
from tests.upgrades.conftest import JAN1, active_service, change
from tests.upgrades.test_no_minted_credit import JAN16, JAN21, plans

pytestmark = pytest.mark.django_db


def test_cancelled_after_a_paid_downgrade_credits_the_unused_part_of_the_new_price(shared_page, client_account):
    """Cancelled on 21 Jan at 00:05 (10 whole days left): Dear's paid 310.00 × 10/31 = 100.00, less
    the downgrade's 279.00 × 10/31 = 90.00 (credited already on 16 Jan) → 10.00. Before the fix the
    credit note was 100.00: 135.00 + 100.00 credited for a 310.00 period of which 220.00 was used."""
    cheap, dear = plans(shared_page)
    service = active_service(client_account, dear, day=JAN1)
    change(service, cheap, now=at(JAN16))
    assert client_credit_balance(client_account) == Decimal("135.00")

    cancellation_request(service_id=service.pk, type="immediate", reason="done", now=at(JAN21), actor=None)

    note = CreditNote.objects.get(service=service, cancellation_settlements__isnull=False)
    assert note.amount == Decimal("10.00")
    assert "changes this period: -90.00" in note.reason
    # Paid 310.00; used 16 days of Dear (160.00) and 5 of Cheap (5.00): 145.00 is the client's.
    assert client_credit_balance(client_account) == Decimal("145.00")
    assert client_amount_due(client_account) == Decimal("0.00")


def test_cancelled_after_a_paid_upgrade_credits_the_unused_part_of_the_upgrade_too(shared_page, client_account):
    """Upgrade paid on 16 Jan (135.00); cancelled on 21 Jan: Cheap's 31.00 × 10/31 + the upgrade's
    279.00 × 10/31 = 100.00 (paid 166.00, used 16 + 50 = 66.00)."""
    cheap, dear = plans(shared_page, auto_upgrade="on_order")
    service = active_service(client_account, cheap, day=JAN1)
    up = change(service, dear, now=at(JAN16))
    pay(up.invoice, JAN16, txn="T-up")
    cancellation_request(service_id=service.pk, type="immediate", reason="done", now=at(JAN21), actor=None)
    assert client_credit_balance(client_account) == Decimal("100.00")
    assert client_amount_due(client_account) == Decimal("0.00")
