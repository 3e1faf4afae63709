"""Twice at the same moment: two cron processes pay a renewal from credit once (PostgreSQL), and two
"turn auto renewal off" clicks make one cancellation request."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest

from moorage.billing.actions import credit_add
from moorage.billing.models import Invoice, LedgerEntry
from moorage.catalog.models import BillingDefaults
from moorage.servicefunctions.actions import auto_payment_set, auto_renewal_set
from moorage.services.models import CancellationRequest, Service
from tests import factories
from tests.automation.conftest import at, pay
from tests.automation.test_concurrency import _cron
from tests.threads import race

D = dt.date
POSTGRES = "postgres" in os.environ.get("DATABASE_URL", "")


def _paid_service() -> Service:
    defaults = BillingDefaults.load()
    defaults.apply_credit_automatically = False
    defaults.save()
    page = factories.shared_page(now=at(D(2026, 1, 15)))
    client = factories.client(now=at(D(2026, 1, 15)))
    order = factories.checkout(client, page.products.get(name="Starter Hosting"), now=at(D(2026, 1, 15), 9))
    pay(order.invoice, D(2026, 1, 15))
    return Service.objects.get()


@pytest.mark.skipif(not POSTGRES, reason="two processes on one database: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_two_cron_processes_pay_the_renewal_from_credit_once():
    service = _paid_service()
    credit_add(client=service.client, amount=Decimal("50.00"), reason="prepaid", now=at(D(2026, 1, 16)), actor=None)
    auto_payment_set(service_id=service.pk, on=True, now=at(D(2026, 1, 16)), actor=None)
    procs = [_cron(D(2026, 2, 1)), _cron(D(2026, 2, 1))]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    (invoice,) = Invoice.objects.filter(kind="renewal")
    assert invoice.status == "paid"
    applied = LedgerEntry.objects.filter(client=service.client, account="credit", kind="credit_applied")
    assert applied.count() == 1 and -applied.get().amount == invoice.total


@pytest.mark.django_db(transaction=True)
def test_two_clicks_turning_renewal_off_at_once_make_one_request():
    service = _paid_service()

    def off() -> bool:
        return auto_renewal_set(service_id=service.pk, on=False, now=at(D(2026, 1, 20)), actor=None)

    results = race(off, off)
    assert sorted(r for r in results if isinstance(r, bool)) in ([False, True], [True]), results
    assert CancellationRequest.objects.filter(service=service).count() == 1
