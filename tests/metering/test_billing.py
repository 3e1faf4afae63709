"""Metered billing walked through the calendar: order, usage sampled over a month, the invoice after it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from moorage.automation.run import automation_run
from moorage.billing.models import Invoice, LedgerEntry
from moorage.catalog.models import Price
from moorage.metering.actions import usage_collect
from moorage.metering.models import UsageSync
from moorage.orders.actions import CartItem, order_checkout
from moorage.provisioning.runner import run_due_jobs
from moorage.services.models import Service
from tests import factories
from tests.metering.conftest import D, at, order_metered

pytestmark = pytest.mark.django_db
GIB = 1024


def run_day(day):  # noqa: ANN001, ANN201
    result = automation_run(today=day, now=at(day))
    assert not result.failures, result.failures
    return result


def sample(panel, connection, moment, **usage):  # noqa: ANN001, ANN003, ANN201
    panel.set_usage("shop", **usage)
    return usage_collect(connection_id=connection.pk, now=moment)


def test_a_metered_product_is_ordered_without_an_invoice_and_starts_at_once(metered, client_account, now):
    order = order_checkout(client=client_account, items=[CartItem(metered.pk, "", "shop.example.com")], now=now)
    assert order.invoice is None  # nothing to pay up front: no setup fee, usage is billed after the period
    service = order.items.get().service
    assert (service.cycle, service.recurring_amount) == ("monthly", Decimal("0.00"))
    assert run_due_jobs(now=now) == 1
    service.refresh_from_db()
    # Post-paid by nature: the first period starts today and is billed when it ends.
    assert (service.status, service.start_date, service.next_due_date) == ("active", D(2026, 1, 15), D(2026, 1, 15))


def test_a_month_of_usage_is_billed_the_day_after_the_period_with_one_line_per_resource(
    panel, connection, metered, client_account
):
    service = order_metered(client_account, metered, D(2026, 1, 15))
    # Usage over the period 15 Jan – 14 Feb (the panel's traffic counter is month-to-date):
    sample(panel, connection, at(D(2026, 1, 15), 12), quota_used=500, traff_used=2 * GIB)  # 2 GiB so far
    panel.call("site.edit", sok="ok", su="shop", site_name="blog.example.com", site_owner="shop")  # a 2nd website
    sample(panel, connection, at(D(2026, 1, 20), 12), quota_used=3584, traff_used=20 * GIB)  # disk peak 3.5 GiB; +18
    sample(panel, connection, at(D(2026, 1, 31), 23), quota_used=2048, traff_used=40 * GIB)  # +20
    sample(panel, connection, at(D(2026, 2, 1), 1), traff_used=10 * GIB)  # new month: +10
    sample(panel, connection, at(D(2026, 2, 14), 23), quota_used=1024, traff_used=60 * GIB)  # +50
    sample(panel, connection, at(D(2026, 2, 15), 1), quota_used=9999, traff_used=61 * GIB)  # the next period

    run_day(D(2026, 2, 14))
    assert not Invoice.objects.exists()  # the period has not ended
    run_day(D(2026, 2, 15))

    invoice = Invoice.objects.get()
    period = ("monthly", D(2026, 1, 15), D(2026, 2, 14))
    # Disk: peak 3,584 MiB = 3.5 GiB, 1 included → 2.5 × 0.50 = 1.25.
    # Bandwidth: 2 + 18 + 20 + 10 + 50 = 100 GiB, 10 included → 90 billable:
    #   50 × 0.10 = 5.00, 30 × 0.08 = 2.40, 10 × 0.05 = 0.50 → 7.90.
    # Websites: peak 2, 1 included → 1 × 0.125 = 0.125 → 0.13 (rounded half-up per line).
    assert factories.invoice_lines(invoice) == [
        ("service", "Metered Hosting - shop.example.com", "0.00", *period),
        ("other", "Disk space: 3.5 GiB peak, 1 GiB included, 2.5 GiB × 0.50", "1.25", *period),
        (
            "other",
            "Bandwidth: 100 GiB total, 10 GiB included, 50 GiB × 0.10 + 30 GiB × 0.08 + 10 GiB × 0.05",
            "7.90",
            *period,
        ),
        ("other", "Websites: 2 peak, 1 included, 1 × 0.125", "0.13", *period),
    ]
    assert (invoice.kind, invoice.total, invoice.status) == ("renewal", Decimal("9.28"), "unpaid")
    assert (invoice.issue_date, invoice.due_date) == (D(2026, 2, 15), D(2026, 2, 15))
    assert factories.ledger_rows(client_account) == [("receivable", "invoice_issued", "9.28", invoice.number)]
    service.refresh_from_db()
    assert service.next_due_date == D(2026, 2, 15)

    # Never twice: the same day again, and the next days of the new period, issue nothing.
    run_day(D(2026, 2, 15))
    run_day(D(2026, 2, 16))
    assert Invoice.objects.count() == 1
    assert factories.expected_balance(client_account) == Decimal("9.28")


def test_a_period_within_the_included_quantities_is_invoiced_at_zero_and_paid_at_once(
    panel, connection, metered, client_account
):
    order_metered(client_account, metered, D(2026, 1, 15))
    sample(panel, connection, at(D(2026, 1, 20), 12), quota_used=700, traff_used=5 * GIB)
    run_day(D(2026, 2, 15))
    invoice = Invoice.objects.get()
    assert [line[2] for line in factories.invoice_lines(invoice)] == ["0.00", "0.00", "0.00", "0.00"]
    assert (invoice.total, invoice.status, invoice.paid_date) == (Decimal("0.00"), "paid", D(2026, 2, 15))
    assert not LedgerEntry.objects.exists()  # nothing owed, nothing paid


def test_a_resource_without_samples_is_billed_as_no_usage(panel, connection, metered, client_account):
    order_metered(client_account, metered, D(2026, 1, 15))
    run_day(D(2026, 2, 15))
    descriptions = [line[1] for line in factories.invoice_lines(Invoice.objects.get())]
    assert descriptions[1:] == [
        "Disk space: no usage recorded, 1 GiB included",
        "Bandwidth: no usage recorded, 10 GiB included",
        "Websites: no usage recorded, 1 included",
    ]


def test_a_base_price_and_setup_fee_of_a_metered_product(panel, connection, metered, client_account, now):
    Price.objects.create(product=metered, cycle="monthly", amount=Decimal("5.00"), setup_fee=Decimal("10.00"))
    order = order_checkout(client=client_account, items=[CartItem(metered.pk, "monthly", "shop.example.com")], now=now)
    # The first invoice holds only the setup fee; the base price is billed with the usage, after the period.
    assert factories.invoice_lines(order.invoice) == [("setup", "Setup fee: Metered Hosting", "10.00", "", None, None)]
    factories.pay(order.invoice, "10.00", transaction_id="T-1", now=now)
    run_due_jobs(now=now)
    service = Service.objects.get()
    assert (service.status, service.next_due_date, service.recurring_amount) == (
        "active",
        D(2026, 1, 15),
        Decimal("5.00"),
    )
    sample(panel, connection, at(D(2026, 1, 20), 12), quota_used=2048, traff_used=GIB)
    run_day(D(2026, 2, 15))
    renewal = Invoice.objects.get(kind="renewal")
    # Base 5.00 + disk (2 GiB − 1 included) × 0.50 = 0.50; bandwidth within its 10 GiB; 1 website included.
    assert [(line[0], line[2]) for line in factories.invoice_lines(renewal)] == [
        ("service", "5.00"),
        ("other", "0.50"),
        ("other", "0.00"),
        ("other", "0.00"),
    ]
    assert renewal.total == Decimal("5.50")


def test_the_automation_queues_each_connections_usage_job_at_most_hourly(
    panel, connection, metered, client_account, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    order_metered(client_account, metered, D(2026, 1, 15))
    with django_capture_on_commit_callbacks(execute=True):
        result = automation_run(today=D(2026, 1, 16), now=at(D(2026, 1, 16), 10))
    assert result.counts["usage_syncs_queued"] == 1
    assert UsageSync.objects.get(connection=connection).queued_at == at(D(2026, 1, 16), 10)
    task = DBTaskResult.objects.get(task_path="moorage.metering.tasks.collect_usage")
    assert task.args_kwargs == {"args": [connection.pk], "kwargs": {}}
    # Nothing was read from the panel by the run itself: the worker does that.
    assert UsageSync.objects.get(connection=connection).finished_at is None

    with django_capture_on_commit_callbacks(execute=True):
        again = automation_run(today=D(2026, 1, 16), now=at(D(2026, 1, 16), 10, 35))
    assert again.counts["usage_syncs_queued"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        later = automation_run(today=D(2026, 1, 16), now=at(D(2026, 1, 16), 11, 5))
    assert later.counts["usage_syncs_queued"] == 1
    assert DBTaskResult.objects.filter(task_path="moorage.metering.tasks.collect_usage").count() == 2

    # The worker's task runs the job.
    from moorage.metering.tasks import collect_usage

    panel.set_usage("shop", quota_used=64)
    assert collect_usage.call(connection.pk) == "1 accounts, 8 samples"
