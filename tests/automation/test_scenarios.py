"""Billing stories walked through the calendar: renewals, late payers, non-payers, unpaid orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from moorage.automation.models import AutomationRun, AutomationRunItem
from moorage.billing.models import Invoice, InvoiceLine, LedgerEntry
from moorage.billing.queries import client_balance
from moorage.catalog.models import Product
from moorage.notifications.models import Notification
from moorage.orders.actions import CartItem, order_checkout
from moorage.orders.models import Order
from moorage.services.models import Service
from tests import factories
from tests.automation.conftest import at, pay, run_day, walk

pytestmark = pytest.mark.django_db
D = dt.date


def order(client, product, day, cycle="monthly", hostname="example.com"):  # noqa: ANN001, ANN201
    return order_checkout(client=client, items=[CartItem(product.pk, cycle, hostname)], now=at(day, 9))


def test_monthly_service_ordered_31_january_renews_for_a_year_on_the_anchored_dates(starter, client_account):
    o = order(client_account, starter, D(2026, 1, 31))
    pay(o.invoice, D(2026, 1, 31))
    service = Service.objects.get()
    assert (service.start_date, service.anchor_day, service.next_due_date) == (D(2026, 1, 31), 31, D(2026, 2, 28))

    def pay_new_invoices(day):  # noqa: ANN001, ANN202
        for invoice in Invoice.objects.filter(status="unpaid", kind="renewal"):
            pay(invoice, day)

    walk(D(2026, 2, 1), D(2027, 1, 31), on_day=pay_new_invoices)
    periods = list(
        InvoiceLine.objects.filter(kind="service").order_by("period_start").values_list("period_start", "period_end")
    )
    assert periods == [
        (D(2026, 1, 31), D(2026, 2, 27)),
        (D(2026, 2, 28), D(2026, 3, 30)),
        (D(2026, 3, 31), D(2026, 4, 29)),
        (D(2026, 4, 30), D(2026, 5, 30)),
        (D(2026, 5, 31), D(2026, 6, 29)),
        (D(2026, 6, 30), D(2026, 7, 30)),
        (D(2026, 7, 31), D(2026, 8, 30)),
        (D(2026, 8, 31), D(2026, 9, 29)),
        (D(2026, 9, 30), D(2026, 10, 30)),
        (D(2026, 10, 31), D(2026, 11, 29)),
        (D(2026, 11, 30), D(2026, 12, 30)),
        (D(2026, 12, 31), D(2027, 1, 30)),
        (D(2027, 1, 31), D(2027, 2, 27)),
    ]
    renewals = Invoice.objects.filter(kind="renewal").order_by("number")
    # Generated 14 days (the default) before each due date, due on it.
    assert [(i.issue_date, i.due_date) for i in renewals[:3]] == [
        (D(2026, 2, 14), D(2026, 2, 28)),
        (D(2026, 3, 17), D(2026, 3, 31)),
        (D(2026, 4, 16), D(2026, 4, 30)),
    ]
    assert all(i.total == Decimal("4.99") and i.status == "paid" for i in renewals)
    service.refresh_from_db()
    assert service.next_due_date == D(2027, 2, 28) and service.status == "active"
    assert client_balance(client_account) == Decimal("0.00")


def test_same_date_twice_does_nothing_the_second_time(starter, client_account):
    pay(order(client_account, starter, D(2026, 3, 1)).invoice, D(2026, 3, 1))
    first = run_day(D(2026, 3, 20))
    assert first.counts["invoices_created"] == 1
    second = run_day(D(2026, 3, 20))
    assert second.counts["invoices_created"] == 0 and not AutomationRunItem.objects.filter(run=second.run).exists()
    assert Invoice.objects.filter(kind="renewal").count() == 1


def test_late_payer_late_fee_once_suspension_and_unsuspension_on_payment(starter, client_account, defaults):
    defaults.late_fee_enabled, defaults.late_fee_percent, defaults.late_fee_days = True, Decimal("10"), 3
    defaults.suspend_days = 7
    defaults.save()
    pay(order(client_account, starter, D(2026, 5, 10)).invoice, D(2026, 5, 10))
    walk(D(2026, 5, 11), D(2026, 6, 12))  # renewal issued 27 May, due 10 June, unpaid
    renewal = Invoice.objects.get(kind="renewal")
    assert renewal.due_date == D(2026, 6, 10) and renewal.total == Decimal("4.99")
    walk(D(2026, 6, 13), D(2026, 6, 16))
    renewal.refresh_from_db()
    fee = renewal.lines.get(kind="late_fee")
    assert fee.amount == Decimal("0.50") and renewal.total == Decimal("5.49")  # 10% of 4.99, rounded half-up
    assert fee.created_at.date() == D(2026, 6, 13)
    service = Service.objects.get()
    assert service.status == "active"
    walk(D(2026, 6, 17), D(2026, 6, 17))
    service.refresh_from_db()
    assert service.status == "suspended" and service.status_reason == "overdue"
    walk(D(2026, 6, 18), D(2026, 6, 25))
    assert renewal.lines.filter(kind="late_fee").count() == 1
    pay(renewal, D(2026, 6, 25))  # the payment lifts the overdue suspension at once
    service.refresh_from_db()
    assert service.status == "active" and service.next_due_date == D(2026, 7, 10)
    templates = list(Notification.objects.order_by("pk").values_list("template", flat=True))
    assert templates.count("late_fee_added") == 1
    assert templates.count("account_suspended") == 1 and templates.count("account_unsuspended") == 1


def test_manual_suspension_is_not_lifted_by_payment(starter, client_account, staff):
    from moorage.services.actions import service_set_status

    pay(order(client_account, starter, D(2026, 5, 10)).invoice, D(2026, 5, 10))
    service = Service.objects.get()
    service_set_status(
        service_id=service.pk, status="suspended", now=at(D(2026, 5, 12)), actor=staff, reason="abuse report"
    )
    walk(D(2026, 5, 13), D(2026, 5, 28))
    pay(Invoice.objects.get(kind="renewal"), D(2026, 5, 28))
    run_day(D(2026, 5, 29))
    service.refresh_from_db()
    assert service.status == "suspended" and service.status_reason == "abuse report"


def test_reminders_each_sent_once(starter, client_account, defaults):
    defaults.reminder_before_days, defaults.overdue_reminder_1_days = 5, 1
    defaults.overdue_reminder_2_days, defaults.overdue_reminder_3_days = 4, 8
    defaults.suspend_enabled = False
    defaults.custom_reminders = [{"days": 12, "when": "after"}]
    defaults.save()
    pay(order(client_account, starter, D(2026, 8, 1)).invoice, D(2026, 8, 1))
    walk(D(2026, 8, 2), D(2026, 9, 20))
    renewal = Invoice.objects.get(kind="renewal")
    rows = Notification.objects.filter(invoice_id=renewal.pk).order_by("pk")
    assert [(n.template, n.created_at.date()) for n in rows] == [
        ("invoice_created", D(2026, 8, 18)),
        ("invoice_reminder", D(2026, 8, 27)),
        ("invoice_overdue_1", D(2026, 9, 2)),
        ("invoice_overdue_2", D(2026, 9, 5)),
        ("invoice_overdue_3", D(2026, 9, 9)),
        ("invoice_custom_reminder", D(2026, 9, 13)),
    ]


def test_missed_days_send_only_the_latest_overdue_reminder(starter, client_account, defaults):
    defaults.suspend_enabled = False
    defaults.save()
    pay(order(client_account, starter, D(2026, 8, 1)).invoice, D(2026, 8, 1))
    run_day(D(2026, 8, 20))  # renewal issued
    run_day(D(2026, 9, 10))  # nine days overdue: only the third reminder goes out
    renewal = Invoice.objects.get(kind="renewal")
    reminders = Notification.objects.filter(invoice_id=renewal.pk).exclude(template="invoice_created")
    sent = reminders.filter(status="queued").values_list("template", flat=True)
    assert list(sent) == ["invoice_overdue_3"]
    run_day(D(2026, 9, 11))
    assert reminders.exclude(status="skipped").count() == 1


def test_never_pays_terminated_and_invoices_cancelled(starter, client_account, defaults):
    defaults.terminate_enabled, defaults.terminate_days, defaults.suspend_days = True, 20, 5
    defaults.save()
    pay(order(client_account, starter, D(2026, 2, 1)).invoice, D(2026, 2, 1))
    walk(D(2026, 2, 2), D(2026, 3, 20))
    service = Service.objects.get()
    assert service.status == "suspended"
    walk(D(2026, 3, 21), D(2026, 3, 21))  # 20 days after the 1 March due date
    service.refresh_from_db()
    assert service.status == "terminated"
    renewal = Invoice.objects.get(kind="renewal")
    assert renewal.status == "cancelled"
    assert client_balance(client_account) == Decimal("0.00")
    walk(D(2026, 3, 22), D(2026, 4, 30))
    assert Invoice.objects.filter(kind="renewal").count() == 1  # a terminated service is not billed


def test_unpaid_order_is_cancelled_after_x_days(starter, client_account, defaults):
    defaults.cancel_unpaid_orders_enabled, defaults.cancel_unpaid_orders_days = True, 10
    defaults.save()
    o = order(client_account, starter, D(2026, 4, 1))
    walk(D(2026, 4, 2), D(2026, 4, 10))
    assert Order.objects.get().status == "pending"
    walk(D(2026, 4, 11), D(2026, 4, 11))
    o.refresh_from_db()
    assert o.status == "cancelled" and o.invoice.status == "cancelled"
    assert Service.objects.get().status == "cancelled"
    assert Notification.objects.filter(template="order_cancelled").count() == 1
    assert LedgerEntry.objects.filter(client=client_account, account="receivable").count() == 2
    assert client_balance(client_account) == Decimal("0.00")


def test_adjust_initial_period_example(starter, client_account):
    Product.objects.filter(pk=starter.pk).update(adjust_initial_period=True)
    o = order(client_account, starter, D(2026, 1, 1))
    pay(o.invoice, D(2026, 1, 5))
    service = Service.objects.get()
    assert (service.start_date, service.expiry_date, service.next_due_date) == (
        D(2026, 1, 5),
        D(2026, 2, 4),
        D(2026, 2, 5),
    )
    walk(D(2026, 1, 6), D(2026, 1, 22))
    renewal = Invoice.objects.get(kind="renewal")
    line = renewal.lines.get()
    assert (line.period_start, line.period_end, renewal.due_date) == (D(2026, 2, 5), D(2026, 3, 4), D(2026, 2, 5))


def test_renew_when_invoice_is_issued_advances_at_issue(starter, client_account, defaults):
    defaults.renew_on = "invoice_issued"
    defaults.save()
    pay(order(client_account, starter, D(2026, 1, 10)).invoice, D(2026, 1, 10))
    run_day(D(2026, 1, 27))
    service = Service.objects.get()
    assert service.next_due_date == D(2026, 3, 10)
    run_day(D(2026, 1, 27))
    assert Invoice.objects.filter(kind="renewal").count() == 1


def test_postpaid_is_billed_after_the_period(shared_page, client_account):
    product = factories.product(shared_page, name="Pay later", billing_type="postpaid", hostname_required=False)
    o = order_checkout(client=client_account, items=[CartItem(product.pk, "monthly", "")], now=at(D(2026, 3, 1), 9))
    assert o.invoice is None  # nothing billed up front
    service = Service.objects.get()
    assert (service.status, service.start_date, service.next_due_date) == ("active", D(2026, 3, 1), D(2026, 3, 1))
    walk(D(2026, 3, 2), D(2026, 3, 31))
    assert not Invoice.objects.filter(kind="renewal").exists()
    run_day(D(2026, 4, 1))
    invoice = Invoice.objects.get(kind="renewal")
    line = invoice.lines.get()
    assert (line.period_start, line.period_end, invoice.issue_date) == (D(2026, 3, 1), D(2026, 3, 31), D(2026, 4, 1))
    assert invoice.total == Decimal("10.00")
    service.refresh_from_db()
    assert service.next_due_date == D(2026, 4, 1)
    run_day(D(2026, 4, 2))
    assert Invoice.objects.filter(kind="renewal").count() == 1


def test_apply_credit_pays_renewals(starter, client_account, now):
    from moorage.billing.actions import credit_add

    pay(order(client_account, starter, D(2026, 3, 1)).invoice, D(2026, 3, 1))
    credit_add(client=client_account, amount=Decimal("20.00"), reason="goodwill", now=now, actor=None)
    run_day(D(2026, 3, 20))
    renewal = Invoice.objects.get(kind="renewal")
    assert renewal.status == "paid"
    assert Service.objects.get().next_due_date == D(2026, 5, 1)


def test_cancellation_requests(starter, client_account, now):
    from moorage.services.models import CancellationRequest

    pay(order(client_account, starter, D(2026, 3, 1)).invoice, D(2026, 3, 1))
    service = Service.objects.get()
    CancellationRequest.objects.create(service=service, type="end_of_period", reason="moving", created_at=now)
    walk(D(2026, 3, 2), D(2026, 3, 31))
    assert not Invoice.objects.filter(kind="renewal").exists()
    service.refresh_from_db()
    assert service.status == "active"
    run_day(D(2026, 4, 1))
    service.refresh_from_db()
    assert service.status == "cancelled"
    assert CancellationRequest.objects.get().status == "processed"


def test_expiration_notices(starter, client_account, defaults):
    defaults.expiration_notices = [{"days": 3, "when": "before"}, {"days": 2, "when": "after"}]
    defaults.suspend_enabled = False
    defaults.reminders_enabled = False
    defaults.save()
    pay(order(client_account, starter, D(2026, 3, 1)).invoice, D(2026, 3, 1))
    walk(D(2026, 3, 2), D(2026, 4, 10))
    rows = Notification.objects.filter(template="service_expiration").order_by("pk")
    assert [n.created_at.date() for n in rows] == [D(2026, 3, 28), D(2026, 4, 2)]


def test_dry_run_changes_nothing(starter, client_account, capsys):
    pay(order(client_account, starter, D(2026, 3, 1)).invoice, D(2026, 3, 1))
    before = (Invoice.objects.count(), AutomationRun.objects.count(), Notification.objects.count())
    call_command("cron", "--date", "2026-03-20", "--dry-run")
    out = capsys.readouterr().out
    assert "generate_invoices: service #" in out
    assert (Invoice.objects.count(), AutomationRun.objects.count(), Notification.objects.count()) == before


def test_cron_command_prints_a_summary(starter, client_account, capsys):
    pay(order(client_account, starter, D(2026, 3, 1)).invoice, D(2026, 3, 1))
    call_command("cron", "--date", "2026-03-20", "--progress")
    out = capsys.readouterr().out
    assert "invoices created: 1" in out and "generate_invoices: 1" in out and "failures: 0" in out


def test_a_failing_item_is_recorded_and_the_run_goes_on(starter, client_account, monkeypatch):
    from moorage.automation import steps

    pay(order(client_account, starter, D(2026, 3, 1), hostname="a.example.com").invoice, D(2026, 3, 1))
    pay(order(client_account, starter, D(2026, 3, 1), hostname="b.example.com").invoice, D(2026, 3, 1), txn="X2")
    first = Service.objects.order_by("pk").first()
    original = steps.issue_renewal

    def broken(service, **kw):  # noqa: ANN001, ANN003, ANN202
        if service.pk == first.pk:
            raise ValueError("boom")
        return original(service, **kw)

    monkeypatch.setattr(steps, "issue_renewal", broken)
    result = run_day(D(2026, 3, 20))
    assert result.counts["invoices_created"] == 1 and result.counts["failures"] == 1
    item = AutomationRunItem.objects.get(outcome="failed")
    assert item.object_id == first.pk and "boom" in item.message
    monkeypatch.undo()
    assert run_day(D(2026, 3, 21)).counts["invoices_created"] == 1  # the next run finishes the rest


def test_never_pays_account_gone_from_the_panel(panel, hosting, client_account, defaults):
    """The full story on a real panel: suspended there on day X, deleted there on day Y."""
    from moorage.provisioning.models import PanelAccount
    from moorage.provisioning.runner import run_due_jobs

    defaults.terminate_enabled, defaults.terminate_days, defaults.suspend_days = True, 20, 5
    defaults.save()

    def worker(day):  # noqa: ANN001, ANN202
        run_due_jobs(now=at(day, 23))

    o = order(client_account, hosting, D(2026, 2, 1), hostname="shop.example.com")
    pay(o.invoice, D(2026, 2, 1))
    worker(D(2026, 2, 1))
    account = PanelAccount.objects.get()
    assert account.exists_on_panel and panel.state.users[account.username]["active"] == "on"
    walk(D(2026, 2, 2), D(2026, 3, 6), on_day=worker)  # renewal due 1 March, unpaid
    service = Service.objects.get()
    assert service.status == "suspended" and panel.state.users[account.username]["active"] == "off"
    walk(D(2026, 3, 7), D(2026, 3, 21), on_day=worker)
    service.refresh_from_db()
    assert service.status == "terminated"
    assert account.username not in panel.state.users  # gone from the panel
    assert Invoice.objects.get(kind="renewal").status == "cancelled"
    assert client_balance(client_account) == Decimal("0.00")
    sent = set(Notification.objects.filter(client=client_account).values_list("template", flat=True))
    assert {"account_created", "account_suspended", "account_terminated"} <= sent
