"""Staff area for payments: the payments list (read-only), and on the invoice page Record payment
(bank transfer with the gateway's transaction id) and Apply credit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from moorage.billing.admin import InvoiceAdmin
from moorage.billing.models import Invoice, Payment
from moorage.billing.queries import client_credit_balance, invoice_outstanding
from moorage.core import clock
from moorage.core.admin_views import ReadOnlyAdmin, add_domain_error, form_page, readonly_fields_of
from moorage.core.errors import DomainError
from moorage.payments.actions import invoice_pay_from_credit, payment_record
from moorage.payments.gateways import GATEWAYS, RECORDABLE


class RecordPaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("More than the outstanding amount goes to the client's credit balance."),
    )
    gateway = forms.ChoiceField(label=_("Gateway"), choices=[(code, GATEWAYS[code].name) for code in RECORDABLE])
    transaction_id = forms.CharField(
        label=_("Transaction ID"),
        max_length=128,
        help_text=_("The gateway's (bank's) reference; each one is applied once."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments received: recorded by payment_record, never edited or deleted."""

    list_display = [
        "received_at",
        "client",
        "invoice",
        "gateway",
        "transaction_id",
        "amount",
        "currency",
        "recorded_by",
    ]
    list_filter = ["gateway", "currency"]
    search_fields = [
        "transaction_id",
        "client__user__email",
        "client__last_name",
        "client__organization",
        "note",
    ]
    list_select_related = ["client", "client__user", "invoice", "recorded_by"]
    date_hierarchy = "received_at"
    readonly_fields = readonly_fields_of(Payment)


class InvoiceWithPaymentsAdmin(InvoiceAdmin):
    """The invoice admin of billing, with the payment buttons (payments sit above billing)."""

    invoice_tools = [
        ("admin:billing_invoice_record_payment", "Record payment", (Invoice.Status.UNPAID,), True),
        ("admin:billing_invoice_apply_credit", "Apply credit", (Invoice.Status.UNPAID,), True),
        *InvoiceAdmin.invoice_tools,
    ]

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/record-payment/",
                wrap(self.record_payment_view),
                name="billing_invoice_record_payment",
            ),
            path(
                "<path:object_id>/apply-credit/",
                wrap(self.apply_credit_view),
                name="billing_invoice_apply_credit",
            ),
            *super().get_urls(),
        ]

    def record_payment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Record payment: the money that arrived (bank transfer) with its transaction id."""
        invoice = self._invoice(request, object_id)
        outstanding = invoice_outstanding(invoice)
        initial: dict[str, Any] = {
            "amount": outstanding if outstanding > 0 else None,
            "gateway": RECORDABLE[0],
        }
        form = RecordPaymentForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                payment, created = payment_record(
                    invoice_id=invoice.pk,
                    amount=data["amount"],
                    gateway=data["gateway"],
                    transaction_id=data["transaction_id"],
                    note=data["note"],
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if created:
                    invoice.refresh_from_db()
                    messages.success(
                        request,
                        _("Payment of %(amount)s %(currency)s recorded; %(invoice)s is %(lower)s.")
                        % {
                            "amount": payment.amount,
                            "currency": payment.currency,
                            "invoice": invoice,
                            "lower": invoice.get_status_display().lower(),
                        },
                    )
                else:
                    messages.warning(
                        request,
                        _("Transaction %(transaction_id)s was already recorded; nothing changed.")
                        % {"transaction_id": payment.transaction_id},
                    )
                return HttpResponseRedirect(self._page(invoice))
        return form_page(
            request,
            self,
            title=_("Record payment: %(invoice)s") % {"invoice": invoice},
            form=form,
            obj=invoice,
            submit_label=_("Record payment"),
            intro=_("Total %(total)s %(currency)s; outstanding %(outstanding)s %(currency)s; status %(lower)s.")
            % {
                "total": invoice.total,
                "currency": invoice.currency,
                "outstanding": outstanding,
                "lower": invoice.get_status_display().lower(),
            },
        )

    def apply_credit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Apply credit: pay the invoice from the client's credit balance (all or what there is)."""
        invoice = self._invoice(request, object_id)
        if request.method == "POST":
            try:
                used = invoice_pay_from_credit(invoice_id=invoice.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                invoice.refresh_from_db()
                messages.success(
                    request,
                    _("%(used)s %(currency)s of credit applied; %(invoice)s is %(lower)s.")
                    % {
                        "used": used,
                        "currency": invoice.currency,
                        "invoice": invoice,
                        "lower": invoice.get_status_display().lower(),
                    },
                )
            return HttpResponseRedirect(self._page(invoice))
        return form_page(
            request,
            self,
            title=_("Apply credit: %(invoice)s") % {"invoice": invoice},
            form=forms.Form(),
            obj=invoice,
            submit_label=_("Apply credit"),
            intro=_(
                "Credit balance %(client_credit_balance)s; outstanding on the invoice "
                "%(invoice_outstanding)s %(currency)s."
            )
            % {
                "client_credit_balance": client_credit_balance(invoice.client),
                "invoice_outstanding": invoice_outstanding(invoice),
                "currency": invoice.currency,
            },
        )


admin.site.unregister(Invoice)
admin.site.register(Invoice, InvoiceWithPaymentsAdmin)
