"""Calendar helpers: run the automation day by day, with the clock as a parameter."""

from __future__ import annotations

import datetime as dt

import pytest

from moorage.automation.run import automation_run
from moorage.core.clock import business_tz
from moorage.payments.actions import payment_record
from tests.provisioning.conftest import connection, hosting, panel  # noqa: F401  (the emulator fixtures)


def at(day: dt.date, hour: int = 0, minute: int = 5) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=business_tz())


def run_day(day: dt.date):  # noqa: ANN201
    return automation_run(today=day, now=at(day))


def walk(start: dt.date, end: dt.date, on_day=None) -> dict[str, int]:  # noqa: ANN001
    """Run the automation for every day from start to end (inclusive); returns summed counts."""
    totals: dict[str, int] = {}
    day = start
    while day <= end:
        result = run_day(day)
        assert not result.failures, result.failures
        for key, value in result.counts.items():
            totals[key] = totals.get(key, 0) + value
        if on_day:
            on_day(day)
        day += dt.timedelta(days=1)
    return totals


def pay(invoice, day: dt.date, txn: str | None = None):  # noqa: ANN001, ANN201
    return payment_record(
        invoice_id=invoice.pk,
        amount=invoice.total,
        gateway="bank_transfer",
        transaction_id=txn or f"T-{invoice.number}",
        now=at(day, 12),
        actor=None,
    )


@pytest.fixture
def defaults(db):  # noqa: ANN001, ANN201
    from moorage.catalog.models import BillingDefaults

    return BillingDefaults.load()
