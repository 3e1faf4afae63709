"""Invoices and credit notes as PDF documents (WeasyPrint), for the client area and the staff area."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from moorage.billing.models import CreditNote, Invoice, LedgerEntry
from moorage.billing.queries import invoice_outstanding, invoice_paid_amount


def invoice_context(invoice: Invoice) -> dict:
    """What the invoice document shows: seller, client, lines, totals and how to pay."""
    payments = (
        LedgerEntry.objects.filter(
            invoice=invoice,
            account=LedgerEntry.Account.RECEIVABLE,
            kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.CREDIT_APPLIED],
        )
        .select_related("payment")
        .order_by("created_at", "id")
    )
    return {
        "invoice": invoice,
        "client": invoice.client,
        "lines": list(invoice.lines.order_by("id")),
        "paid": invoice_paid_amount(invoice),
        "outstanding": invoice_outstanding(invoice),
        "payments": [
            {
                "date": e.created_at,
                "kind": e.get_kind_display(),
                "reference": e.payment.transaction_id if e.payment else "",
                "amount": -e.amount,
            }
            for e in payments
        ],
        "company_name": settings.MOORAGE_COMPANY_NAME,
        "company_address": settings.MOORAGE_COMPANY_ADDRESS,
        "company_tax_id": settings.MOORAGE_COMPANY_TAX_ID,
        "bank_details": settings.MOORAGE_BANK_DETAILS,
        "currency": invoice.currency,
    }


def render_invoice_html(invoice: Invoice) -> str:
    """The invoice document in its client's language."""
    with translation.override(invoice.client.language or settings.LANGUAGE_CODE):
        return render_to_string("billing/invoice_pdf.html", invoice_context(invoice))


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice rendered as PDF bytes (A4)."""
    from weasyprint import (
        HTML,
    )  # imported here: loading pango takes a moment and most requests need none

    return HTML(string=render_invoice_html(invoice)).write_pdf()


def credit_note_context(note: CreditNote) -> dict:
    """What the credit note document shows: seller, client, the amount credited and why."""
    return {
        "note": note,
        "client": note.client,
        "invoice": note.invoice,
        "service": note.service,
        "company_name": settings.MOORAGE_COMPANY_NAME,
        "currency": note.currency,
    }


def render_credit_note_html(note: CreditNote) -> str:
    """The credit note document in its client's language."""
    with translation.override(note.client.language or settings.LANGUAGE_CODE):
        return render_to_string("billing/credit_note_pdf.html", credit_note_context(note))


def render_credit_note_pdf(note: CreditNote) -> bytes:
    """The credit note rendered as PDF bytes (A4)."""
    from weasyprint import HTML  # imported here: loading pango takes a moment

    return HTML(string=render_credit_note_html(note)).write_pdf()
