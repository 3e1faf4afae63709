"""Credit: Remove credit (never below zero), Refund to credit (never more than was paid, once),
credit applied automatically at checkout, and credit notes as numbered PDF documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from moorage.billing.actions import credit_add, credit_remove, issue_credit_note, refund_to_credit
from moorage.billing.models import CreditNote, Invoice, LedgerEntry
from moorage.billing.pdf import render_credit_note_html, render_credit_note_pdf
from moorage.billing.queries import client_balance, client_credit_balance, refundable_amount
from moorage.cancellations.actions import cancellation_request
from moorage.core.errors import DomainError
from moorage.core.models import AuditEntry
from moorage.services.models import Service
from tests import factories
from tests.automation.conftest import at
from tests.cancellations.conftest import MARCH_1, D, ordered, plan

pytestmark = pytest.mark.django_db
NOW = at(MARCH_1, 12)


# --- Remove credit ---------------------------------------------------------------------------------


def test_remove_credit_with_a_reason_never_below_zero(client_account, staff, unchanged):
    credit_add(client=client_account, amount=Decimal("10.00"), reason="goodwill", now=NOW, actor=staff)
    entry = credit_remove(client=client_account, amount="4.00", reason="given by mistake", now=NOW, actor=staff)
    assert (entry.kind, entry.account, entry.amount, entry.memo) == (
        "credit_removed",
        "credit",
        Decimal("-4.00"),
        "given by mistake",
    )
    assert client_credit_balance(client_account) == Decimal("6.00")
    assert AuditEntry.objects.filter(action="credit_remove", data__amount="4.00").exists()
    with unchanged(), pytest.raises(DomainError) as err:
        credit_remove(client=client_account, amount="6.01", reason="too much", now=NOW, actor=staff)
    assert (err.value.code, err.value.field) == ("insufficient_credit", "amount")
    assert "has 6.00 of credit" in err.value.message
    with unchanged(), pytest.raises(DomainError) as err:
        credit_remove(client=client_account, amount="1.00", reason=" ", now=NOW, actor=staff)
    assert err.value.field == "reason"
    with unchanged(), pytest.raises(DomainError):
        credit_remove(client=client_account, amount="-1.00", reason="negative", now=NOW, actor=staff)
    credit_remove(client=client_account, amount="6.00", reason="all of it", now=NOW, actor=staff)
    assert client_credit_balance(client_account) == Decimal("0.00")


# --- Refund to credit --------------------------------------------------------------------------------


def test_refund_a_paid_invoice_to_credit_never_more_than_paid(shared_page, client_account, staff, unchanged):
    """Paid 31.00: refund 10.00, then 21.00 is left; 21.01 is refused; the rest, then nothing."""
    ordered(client_account, plan(shared_page))
    invoice = Invoice.objects.get()
    first = refund_to_credit(invoice_id=invoice.pk, amount="10.00", reason="outage", now=NOW, actor=staff)
    assert (first.kind, first.account, first.amount, first.invoice) == ("refund", "credit", Decimal("10.00"), invoice)
    assert refundable_amount(invoice) == Decimal("21.00")
    with unchanged(), pytest.raises(DomainError) as err:
        refund_to_credit(invoice_id=invoice.pk, amount="21.01", reason="outage", now=NOW, actor=staff)
    assert (err.value.code, err.value.field) == ("refund_exceeds_paid", "amount")
    rest = refund_to_credit(invoice_id=invoice.pk, reason="the rest", now=NOW, actor=staff)
    assert rest.amount == Decimal("21.00")
    with unchanged(), pytest.raises(DomainError) as err:
        refund_to_credit(invoice_id=invoice.pk, reason="again", now=NOW, actor=staff)
    assert err.value.code == "nothing_to_refund"
    assert client_credit_balance(client_account) == Decimal("31.00")
    # The invoice stays paid; the client holds 31.00 of credit: balance −31.00.
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert client_balance(client_account) == Decimal("-31.00")
    assert AuditEntry.objects.filter(action="refund_to_credit").count() == 2


def test_refund_the_same_full_amount_twice_is_refused(shared_page, client_account, staff, unchanged):
    ordered(client_account, plan(shared_page))
    invoice = Invoice.objects.get()
    refund_to_credit(invoice_id=invoice.pk, amount="31.00", reason="outage", now=NOW, actor=staff)
    with unchanged(), pytest.raises(DomainError) as err:
        refund_to_credit(invoice_id=invoice.pk, amount="31.00", reason="outage", now=NOW, actor=staff)
    assert err.value.code == "nothing_to_refund"


def test_refund_a_payment_counts_only_what_it_paid_on_the_invoice(shared_page, client_account, staff, unchanged):
    """40.00 paid on a 31.00 invoice: 9.00 went to credit as overpayment, so at most 31.00 of the
    payment can be refunded to credit."""
    product = plan(shared_page)
    service = ordered(client_account, product, paid=False)
    invoice = Invoice.objects.get()
    payment, _ = factories.pay(invoice, "40.00", transaction_id="BANK-40", now=NOW)
    assert client_credit_balance(client_account) == Decimal("9.00")
    assert refundable_amount(invoice, payment) == Decimal("31.00")
    with unchanged(), pytest.raises(DomainError) as err:
        refund_to_credit(payment_id=payment.pk, amount="31.50", reason="x", now=NOW, actor=staff)
    assert err.value.code == "refund_exceeds_paid"
    entry = refund_to_credit(payment_id=payment.pk, reason="double charge", now=NOW, actor=staff)
    assert (entry.amount, entry.payment, entry.invoice) == (Decimal("31.00"), payment, invoice)
    assert client_credit_balance(client_account) == Decimal("40.00")
    with pytest.raises(DomainError):
        refund_to_credit(invoice_id=invoice.pk, reason="again", now=NOW, actor=staff)
    assert Service.objects.get(pk=service.pk).status == "active"


def test_refund_of_an_unpaid_invoice_is_refused(shared_page, client_account, staff, unchanged):
    ordered(client_account, plan(shared_page), paid=False)
    invoice = Invoice.objects.get()
    with unchanged(), pytest.raises(DomainError) as err:
        refund_to_credit(invoice_id=invoice.pk, reason="x", now=NOW, actor=staff)
    assert err.value.code == "invoice_not_paid"


def test_refund_of_a_payment_of_another_invoice_is_refused(shared_page, client_account, staff):
    ordered(client_account, plan(shared_page))
    ordered(client_account, plan(shared_page, name="Second"))
    first, second = Invoice.objects.order_by("number")
    payment = second.payments.get()
    with pytest.raises(DomainError) as err:
        refund_to_credit(invoice_id=first.pk, payment_id=payment.pk, reason="x", now=NOW, actor=staff)
    assert err.value.field == "payment"


# --- Apply credit automatically at checkout -----------------------------------------------------------


def test_checkout_pays_the_new_invoice_from_credit(shared_page, client_account, staff):
    """Credit 50.00, order 31.00: the invoice is paid from credit at once and the service starts;
    19.00 of credit is left."""
    credit_add(client=client_account, amount=Decimal("50.00"), reason="prepaid", now=NOW, actor=staff)
    service = ordered(client_account, plan(shared_page), paid=False)
    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.paid_date) == ("paid", MARCH_1)
    assert (service.status, service.start_date, service.next_due_date) == ("active", MARCH_1, D(2026, 4, 1))
    assert client_credit_balance(client_account) == Decimal("19.00")
    assert list(LedgerEntry.objects.filter(invoice=invoice).values_list("account", "kind", "amount")) == [
        ("receivable", "invoice_issued", Decimal("31.00")),
        ("credit", "credit_applied", Decimal("-31.00")),
        ("receivable", "credit_applied", Decimal("-31.00")),
    ]
    assert service.order_item.order.status == "active"


def test_checkout_with_too_little_credit_pays_part(shared_page, client_account, staff):
    """Credit 10.00, order 31.00: 10.00 applied, 21.00 still due, the service waits."""
    credit_add(client=client_account, amount=Decimal("10.00"), reason="prepaid", now=NOW, actor=staff)
    service = ordered(client_account, plan(shared_page), paid=False)
    invoice = Invoice.objects.get()
    assert invoice.status == "unpaid" and service.status == "pending"
    assert client_credit_balance(client_account) == Decimal("0.00")
    assert client_balance(client_account) == Decimal("21.00")


def test_checkout_leaves_credit_alone_when_the_setting_is_off(shared_page, client_account, staff, defaults):
    defaults.apply_credit_automatically = False
    defaults.save()
    credit_add(client=client_account, amount=Decimal("50.00"), reason="prepaid", now=NOW, actor=staff)
    service = ordered(client_account, plan(shared_page), paid=False)
    assert Invoice.objects.get().status == "unpaid" and service.status == "pending"
    assert client_credit_balance(client_account) == Decimal("50.00")


# --- Credit notes ----------------------------------------------------------------------------------


def test_credit_notes_are_numbered_in_sequence_and_rendered_as_pdf(shared_page, client_account):
    product = plan(shared_page, prorate_cancellations="prepaid")
    first, second = ordered(client_account, product), ordered(client_account, product)
    for service in (first, second):
        cancellation_request(
            service_id=service.pk, type="immediate", reason="done", now=at(D(2026, 3, 11), 10), actor=None
        )
    with transaction.atomic():
        third = issue_credit_note(
            client=client_account, amount=Decimal("1.50"), reason="goodwill", now=NOW, issue_date=D(2026, 3, 12)
        )
    notes = list(CreditNote.objects.order_by("number"))
    assert [n.display_number for n in notes] == ["CN-000001", "CN-000002", "CN-000003"]
    assert [n.amount for n in notes] == [Decimal("20.00"), Decimal("20.00"), Decimal("1.50")]
    assert notes[2] == third and third.invoice is None
    html = render_credit_note_html(notes[0])
    assert "CN-000001" in html and "20.00" in html and "Plan 31" in html
    pdf = render_credit_note_pdf(notes[0])
    assert pdf.startswith(b"%PDF")
    assert client_credit_balance(client_account) == Decimal("41.50")


def test_a_credit_note_needs_a_positive_amount(client_account):
    with pytest.raises(DomainError), transaction.atomic():
        issue_credit_note(client=client_account, amount="0.00", reason="x", now=NOW, issue_date=dt.date(2026, 3, 1))
