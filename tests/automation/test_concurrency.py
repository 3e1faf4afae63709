"""Two `moorage cron` processes for the same date at once (two machines on one PostgreSQL) do the
work once: exactly the invoices, fees and emails of one run."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.db import connection, connections

from moorage.billing.models import Invoice, InvoiceLine
from moorage.catalog.models import BillingDefaults
from moorage.notifications.models import Notification
from moorage.orders.actions import CartItem, order_checkout
from moorage.services.models import Service
from tests import factories
from tests.automation.conftest import at, pay

pytestmark = pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="two processes on one database: PostgreSQL only"
)


def _cron(day: dt.date) -> subprocess.Popen:
    env = os.environ.copy()
    test_db = connection.settings_dict["NAME"]
    base = env["DATABASE_URL"].rsplit("/", 1)[0]
    env["DATABASE_URL"] = f"{base}/{test_db}"
    return subprocess.Popen(
        [sys.executable, "-m", "moorage.cli", "cron", "--date", day.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_two_cron_processes_at_once_do_the_work_once():
    now = dt.datetime(2026, 2, 1, 9, tzinfo=dt.UTC)
    defaults = BillingDefaults.load()
    defaults.late_fee_enabled, defaults.late_fee_days, defaults.suspend_enabled = True, 2, False
    defaults.reminder_before_days = 14
    defaults.save()
    page = factories.shared_page(now=now)
    product = page.products.get(name="Starter Hosting")
    client = factories.client(now=now)
    for i in range(40):  # 40 services due for renewal
        order = order_checkout(client=client, items=[CartItem(product.pk, "monthly", f"s{i}.example.com")], now=now)
        pay(order.invoice, dt.date(2026, 2, 1), txn=f"P{i}")
    for i in range(10):  # 10 unpaid invoices overdue by 5 days: late fee and reminders
        order_checkout(
            client=client,
            items=[CartItem(product.pk, "monthly", f"late{i}.example.com")],
            now=at(dt.date(2026, 2, 10), 9),
        )
    connections.close_all()
    day = dt.date(2026, 2, 15)
    procs = [_cron(day), _cron(day)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert Invoice.objects.filter(kind="renewal").count() == 40
    assert InvoiceLine.objects.filter(kind="service", period_start=dt.date(2026, 3, 1)).count() == 40
    fees = InvoiceLine.objects.filter(kind="late_fee")
    assert fees.count() == 10 and {f.amount for f in fees} == {Decimal("0.50")}
    reminders = Notification.objects.filter(template__startswith="invoice_")
    keys = list(reminders.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))
    assert reminders.filter(template="invoice_reminder").count() == 40
    assert reminders.filter(template="invoice_overdue_3").count() == 10
    assert Notification.objects.filter(template="late_fee_added").count() == 10
    assert Service.objects.filter(status="active").count() == 40
    # Both runs' summaries together add up to one run's work.
    from moorage.automation.models import AutomationRun

    runs = AutomationRun.objects.filter(run_date=day)
    assert runs.count() == 2
    assert sum(r.summary["invoices_created"] for r in runs) == 40
    assert sum(r.summary["late_fees_added"] for r in runs) == 10
