"""Walking the automation to a service's first renewal invoice (Service Auto Payment tests)."""

from __future__ import annotations

import datetime as dt

from moorage.billing.models import Invoice
from moorage.payments.models import AutoCharge
from tests.automation.conftest import run_day


def renewal_day(
    first: dt.date = dt.date(2026, 1, 17), last: dt.date = dt.date(2026, 2, 20)
) -> tuple[Invoice, AutoCharge]:
    """Run the automation day by day until the renewal invoice is issued; it and its card charge."""
    day = first
    while not Invoice.objects.filter(kind=Invoice.Kind.RENEWAL).exists():
        assert day < last, "no renewal invoice was issued"
        run_day(day)
        day += dt.timedelta(days=1)
    invoice = Invoice.objects.get(kind=Invoice.Kind.RENEWAL)
    return invoice, AutoCharge.objects.get(invoice=invoice)
