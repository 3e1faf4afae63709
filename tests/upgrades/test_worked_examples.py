"""Worked examples for each upgrade setting, with the numbers written out.

Every example starts from a monthly service paid on 2026-01-01: the paid period is [1 Jan, 1 Feb),
31 days = 744 hours = 2,678,400 seconds. The change is made on 17 Jan at 00:05, which leaves
14 days 23 h 55 min: 14 whole days, 359 whole hours, 1,295,700 seconds.
Starter is 4.99 a month (49.90 a year), Business 9.99 a month (99.90 a year).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.billing.models import CreditNote, Invoice, InvoiceLine, LedgerEntry
from moorage.billing.queries import client_balance, client_credit_balance, invoice_outstanding
from moorage.catalog.models import BillingDefaults, Price
from moorage.core.errors import DomainError
from moorage.notifications.models import Notification
from moorage.upgrades.actions import upgrade_cancel
from moorage.upgrades.models import UpgradeRequest
from tests import factories
from tests.automation.conftest import at, pay, run_day
from tests.upgrades.conftest import CHANGE, JAN17, active_service, change, configure

pytestmark = pytest.mark.django_db
R = UpgradeRequest
JAN18 = dt.date(2026, 1, 18)  # the renewal invoice for 1 Feb is generated 14 days before
FEB1 = dt.date(2026, 2, 1)


def money(value: str) -> Decimal:
    return Decimal(value)


@pytest.mark.parametrize(
    ("unit", "remaining", "charge"),
    [
        # (9.99 − 4.99) × 14/31 = 5 × 0.451612… = 2.258… → 2.26
        ("days", "0.451612903226", "2.26"),
        # 5 × 359/744 = 5 × 0.482526… = 2.4126… → 2.41
        ("hours", "0.482526881720", "2.41"),
        # 5 × 1,295,700/2,678,400 = 5 × 0.483758… = 2.4187… → 2.42
        ("seconds", "0.483758960573", "2.42"),
    ],
)
def test_upgrade_pro_rata_in_days_hours_seconds(plans, client_account, unit, remaining, charge, staff):
    starter, business = plans
    configure(starter, upgrade_proration=unit)
    service = active_service(client_account, starter)
    assert service.next_due_date == FEB1

    req = change(service, business)

    assert req.kind == R.Kind.UPGRADE and req.proration_unit == unit
    assert (req.period_start, req.period_end) == (dt.date(2026, 1, 1), FEB1)
    assert req.remaining == money(remaining)
    assert req.charge == money(charge)
    # Default (system) Automatic Upgrades: after receiving payment. An upgrade invoice, nothing changed yet.
    assert req.status == R.Status.PENDING_PAYMENT and req.settlement == R.Settlement.INVOICE
    invoice = req.invoice
    assert invoice.kind == Invoice.Kind.UPGRADE and invoice.total == money(charge)
    assert invoice.issue_date == invoice.due_date == JAN17
    line = invoice.lines.get()
    assert line.kind == InvoiceLine.Kind.UPGRADE and line.amount == money(charge)
    assert (line.period_start, line.period_end) == (JAN17, dt.date(2026, 1, 31))
    assert service.product == starter and service.recurring_amount == money("4.99")

    pay(invoice, JAN17, txn="T-upgrade")

    service.refresh_from_db()
    req.refresh_from_db()
    assert req.status == R.Status.APPLIED and req.applied_at is not None
    assert service.product == business and service.recurring_amount == money("9.99")
    assert service.cycle == "monthly" and service.next_due_date == FEB1 and service.anchor_date == dt.date(2026, 1, 1)
    assert Notification.objects.filter(template="upgrade_success", client=client_account).count() == 1
    staff_mail = Notification.objects.get(template="staff_upgrade_success")
    assert staff_mail.to_email == staff.email and staff_mail.audience == "staff"
    assert "Starter Hosting → Business Hosting" in staff_mail.subject


def test_upgrade_fee_is_added_to_the_charge(plans, client_account):
    starter, business = plans
    Price.objects.filter(product=business, cycle="monthly").update(upgrade_fee=money("1.50"))
    service = active_service(client_account, starter)
    req = change(service, business)
    # 5 × 14/31 + 1.50 = 2.258… + 1.50 = 3.758… → 3.76, one line rounded once
    assert req.upgrade_fee == money("1.50") and req.charge == money("3.76")
    assert [line.amount for line in req.invoice.lines.all()] == [money("3.76")]
    assert "upgrade fee 1.50" in req.invoice.lines.get().description


def test_automatic_upgrade_when_the_order_is_placed_changes_at_once(plans, client_account):
    starter, business = plans
    configure(starter, auto_upgrade="on_order")
    service = active_service(client_account, starter)
    req = change(service, business)
    assert req.status == R.Status.APPLIED and req.settlement == R.Settlement.INVOICE
    assert service.product == business and service.recurring_amount == money("9.99")
    assert req.invoice.status == Invoice.Status.UNPAID and req.invoice.total == money("2.26")
    assert client_balance(client_account) == money("2.26")


@pytest.mark.parametrize("how", ["queue", "hybrid"])
def test_queued_charge_rides_on_the_next_renewal_invoice(plans, client_account, how):
    starter, business = plans
    if how == "queue":
        configure(starter, queue_prorata=True)
    else:
        configure(starter, billing_type="hybrid")  # purchase pre-paid, upgrades post-paid
    service = active_service(client_account, starter)
    req = change(service, business)
    # No invoice now; the service changes at once; 2.26 waits for the next renewal invoice.
    assert req.status == R.Status.QUEUED and req.settlement == R.Settlement.NEXT_INVOICE and req.invoice is None
    assert service.product == business
    assert client_balance(client_account) == Decimal("0.00")

    run_day(JAN18)

    req.refresh_from_db()
    renewal = Invoice.objects.get(kind=Invoice.Kind.RENEWAL)
    assert [(line.kind, line.amount) for line in renewal.lines.order_by("id")] == [
        ("service", money("9.99")),  # Business for [1 Feb, 28 Feb]
        ("upgrade", money("2.26")),  # the queued pro-rata of [17 Jan, 31 Jan]
    ]
    assert renewal.total == money("12.25")
    assert req.status == R.Status.APPLIED and req.invoice == renewal and req.invoice_line.amount == money("2.26")
    run_day(JAN18)  # again: nothing twice
    assert renewal.lines.count() == 2 and Invoice.objects.filter(kind=Invoice.Kind.RENEWAL).count() == 1


def test_queued_charge_joins_a_renewal_invoice_already_issued(plans, client_account):
    starter, business = plans
    configure(starter, queue_prorata=True)
    service = active_service(client_account, starter)
    run_day(JAN18)  # renewal for February issued at Starter's 4.99
    renewal = Invoice.objects.get(kind=Invoice.Kind.RENEWAL)
    req = change(service, business, now=at(dt.date(2026, 1, 20)))
    # 11 days left of 31: 5 × 11/31 = 1.774… → 1.77; plus February re-priced: 9.99 − 4.99 = 5.00
    renewal.refresh_from_db()
    assert req.status == R.Status.APPLIED and req.invoice == renewal
    assert [line.amount for line in renewal.lines.order_by("id")] == [money("4.99"), money("5.00"), money("1.77")]
    assert renewal.total == money("11.76")


def downgrade_service(plans, client_account, **settings):  # noqa: ANN003
    starter, business = plans
    configure(business, **settings)
    return active_service(client_account, business), starter


@pytest.mark.parametrize(
    ("policy", "default", "credited"),
    [
        ("no", "yes", "0.00"),
        ("yes", "no", "2.26"),
        (None, "no", "0.00"),  # Default: use system billing settings (here: no)
        (None, "yes", "2.26"),  # … (here: yes)
    ],
)
def test_credit_on_downgrade(plans, client_account, policy, default, credited):
    BillingDefaults.objects.update_or_create(pk=1, defaults={"credit_on_downgrade": default})
    service, starter = downgrade_service(plans, client_account, credit_on_downgrade=policy)
    req = change(service, starter)
    # (4.99 − 9.99) × 14/31 = −2.258… → −2.26: a downgrade credit of 2.26
    assert req.kind == R.Kind.DOWNGRADE and req.charge == money("-2.26")
    assert req.status == R.Status.APPLIED and service.product == starter
    assert client_credit_balance(client_account) == money(credited)
    assert client_balance(client_account) == -money(credited)
    assert not Invoice.objects.filter(kind=Invoice.Kind.UPGRADE).exists()


def test_credit_on_downgrade_after_unpaid_invoices_waits_for_them(plans, client_account):
    service, starter = downgrade_service(plans, client_account, credit_on_downgrade="after_unpaid")
    other = factories.checkout(client_account, starter, hostname="second.example", now=at(JAN17))  # unpaid 4.99
    req = change(service, starter)
    assert req.status == R.Status.QUEUED and req.settlement == R.Settlement.CREDIT_QUEUE
    assert service.product == starter  # the downgrade is made; only the credit waits
    assert client_credit_balance(client_account) == Decimal("0.00")

    result = run_day(JAN17)
    assert result.counts["downgrade_credits"] == 0
    pay(other.invoice, JAN18, txn="T-other")
    result = run_day(JAN18)  # the renewal invoice for February is issued now too: unpaid again
    req.refresh_from_db()
    assert req.status == R.Status.QUEUED

    for invoice in Invoice.objects.filter(status=Invoice.Status.UNPAID):
        pay(invoice, JAN18, txn=f"T-{invoice.number}")
    result = run_day(dt.date(2026, 1, 19))
    req.refresh_from_db()
    assert result.counts["downgrade_credits"] == 1
    assert req.status == R.Status.APPLIED and req.credit_entry.amount == money("2.26")
    assert client_credit_balance(client_account) == money("2.26")
    assert run_day(dt.date(2026, 1, 20)).counts["downgrade_credits"] == 0  # never twice


def test_credit_on_downgrade_after_unpaid_with_nothing_unpaid_credits_at_once(plans, client_account):
    service, starter = downgrade_service(plans, client_account, credit_on_downgrade="after_unpaid")
    req = change(service, starter)
    assert req.status == R.Status.APPLIED and client_credit_balance(client_account) == money("2.26")


def test_credit_note_on_downgrade(plans, client_account):
    service, starter = downgrade_service(
        plans, client_account, credit_on_downgrade="yes", credit_note_on_downgrade=True
    )
    req = change(service, starter)
    note = CreditNote.objects.get()
    assert req.credit_note == note and note.amount == money("2.26") and note.service == service
    assert note.display_number == "CN-000001"
    entry = LedgerEntry.objects.get(account="credit")
    assert entry.kind == "credit_note" and entry.amount == money("2.26") and req.credit_entry == entry
    assert client_credit_balance(client_account) == money("2.26")


def test_no_credit_means_no_credit_note(plans, client_account):
    service, starter = downgrade_service(plans, client_account, credit_on_downgrade="no", credit_note_on_downgrade=True)
    change(service, starter)
    assert not CreditNote.objects.exists() and client_credit_balance(client_account) == Decimal("0.00")


def test_out_of_stock_upgrade(plans, client_account, unchanged):
    starter, business = plans
    configure(business, stock_enabled=True, stock=0)
    service = active_service(client_account, starter)
    with unchanged(), pytest.raises(DomainError) as err:
        change(service, business)
    assert err.value.code == "out_of_stock"
    assert not R.objects.exists()

    configure(business, out_of_stock_upgrade=True)  # Yes, allow upgrades even when out of stock
    configure(starter, stock_enabled=True, stock=5, auto_upgrade="on_order")
    change(service, business)
    assert service.product == business
    business.refresh_from_db()
    starter.refresh_from_db()
    assert business.stock == 0 and starter.stock == 6  # never below zero; the old plan's place is free again


def test_stock_is_taken_by_an_upgrade(plans, client_account):
    starter, business = plans
    configure(business, stock_enabled=True, stock=3)
    configure(starter, auto_upgrade="on_order")
    change(active_service(client_account, starter), business)
    business.refresh_from_db()
    assert business.stock == 2


def test_refusals(plans, client_account, shared_page, unchanged):
    starter, business = plans
    premium = shared_page.products.get(code="premium")
    service = active_service(client_account, starter)
    cases = [
        (premium, "monthly", "not_available"),
        (starter, "monthly", "same"),
        (business, "weekly", "no_price"),
    ]
    for product, cycle, code in cases:
        with unchanged(), pytest.raises(DomainError) as err:
            change(service, product, cycle)
        assert err.value.code == code

    pending = change(service, business)  # waits for payment of its invoice
    with pytest.raises(DomainError) as err:
        change(service, business, "annually")
    assert err.value.code == "change_pending"
    upgrade_cancel(request_id=pending.pk, now=CHANGE, actor=None)
    pending.refresh_from_db()
    assert pending.status == R.Status.CANCELLED and pending.invoice.status == Invoice.Status.CANCELLED
    assert change(service, business, "annually").status == R.Status.PENDING_PAYMENT


def test_an_invoice_cancelled_elsewhere_frees_the_service(plans, client_account):
    from moorage.billing.actions import invoice_cancel

    starter, business = plans
    service = active_service(client_account, starter)
    req = change(service, business)
    invoice_cancel(invoice_id=req.invoice_id, now=CHANGE, cancelled_on=JAN17, actor=None)
    again = change(service, business)
    req.refresh_from_db()
    assert req.status == R.Status.CANCELLED and again.status == R.Status.PENDING_PAYMENT


def test_a_paid_upgrade_of_a_service_terminated_meanwhile_fails(plans, client_account, staff):
    from moorage.services.actions import service_set_status

    starter, business = plans
    service = active_service(client_account, starter)
    req = change(service, business)
    service_set_status(service_id=service.pk, status="terminated", now=CHANGE, actor=None)
    pay(req.invoice, JAN17, txn="T-late")
    req.refresh_from_db()
    service.refresh_from_db()
    assert req.status == R.Status.FAILED and "terminated" in req.note
    assert service.product == starter
    assert Notification.objects.get(template="staff_upgrade_failed").to_email == staff.email


def test_change_billing_cycle_starts_the_new_cycle_at_the_next_due_date(plans, client_account):
    starter, _ = plans
    service = active_service(client_account, starter)
    req = change(service, starter, "annually")
    # Both rows per month of the current (monthly) period: 49.90 a year = 49.90 × 30.4375 / 365.25
    # = 4.158333… a month. (4.158333… − 4.99) × 14/31 = −0.375… → −0.38: a credit of 0.38.
    assert req.kind == R.Kind.CYCLE_CHANGE and req.charge == money("-0.38")
    assert client_credit_balance(client_account) == money("0.38")
    assert (service.cycle, service.recurring_amount) == ("annually", money("49.90"))
    assert service.next_due_date == FEB1 and service.anchor_date == FEB1  # the year starts on 1 Feb

    run_day(JAN18)
    renewal = Invoice.objects.get(kind=Invoice.Kind.RENEWAL)
    line = renewal.lines.get(kind="service")
    assert (line.amount, line.cycle, line.period_start, line.period_end) == (
        money("49.90"),
        "annually",
        FEB1,
        dt.date(2027, 1, 31),
    )
    # The credit of 0.38 was applied by the automation (Apply credit): 49.52 is left to pay.
    assert invoice_outstanding(renewal) == money("49.52")
    factories.pay(renewal, "49.52", transaction_id="T-year", now=at(JAN18, 12))
    service.refresh_from_db()
    assert service.next_due_date == dt.date(2027, 2, 1)


def test_change_billing_cycle_is_refused_while_the_renewal_is_issued(plans, client_account):
    starter, business = plans
    service = active_service(client_account, starter)
    run_day(JAN18)  # February's renewal invoice, monthly, unpaid
    with pytest.raises(DomainError) as err:
        change(service, starter, "annually", now=at(dt.date(2026, 1, 20)))
    assert err.value.code == "renewal_issued"


def test_cycle_change_and_back_in_the_same_period_uses_the_same_period(plans, client_account):
    starter, _ = plans
    configure(starter, auto_upgrade="on_order")
    service = active_service(client_account, starter)
    first = change(service, starter, "annually")
    back = change(service, starter, "monthly")
    assert (back.period_start, back.period_end, back.period_cycle) == (dt.date(2026, 1, 1), FEB1, "monthly")
    assert first.charge + back.charge == Decimal("0.00")  # −0.38 then +0.38
    assert service.cycle == "monthly" and service.next_due_date == FEB1


def test_zero_charge_at_the_end_of_the_period_changes_at_once(plans, client_account):
    starter, business = plans
    service = active_service(client_account, starter)
    req = change(service, business, now=at(dt.date(2026, 1, 31), 12))  # 0 whole days left
    assert req.charge == Decimal("0.00") and req.settlement == R.Settlement.NOTHING
    assert req.status == R.Status.APPLIED and service.product == business
    assert not Invoice.objects.filter(kind=Invoice.Kind.UPGRADE).exists()


def test_delete_order_removes_the_services_upgrade_requests(plans, client_account):
    from moorage.orders.deletion import order_delete

    starter, business = plans
    service = active_service(client_account, starter)
    change(service, business)
    order_delete(order_id=service.order_item.order_id, terminate_accounts=False, now=CHANGE, actor=None)
    assert not R.objects.exists() and not Invoice.objects.exists()
