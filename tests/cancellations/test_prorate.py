"""Pro-rate cancellations, worked examples with the numbers written out.

The plan costs 31.00 a month; ordered and paid on 1 March 2026, its paid period is 1–31 March
(31 days, [1 Mar 00:00, 1 Apr 00:00) in the business time zone, UTC here). Requests are made at
10:05 of the day named.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from moorage.billing.models import CreditNote, Invoice, LedgerEntry
from moorage.billing.queries import client_balance, client_credit_balance
from moorage.cancellations.actions import cancellation_process, cancellation_request
from moorage.cancellations.models import CancellationSettlement
from moorage.core.errors import DomainError
from moorage.services.models import CancellationRequest, Service
from tests import factories
from tests.automation.conftest import at, pay, run_day, walk
from tests.cancellations.conftest import D, ordered, plan

pytestmark = pytest.mark.django_db


def ask(service, day, type="immediate", hour=10):  # noqa: A002, ANN001, ANN201
    return cancellation_request(
        service_id=service.pk, type=type, reason="no longer needed", now=at(day, hour), actor=None
    )


# --- pre-paid, immediate -------------------------------------------------------------------------


def test_prepaid_immediate_credits_the_unused_days(shared_page, client_account):
    """11 March 10:05: whole days left until 1 April = 20 (20 d 13 h 55 m, rounded down) of 31.
    Credit = 31.00 × 20/31 = 20.00, as credit note CN-000001."""
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid"))
    ask(service, D(2026, 3, 11))
    note = CreditNote.objects.get()
    assert (note.display_number, note.amount, note.issue_date) == ("CN-000001", Decimal("20.00"), D(2026, 3, 11))
    assert note.service == service and note.invoice.kind == "order"
    assert "2026-03-01–2026-03-31: 31.00 × 20/31 days" in note.reason
    assert client_credit_balance(client_account) == Decimal("20.00")
    entry = LedgerEntry.objects.get(kind="credit_note")
    assert (entry.account, entry.amount, entry.credit_note) == ("credit", Decimal("20.00"), note)
    settlement = CancellationSettlement.objects.get()
    assert (settlement.kind, settlement.unit, settlement.amount) == ("credit", "days", Decimal("20.00"))
    assert settlement.fraction == Decimal("0.645161290323")  # 20/31, stored to 12 places
    # Invoiced 31.00 − paid 31.00 − credit 20.00: the provider owes the client 20.00.
    assert client_balance(client_account) == Decimal("-20.00")


def test_prepaid_immediate_in_hours(shared_page, client_account):
    """Upgrade pro-rata in hours: 493 of 744 hours left (20 d 13 h 55 m) → 31.00 × 493/744 = 20.5416… → 20.54."""
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid", upgrade_proration="hours"))
    ask(service, D(2026, 3, 11))
    assert CreditNote.objects.get().amount == Decimal("20.54")


def test_prepaid_immediate_on_the_first_day_credits_all_but_the_started_day(shared_page, client_account):
    """1 March 10:05: 30 whole days left of 31 → 31.00 × 30/31 = 30.00."""
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid"))
    ask(service, D(2026, 3, 1))
    assert CreditNote.objects.get().amount == Decimal("30.00")


def test_prepaid_immediate_with_a_price_that_does_not_divide(shared_page, client_account):
    """10.00 a month, 11 March: 10.00 × 20/31 = 6.4516… → 6.45."""
    product = factories.product(shared_page, name="Ten", prices={"monthly": "10.00"}, prorate_cancellations="prepaid")
    service = ordered(client_account, product)
    ask(service, D(2026, 3, 11))
    assert CreditNote.objects.get().amount == Decimal("6.45")


def test_prepaid_immediate_after_the_renewal_was_paid_credits_the_next_period_too(shared_page, client_account):
    """The renewal for April (31.00, issued 18 March) is paid on 19 March; cancelled 20 March:
    March 11/31 left → 11.00, April wholly unused → 31.00; credit 42.00."""
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid"))
    walk(D(2026, 3, 2), D(2026, 3, 18))
    pay(Invoice.objects.get(kind="renewal"), D(2026, 3, 19))
    ask(service, D(2026, 3, 20))
    note = CreditNote.objects.get()
    assert note.amount == Decimal("42.00")
    assert "2026-04-01–2026-04-30: 31.00 × 30/30 days" in note.reason


def test_prepaid_immediate_with_an_unpaid_renewal_cancels_it_and_credits_march_only(shared_page, client_account):
    """Renewal for April issued 18 March, unpaid; cancelled 20 March: the renewal is cancelled
    (its number stays), and March's 11 unused days are credited: 11.00."""
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid"))
    walk(D(2026, 3, 2), D(2026, 3, 18))
    renewal = Invoice.objects.get(kind="renewal")
    ask(service, D(2026, 3, 20))
    renewal.refresh_from_db()
    assert renewal.status == "cancelled"
    assert CreditNote.objects.get().amount == Decimal("11.00")
    assert client_credit_balance(client_account) == Decimal("11.00")
    assert client_balance(client_account) == Decimal("-11.00")


def test_prepaid_end_of_period_credits_nothing(shared_page, client_account):
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid"))
    ask(service, D(2026, 3, 11), type="end_of_period")
    walk(D(2026, 3, 11), D(2026, 4, 1))
    assert Service.objects.get().status == "cancelled"
    assert not CreditNote.objects.exists() and not CancellationSettlement.objects.exists()


def test_prepaid_immediate_without_pro_rating_credits_nothing(shared_page, client_account):
    service = ordered(client_account, plan(shared_page, prorate_cancellations="no"))
    ask(service, D(2026, 3, 11))
    assert Service.objects.get().status == "cancelled"
    assert not CreditNote.objects.exists()
    assert client_credit_balance(client_account) == Decimal("0.00")


def test_prepaid_setting_does_nothing_for_a_postpaid_service(shared_page, client_account):
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid", billing_type="postpaid"))
    ask(service, D(2026, 3, 11))
    assert not CreditNote.objects.exists() and not Invoice.objects.exists()


def test_processed_by_the_automation_run_the_credit_uses_the_runs_moment(shared_page, client_account):
    """Automatic processing off at request time, on for the run: the run of 11 March (00:05)
    credits 20 whole days of 31 (20 d 23 h 55 m left) → 20.00."""
    product = plan(shared_page, prorate_cancellations="prepaid", process_cancellation_requests=False)
    service = ordered(client_account, product)
    ask(service, D(2026, 3, 10), hour=15)
    assert not CreditNote.objects.exists()
    product.process_cancellation_requests = True
    product.save()
    run_day(D(2026, 3, 11))
    assert CreditNote.objects.get().amount == Decimal("20.00")
    assert CancellationRequest.objects.get().status == "processed"


# --- post-paid -----------------------------------------------------------------------------------


def postpaid_service(shared_page, client_account, **settings):  # noqa: ANN001, ANN003, ANN201
    product = plan(shared_page, billing_type="postpaid", **settings)
    service = ordered(client_account, product)
    # Nothing to pay at checkout: the service runs from 1 March, its first period billed when it ends.
    assert (service.status, service.start_date, service.next_due_date) == ("active", D(2026, 3, 1), D(2026, 3, 1))
    assert not Invoice.objects.exists()
    return service


def test_postpaid_immediate_invoices_the_used_days(shared_page, client_account):
    """11 March 10:05: 20 whole days left of 31, so 11 used → 31.00 × 11/31 = 11.00, invoiced at
    once for 1–11 March (due the next day, as post-paid invoices are)."""
    service = postpaid_service(shared_page, client_account, prorate_cancellations="postpaid")
    ask(service, D(2026, 3, 11))
    invoice = Invoice.objects.get()
    assert (invoice.kind, invoice.total, invoice.status) == ("manual", Decimal("11.00"), "unpaid")
    assert (invoice.issue_date, invoice.due_date) == (D(2026, 3, 11), D(2026, 3, 12))
    assert factories.invoice_lines(invoice) == [
        (
            "service",
            "Plan 31 - example.com (used until cancellation)",
            "11.00",
            "monthly",
            D(2026, 3, 1),
            D(2026, 3, 11),
        )
    ]
    settlement = CancellationSettlement.objects.get()
    assert (settlement.kind, settlement.amount, settlement.invoice) == ("invoice", Decimal("11.00"), invoice)
    assert settlement.fraction == Decimal("0.354838709677")  # 11/31
    assert Service.objects.get().status == "cancelled"
    assert client_balance(client_account) == Decimal("11.00")
    # The invoice stays payable after the service is gone, and the run does not cancel it.
    walk(D(2026, 3, 12), D(2026, 4, 2))
    invoice.refresh_from_db()
    assert invoice.status == "unpaid"
    assert Invoice.objects.count() == 1


def test_postpaid_immediate_with_a_price_that_does_not_divide(shared_page, client_account):
    """10.00 a month, 11 March: 10.00 × 11/31 = 3.5483… → 3.55."""
    product = factories.product(
        shared_page, name="Ten", prices={"monthly": "10.00"}, billing_type="postpaid", prorate_cancellations="postpaid"
    )
    service = ordered(client_account, product)
    ask(service, D(2026, 3, 11))
    assert Invoice.objects.get().total == Decimal("3.55")


def test_postpaid_immediate_without_pro_rating_bills_nothing(shared_page, client_account):
    service = postpaid_service(shared_page, client_account, prorate_cancellations="no")
    ask(service, D(2026, 3, 11))
    assert not Invoice.objects.exists()
    assert Service.objects.get().status == "cancelled"


def test_postpaid_end_of_period_bills_the_whole_last_period_when_it_ends(shared_page, client_account):
    """Asked 11 March for the end of the period: the period 1–31 March ends, and the run of
    1 April bills it in full (31.00, a renewal) and cancels the service; nothing later is billed."""
    service = postpaid_service(shared_page, client_account)
    ask(service, D(2026, 3, 11), type="end_of_period")
    walk(D(2026, 3, 11), D(2026, 3, 31))
    assert not Invoice.objects.exists() and Service.objects.get().status == "active"
    walk(D(2026, 4, 1), D(2026, 5, 2))
    invoice = Invoice.objects.get()
    assert (invoice.kind, invoice.total, invoice.issue_date) == ("renewal", Decimal("31.00"), D(2026, 4, 1))
    assert factories.invoice_lines(invoice)[0][1:] == (
        "Plan 31 - example.com",
        "31.00",
        "monthly",
        D(2026, 3, 1),
        D(2026, 3, 31),
    )
    assert Service.objects.get().status == "cancelled"


def test_postpaid_periods_already_billed_are_not_billed_again(shared_page, client_account):
    """March is billed by the run of 1 April (31.00); cancelled 11 April: April's used part,
    31.00 × 11/30 = 11.3666… → 11.37, is the only new invoice."""
    service = postpaid_service(shared_page, client_account, prorate_cancellations="postpaid")
    walk(D(2026, 3, 2), D(2026, 4, 1))
    march = Invoice.objects.get()
    assert march.total == Decimal("31.00") and march.lines.get().period_end == D(2026, 3, 31)
    pay(march, D(2026, 4, 2))
    ask(service, D(2026, 4, 11))
    april = Invoice.objects.exclude(pk=march.pk).get()
    assert april.total == Decimal("11.37")
    assert april.lines.get().period_start == D(2026, 4, 1)


# --- exactly once --------------------------------------------------------------------------------


def test_processing_again_never_credits_twice(shared_page, client_account, staff):
    service = ordered(client_account, plan(shared_page, prorate_cancellations="prepaid"))
    request = ask(service, D(2026, 3, 11))
    # A second Process now is refused; the run finds nothing to do.
    with pytest.raises(DomainError) as err:
        cancellation_process(request_id=request.pk, now=at(D(2026, 3, 11), 11), actor=staff)
    assert err.value.code == "cancellation_not_pending"
    assert run_day(D(2026, 3, 12)).counts.get("cancellations", 0) == 0
    # Even a request put back to pending by hand is settled once: the settlement's unique key.
    CancellationRequest.objects.filter(pk=request.pk).update(status="pending")
    done = cancellation_process(request_id=request.pk, now=at(D(2026, 3, 13), 9), actor=staff)
    assert done == "service already cancelled"
    assert CreditNote.objects.count() == 1
    assert client_credit_balance(client_account) == Decimal("20.00")
    assert LedgerEntry.objects.filter(kind="credit_note").count() == 1


def test_processing_again_never_bills_twice(shared_page, client_account, staff):
    service = postpaid_service(shared_page, client_account, prorate_cancellations="postpaid")
    request = ask(service, D(2026, 3, 11))
    CancellationRequest.objects.filter(pk=request.pk).update(status="pending")
    cancellation_process(request_id=request.pk, now=at(D(2026, 3, 12), 9), actor=staff)
    run_day(D(2026, 3, 13))
    assert Invoice.objects.count() == 1 and Invoice.objects.get().total == Decimal("11.00")


def test_the_run_twice_on_the_same_day_processes_once(shared_page, client_account):
    product = plan(shared_page, prorate_cancellations="prepaid", process_cancellation_requests=False)
    service = ordered(client_account, product)
    ask(service, D(2026, 3, 10), hour=15)
    product.process_cancellation_requests = True
    product.save()
    first, second = run_day(D(2026, 3, 11)), run_day(D(2026, 3, 11))
    assert (first.counts["cancellations"], second.counts.get("cancellations", 0)) == (1, 0)
    assert CreditNote.objects.count() == 1
