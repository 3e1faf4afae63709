"""Invoices, payments, services and orders in the staff area: every change through its action."""

from __future__ import annotations

import datetime as dt
import sys
import types
from decimal import Decimal

import pytest
from django.urls import reverse

from moorage.billing.models import Invoice, LedgerEntry, Payment
from moorage.billing.queries import client_credit_balance, invoice_outstanding
from moorage.core.models import AuditEntry
from moorage.orders.actions import CartItem, order_checkout
from moorage.services.models import Service, ServiceStatusChange

pytestmark = pytest.mark.django_db


def _record(browser, invoice, **overrides):  # noqa: ANN001, ANN003, ANN202
    data = {
        "amount": str(invoice.total),
        "gateway": "bank_transfer",
        "transaction_id": "BANK-1",
        "note": "",
    }
    data.update(overrides)
    return browser.post(reverse("admin:billing_invoice_record_payment", args=[invoice.pk]), data)


def _snapshot():  # noqa: ANN202
    return (
        Payment.objects.count(),
        LedgerEntry.objects.count(),
        AuditEntry.objects.count(),
        list(Invoice.objects.order_by("pk").values_list("status", flat=True)),
        list(Service.objects.order_by("pk").values_list("status", flat=True)),
    )


def test_record_payment_activates_the_service(browser, world, staff, test_clock):
    page = browser.get(reverse("admin:billing_invoice_record_payment", args=[world.invoice.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial["amount"] == Decimal("4.99")
    response = _record(browser, world.invoice, transaction_id="BANK-777", note="wire from ACME")
    assert response.status_code == 302
    world.invoice.refresh_from_db()
    world.service.refresh_from_db()
    assert world.invoice.status == "paid" and world.invoice.paid_date == test_clock
    assert world.service.status == "active"
    assert world.service.start_date == dt.date(2026, 1, 15)  # ordered on the 15th, no Adjust Initial Period
    assert world.service.next_due_date == dt.date(2026, 2, 15)
    payment = Payment.objects.get()
    assert (payment.transaction_id, payment.recorded_by, payment.note) == (
        "BANK-777",
        staff,
        "wire from ACME",
    )
    world.order.refresh_from_db()
    assert world.order.status == "active"


def test_overpayment_becomes_credit(browser, world):
    _record(browser, world.invoice, amount="10.00")
    assert client_credit_balance(world.client) == Decimal("5.01")


def test_already_used_transaction_id_is_an_error_and_changes_nothing(browser, world, other_client, now):
    other = order_checkout(client=other_client, items=[CartItem(world.starter.pk, "monthly", "other.com")], now=now)
    _record(browser, world.invoice, transaction_id="BANK-1")
    before = _snapshot()
    response = _record(browser, other.invoice, transaction_id="BANK-1")
    assert response.status_code == 200
    assert "already recorded" in " ".join(response.context["form"].errors["transaction_id"])
    assert _snapshot() == before
    # the same transaction arriving again for the same invoice and amount: nothing new either
    response = browser.post(
        reverse("admin:billing_invoice_record_payment", args=[world.invoice.pk]),
        {"amount": "4.99", "gateway": "bank_transfer", "transaction_id": "BANK-1"},
        follow=True,
    )
    assert "nothing changed" in response.content.decode()
    assert _snapshot() == before


def test_paying_a_cancelled_invoice_is_an_error(browser, world):
    response = browser.post(reverse("admin:billing_invoice_cancel", args=[world.invoice.pk]), {"reason": "duplicate"})
    assert response.status_code == 302
    world.invoice.refresh_from_db()
    assert world.invoice.status == "cancelled" and world.invoice.cancelled_date is not None
    before = _snapshot()
    response = _record(browser, world.invoice, transaction_id="BANK-9")
    assert response.status_code == 200
    assert "cancelled and cannot be paid" in response.content.decode()
    assert _snapshot() == before
    page = browser.get(reverse("admin:billing_invoice_change", args=[world.invoice.pk])).content.decode()
    assert "Record payment" not in page


def test_invalid_payment_input_is_a_form_error(browser, world):
    before = _snapshot()
    for data in (
        {"amount": "0"},
        {"amount": "abc"},
        {"transaction_id": ""},
        {"gateway": "credit_balance"},
    ):
        response = _record(browser, world.invoice, **data)
        assert response.status_code == 200 and response.context["form"].errors
    assert _snapshot() == before


def test_apply_credit(browser, world, staff, now):
    from moorage.billing.actions import credit_add

    response = browser.post(reverse("admin:billing_invoice_apply_credit", args=[world.invoice.pk]), follow=True)
    assert "no credit balance" in response.content.decode()
    credit_add(client=world.client, amount=Decimal("10.00"), reason="goodwill", now=now, actor=staff)
    assert browser.get(reverse("admin:billing_invoice_apply_credit", args=[world.invoice.pk])).status_code == 200
    browser.post(reverse("admin:billing_invoice_apply_credit", args=[world.invoice.pk]))
    world.invoice.refresh_from_db()
    world.service.refresh_from_db()
    assert world.invoice.status == "paid" and world.service.status == "active"
    assert client_credit_balance(world.client) == Decimal("5.01")


def test_cancel_invoice_action_and_errors(browser, world):
    _record(browser, world.invoice)
    response = browser.post(reverse("admin:billing_invoice_cancel", args=[world.invoice.pk]), {"reason": "x"})
    assert response.status_code == 200 and "only an unpaid invoice" in response.content.decode()
    world.invoice.refresh_from_db()
    assert world.invoice.status == "paid"
    response = browser.post(
        reverse("admin:billing_invoice_changelist"),
        {"action": "cancel_selected", "_selected_action": [world.invoice.pk]},
        follow=True,
    )
    assert "only an unpaid invoice" in response.content.decode()


def test_invoice_page_shows_lines_read_only(browser, world):
    page = browser.get(reverse("admin:billing_invoice_change", args=[world.invoice.pk])).content.decode()
    assert "Starter Hosting - example.com" in page
    assert 'name="lines-0-amount"' not in page and 'name="_save"' not in page
    assert "Record payment" in page and "Apply credit" in page and "Download PDF" in page


def test_invoice_pdf(browser, world, monkeypatch):
    calls = []

    def render_invoice_pdf(invoice):  # noqa: ANN001, ANN202
        calls.append(invoice.pk)
        return b"%PDF-1.7 fake"

    try:
        import moorage.billing.pdf as pdf_module
    except ImportError:  # written by another developer; the view imports it lazily
        pdf_module = types.ModuleType("moorage.billing.pdf")
        monkeypatch.setitem(sys.modules, "moorage.billing.pdf", pdf_module)
    monkeypatch.setattr(pdf_module, "render_invoice_pdf", render_invoice_pdf, raising=False)
    response = browser.get(reverse("admin:billing_invoice_pdf", args=[world.invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.7 fake" and calls == [world.invoice.pk]
    assert "invoice-000001.pdf" in response["Content-Disposition"]


def test_service_status_changes_follow_the_lifecycle(browser, world, staff):
    url = reverse("admin:services_service_status", args=[world.service.pk])
    form = browser.get(url).context["form"]
    assert [c for c, _ in form.fields["status"].choices] == ["active", "cancelled", "fraud"]
    response = browser.post(url, {"status": "suspended", "reason": "abuse"})  # pending cannot be suspended
    assert response.status_code == 200 and "status" in response.context["form"].errors
    assert browser.post(url, {"status": "active", "reason": "by hand"}).status_code == 302
    assert browser.post(url, {"status": "suspended", "reason": "abuse report"}).status_code == 302
    world.service.refresh_from_db()
    assert (world.service.status, world.service.status_reason) == ("suspended", "abuse report")
    assert list(ServiceStatusChange.objects.filter(service=world.service).values_list("to_status", flat=True)) == [
        "pending",
        "active",
        "suspended",
    ]
    assert ServiceStatusChange.objects.filter(actor=staff).count() == 2
    browser.post(url, {"status": "terminated"})
    response = browser.get(url, follow=True)
    assert "cannot change status" in response.content.decode()


def test_cancel_order(browser, world):
    page = browser.get(reverse("admin:orders_order_change", args=[world.order.pk])).content.decode()
    assert "example.com" in page and "Cancel order" in page and f"#{world.service.pk}" in page
    response = browser.post(reverse("admin:orders_order_cancel", args=[world.order.pk]), {"reason": "client asked"})
    assert response.status_code == 302
    world.order.refresh_from_db()
    world.invoice.refresh_from_db()
    world.service.refresh_from_db()
    assert (world.order.status, world.invoice.status, world.service.status) == (
        "cancelled",
        "cancelled",
        "cancelled",
    )
    assert invoice_outstanding(world.invoice) == Decimal("0.00")
    response = browser.post(
        reverse("admin:orders_order_changelist"),
        {"action": "cancel_selected", "_selected_action": [world.order.pk]},
        follow=True,
    )
    assert "only a pending order" in response.content.decode()
