"""Staff area for billing: invoices (lines, cancel, PDF), the ledger (append-only) and Add credit.

Issued invoices, their lines, payments and ledger entries are never edited or deleted here; they
change only through actions (payments add Record payment and Apply credit in payments.admin).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from moorage.billing.actions import credit_add, credit_remove, invoice_cancel, refund_to_credit
from moorage.billing.models import CreditNote, Invoice, InvoiceLine, LedgerEntry, Payment
from moorage.billing.queries import (
    client_amount_due,
    client_credit_balance,
    invoice_outstanding,
    invoice_paid_amount,
    refundable_amount,
)
from moorage.core import clock
from moorage.core.admin_views import (
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    add_domain_error,
    form_page,
    readonly_fields_of,
)
from moorage.core.errors import DomainError
from moorage.customers.admin import client_page_section
from moorage.customers.models import Client


class InvoiceLineInline(ReadOnlyTabularInline):
    model = InvoiceLine
    fields = ["kind", "description", "service", "cycle", "period_start", "period_end", "amount"]
    readonly_fields = fields
    verbose_name_plural = "lines"


class InvoicePaymentInline(ReadOnlyTabularInline):
    model = Payment
    fields = [
        "received_at",
        "gateway",
        "transaction_id",
        "amount",
        "currency",
        "recorded_by",
        "note",
    ]
    readonly_fields = fields
    verbose_name_plural = "payments"


class InvoiceLedgerInline(ReadOnlyTabularInline):
    model = LedgerEntry
    fields = ["created_at", "account", "kind", "amount", "memo", "actor"]
    readonly_fields = fields
    verbose_name_plural = "ledger entries"


class CancelInvoiceForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Recorded with the cancellation. The invoice keeps its number."),
    )


class AddCreditForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("Reason"), max_length=300, help_text=_("Why the credit is given (recorded)."))


class RemoveCreditForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("Reason"), max_length=300, help_text=_("Why the credit is removed (recorded)."))


class RefundForm(forms.Form):
    payment = forms.ChoiceField(label=_("Refund"), required=False)
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("Empty: all that was paid and not yet refunded."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, help_text=_("Why the money is refunded (recorded)."))

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", f"Invoice {invoice.display_number} (up to {refundable_amount(invoice)})")]
        for p in invoice.payments.order_by("received_at", "pk"):
            choices.append(
                (str(p.pk), f"Payment {p.transaction_id} of {p.amount} (up to {refundable_amount(invoice, p)})")
            )
        self.fields["payment"].choices = choices


def cancel_invoice_or_order(invoice: Invoice, *, actor: Any, reason: str) -> None:
    """Cancel an invoice; an unpaid order's first invoice is cancelled by cancelling its order, so the
    order and its services do not wait for a payment that can no longer come."""
    from moorage.orders.actions import order_cancel
    from moorage.orders.models import Order

    order = Order.objects.filter(invoice=invoice, status=Order.Status.PENDING).first()
    if order is not None and invoice.status == Invoice.Status.UNPAID:
        order_cancel(order_id=order.pk, now=clock.now(), actor=actor, reason=reason or "invoice cancelled")
        return
    invoice_cancel(invoice_id=invoice.pk, now=clock.now(), cancelled_on=clock.today(), actor=actor, reason=reason)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """Invoices: found by number or client; cancelled, paid (payments.admin) or printed here."""

    list_display = [
        "display_number",
        "client",
        "kind",
        "status",
        "total",
        "currency",
        "issue_date",
        "due_date",
        "paid_date",
    ]
    list_filter = ["status", "kind"]
    search_fields = [
        "client__user__email",
        "client__first_name",
        "client__last_name",
        "client__organization",
    ]
    search_help_text = "Invoice number or the client's email, name or organization"
    list_select_related = ["client", "client__user"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, InvoicePaymentInline, InvoiceLedgerInline]
    actions = ["cancel_selected"]
    change_form_template = "admin/billing/invoice/change_form.html"
    fields = [
        "number",
        "client",
        "kind",
        "status",
        "currency",
        "issue_date",
        "due_date",
        "paid_date",
        "cancelled_date",
        "total",
        "paid_amount",
        "outstanding",
        "notes",
        "created_at",
        "order_link",
    ]
    readonly_fields = fields

    # Buttons of the invoice page: (url name, label, statuses it is shown for, changes the invoice).
    # payments.admin adds Record payment and Apply credit.
    invoice_tools: list[tuple[str, str, tuple[str, ...], bool]] = [
        ("admin:billing_invoice_pdf", "Download PDF", tuple(Invoice.Status.values), False),
        ("admin:billing_invoice_cancel", "Cancel invoice", (Invoice.Status.UNPAID,), True),
        ("admin:billing_invoice_refund", "Refund to credit", (Invoice.Status.PAID,), True),
    ]

    @admin.display(description=_("Number"), ordering="number")
    def display_number(self, obj: Invoice) -> str:
        return obj.display_number

    @admin.display(description=_("Outstanding"))
    def outstanding(self, obj: Invoice) -> Decimal:
        return invoice_outstanding(obj)

    @admin.display(description=_("Paid"))
    def paid_amount(self, obj: Invoice) -> Decimal:
        return invoice_paid_amount(obj)

    @admin.display(description=_("Order"))
    def order_link(self, obj: Invoice) -> str:
        order = getattr(obj, "order", None)
        if order is None:
            return "-"
        url = reverse("admin:orders_order_change", args=[order.pk])
        return format_html('<a href="{}">{}</a>', url, order)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Invoice], search_term: str
    ) -> tuple[QuerySet[Invoice], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().lstrip("#")
        if term.isdigit():
            results = results | queryset.filter(number=int(term))
        return results, may_have_duplicates

    def has_invoice_action_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.change_invoice")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return self.has_invoice_action_permission(request)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        invoice = Invoice.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        tools = []
        if invoice is not None:
            acts = self.has_invoice_action_permission(request)
            for url_name, label, statuses, changes in self.invoice_tools:
                if invoice.status in statuses and (acts or not changes):
                    tools.append((reverse(url_name, args=[invoice.pk]), label))
        extra = {**(extra_context or {}), "invoice_tools": tools}
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/cancel/", wrap(self.cancel_view), name="billing_invoice_cancel"),
            path("<path:object_id>/pdf/", wrap(self.pdf_view), name="billing_invoice_pdf"),
            path("<path:object_id>/refund/", wrap(self.refund_view), name="billing_invoice_refund"),
            *super().get_urls(),
        ]

    def _invoice(self, request: HttpRequest, object_id: str, *, act: bool = True) -> Invoice:
        invoice = get_object_or_404(Invoice.objects.select_related("client", "client__user"), pk=object_id)
        if act and not self.has_invoice_action_permission(request):
            raise PermissionDenied
        if not act and not self.has_view_permission(request, invoice):
            raise PermissionDenied
        return invoice

    @staticmethod
    def _page(invoice: Invoice) -> str:
        return reverse("admin:billing_invoice_change", args=[invoice.pk])

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice = self._invoice(request, object_id)
        form = CancelInvoiceForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                cancel_invoice_or_order(invoice, actor=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("%(invoice)s cancelled.") % {"invoice": invoice})
                return HttpResponseRedirect(self._page(invoice))
        return form_page(
            request,
            self,
            title=_("Cancel %(invoice)s") % {"invoice": invoice},
            form=form,
            obj=invoice,
            submit_label=_("Cancel invoice"),
            intro=_("What was already paid on the invoice goes to the client's credit balance."),
        )

    @admin.action(description=_("Cancel selected unpaid invoices"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        done = 0
        for invoice in queryset.order_by("pk"):
            try:
                cancel_invoice_or_order(invoice, actor=request.user, reason="cancelled by staff")
            except DomainError as exc:
                messages.error(request, f"{invoice}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(
                request, ngettext("%(done)s invoice cancelled.", "%(done)s invoices cancelled.", done) % {"done": done}
            )

    cancel_selected.allowed_permissions = ("cancel",)  # type: ignore[attr-defined]

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Refund to credit: what was paid on the invoice (or by one payment) back to the credit balance."""
        invoice = self._invoice(request, object_id)
        form = RefundForm(request.POST or None, invoice=invoice)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                entry = refund_to_credit(
                    invoice_id=invoice.pk,
                    payment_id=int(data["payment"]) if data["payment"] else None,
                    amount=data["amount"],
                    reason=data["reason"],
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(amount)s %(currency)s refunded to the client's credit balance.")
                    % {"amount": entry.amount, "currency": entry.currency},
                )
                return HttpResponseRedirect(self._page(invoice))
        return form_page(
            request,
            self,
            title=_("Refund to credit: %(invoice)s") % {"invoice": invoice},
            form=form,
            obj=invoice,
            submit_label=_("Refund to credit"),
            intro=_(
                "Paid %(invoice_paid_amount)s %(currency)s; refundable now %(refundable_amount)s "
                "%(currency)s. The money goes to the client's credit balance."
            )
            % {
                "invoice_paid_amount": invoice_paid_amount(invoice),
                "currency": invoice.currency,
                "refundable_amount": refundable_amount(invoice),
            },
        )

    def pdf_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice = self._invoice(request, object_id, act=False)
        from moorage.billing.pdf import render_invoice_pdf  # imported here: WeasyPrint loads slowly

        result = render_invoice_pdf(invoice)
        if isinstance(result, HttpResponse):
            return result
        response = HttpResponse(result, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="invoice-{invoice.display_number}.pdf"'
        return response


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """The ledger: every change of a client's money state, append-only."""

    list_display = [
        "created_at",
        "client",
        "account",
        "kind",
        "amount",
        "currency",
        "invoice",
        "payment",
        "memo",
        "actor",
    ]
    list_filter = ["account", "kind"]
    search_fields = ["client__user__email", "client__last_name", "client__organization", "memo"]
    list_select_related = ["client", "client__user", "invoice", "payment", "actor"]
    date_hierarchy = "created_at"
    readonly_fields = readonly_fields_of(LedgerEntry)

    def get_urls(self):  # noqa: ANN201
        return [
            path(
                "add-credit/<int:client_id>/",
                self.admin_site.admin_view(self.add_credit_view),
                name="billing_add_credit",
            ),
            path(
                "remove-credit/<int:client_id>/",
                self.admin_site.admin_view(self.remove_credit_view),
                name="billing_remove_credit",
            ),
            *super().get_urls(),
        ]

    def add_credit_view(self, request: HttpRequest, client_id: int) -> HttpResponse:
        """Add credit to a client's balance, with the reason (credit_add)."""
        if not request.user.has_perm("billing.add_ledgerentry"):
            raise PermissionDenied
        client = get_object_or_404(Client.objects.select_related("user"), pk=client_id)
        form = AddCreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = credit_add(
                    client=client,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(amount)s %(currency)s credit added to %(display_name)s.")
                    % {"amount": entry.amount, "currency": entry.currency, "display_name": client.display_name},
                )
                return HttpResponseRedirect(reverse("admin:customers_client_change", args=[client.pk]))
        return form_page(
            request,
            self,
            title=_("Add credit: %(display_name)s") % {"display_name": client.display_name},
            form=form,
            submit_label=_("Add credit"),
            intro=_("Credit balance now: %(client_credit_balance)s.")
            % {"client_credit_balance": client_credit_balance(client)},
        )

    def remove_credit_view(self, request: HttpRequest, client_id: int) -> HttpResponse:
        """Remove credit from a client's balance, with the reason (credit_remove); never below zero."""
        if not request.user.has_perm("billing.add_ledgerentry"):
            raise PermissionDenied
        client = get_object_or_404(Client.objects.select_related("user"), pk=client_id)
        form = RemoveCreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = credit_remove(
                    client=client,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(amount)s %(currency)s credit removed from %(display_name)s.")
                    % {"amount": -entry.amount, "currency": entry.currency, "display_name": client.display_name},
                )
                return HttpResponseRedirect(reverse("admin:customers_client_change", args=[client.pk]))
        return form_page(
            request,
            self,
            title=_("Remove credit: %(display_name)s") % {"display_name": client.display_name},
            form=form,
            submit_label=_("Remove credit"),
            intro=_("Credit balance now: %(client_credit_balance)s.")
            % {"client_credit_balance": client_credit_balance(client)},
        )


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    """Credit notes: numbered documents (CN-000001) of money credited back; issued by actions only."""

    list_display = ["display_number", "client", "amount", "currency", "issue_date", "invoice", "service", "reason"]
    search_fields = ["client__user__email", "client__last_name", "client__organization", "reason"]
    list_select_related = ["client", "client__user", "invoice", "service", "service__product"]
    date_hierarchy = "issue_date"
    readonly_fields = readonly_fields_of(CreditNote)
    change_form_template = "admin/billing/creditnote/change_form.html"

    @admin.display(description=_("Number"), ordering="number")
    def display_number(self, obj: CreditNote) -> str:
        return obj.display_number

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CreditNote], search_term: str
    ) -> tuple[QuerySet[CreditNote], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().upper().removeprefix("CN-")
        if term.isdigit():
            results = results | queryset.filter(number=int(term))
        return results, may_have_duplicates

    def get_urls(self):  # noqa: ANN201
        return [
            path("<path:object_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_creditnote_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        note = get_object_or_404(CreditNote.objects.select_related("client", "client__user"), pk=object_id)
        if not self.has_view_permission(request, note):
            raise PermissionDenied
        from moorage.billing.pdf import render_credit_note_pdf  # imported here: WeasyPrint loads slowly

        response = HttpResponse(render_credit_note_pdf(note), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="credit-note-{note.display_number}.pdf"'
        return response


@client_page_section(30)
def _billing_section(request: HttpRequest, client: Client) -> str:
    context = {
        "client": client,
        "credit_balance": client_credit_balance(client),
        "amount_due": client_amount_due(client),
        "invoices": client.invoices.order_by("-number")[:50],
        "ledger": client.ledger_entries.select_related("invoice", "payment", "actor").order_by("-created_at", "-id")[
            :100
        ],
        "can_add_credit": request.user.has_perm("billing.add_ledgerentry"),
        "credit_notes": client.credit_notes.select_related("invoice").order_by("-number")[:50],
    }
    return render_to_string("admin/billing/client_section.html", context, request=request)
