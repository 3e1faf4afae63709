"""Staff area for payments: the payments list (read-only), and on the invoice page Record payment
(bank transfer with the gateway's transaction id) and Apply credit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from moorage.billing.admin import InvoiceAdmin
from moorage.billing.models import Invoice, Payment
from moorage.billing.queries import client_credit_balance, invoice_outstanding, refundable_amount
from moorage.core import clock
from moorage.core.admin_views import ReadOnlyAdmin, add_domain_error, form_page, readonly_fields_of
from moorage.core.errors import DomainError
from moorage.payments import configure, gateways, online, registry
from moorage.payments.actions import invoice_pay_from_credit, payment_record
from moorage.payments.interface import GatewayModule
from moorage.payments.models import (
    AutoCharge,
    Checkout,
    GatewayConfig,
    GatewayRefund,
    HeldPayment,
    SavedPaymentMethod,
    WebhookEvent,
)


class RecordPaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("More than the outstanding amount goes to the client's credit balance."),
    )
    gateway = forms.ChoiceField(label=_("Gateway"), choices=())
    transaction_id = forms.CharField(
        label=_("Transaction ID"),
        max_length=128,
        help_text=_("The gateway's (bank's) reference; each one is applied once."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gateway"].choices = [(code, gateways.info(code).name) for code in gateways.recordable()]


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
    readonly_fields = [*readonly_fields_of(Payment), "refund_through_gateway"]

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/refund-through-gateway/",
                wrap(lambda request, object_id: refund_view(self, request, object_id)),
                name="billing_payment_refund_gateway",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Refund through gateway")
    def refund_through_gateway(self, obj: Payment) -> str:
        cls = registry.module_class(obj.gateway)
        if obj.pk is None or cls is None or not cls.supports_refunds:
            return "—"
        url = reverse("admin:billing_payment_refund_gateway", args=[obj.pk])
        return format_html('<a class="button" href="{}">Refund through gateway…</a>', url)


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
            "gateway": next(iter(gateways.recordable()), ""),
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


# --- Settings → Payment Gateways, held payments, refunds, the webhook log ------------------------------

MULTILINE = {"instructions", "bank_details"}


def _gateway_form(cls: type[GatewayModule], config: GatewayConfig | None, data: Any = None) -> forms.Form:
    """The settings form of one gateway, generated from its module's `settings_fields`."""
    stored = config.get_settings() if config is not None else {}
    form = forms.Form(
        data,
        initial={
            "enabled": config.enabled if config is not None else cls.enabled_by_default,
            "display_name": config.display_name if config is not None else "",
            "sort_order": config.sort_order if config is not None else 0,
        },
    )
    form.fields["enabled"] = forms.BooleanField(label="Enabled", required=False)
    form.fields["display_name"] = forms.CharField(
        label="Display name", max_length=100, required=False, help_text=f"Shown to clients; empty = “{cls.name}”."
    )
    form.fields["sort_order"] = forms.IntegerField(label="Order", min_value=0, max_value=10_000, initial=0)
    for f in cls.settings_fields:
        if f.secret:
            have = bool(stored.get(f.name))
            hint = "Stored (••••••••); leave blank to keep it." if have else "Not set."
            field: forms.Field = forms.CharField(
                label=f.label,
                required=False,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                help_text=f"{f.help} {hint}".strip(),
            )
        elif f.choices:
            field = forms.ChoiceField(label=f.label, required=False, choices=list(f.choices), help_text=f.help)
            form.initial[f.name] = stored.get(f.name, f.default)
        else:
            widget = forms.Textarea(attrs={"rows": 4}) if f.name in MULTILINE else forms.TextInput(attrs={"size": 60})
            field = forms.CharField(label=f.label, required=False, widget=widget, help_text=f.help)
            form.initial[f.name] = stored.get(f.name, f.default)
        form.fields[f.name] = field
    return form


@admin.register(GatewayConfig)
class GatewayConfigAdmin(admin.ModelAdmin):
    """Settings → Payment Gateways: every installed gateway module, on or off, with its settings."""

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.gateways_view), name="payments_gatewayconfig_changelist"),
            path("<slug:code>/configure/", wrap(self.configure_view), name="payments_gatewayconfig_configure"),
            path("<path:object_id>/change/", wrap(self.change_redirect), name="payments_gatewayconfig_change"),
        ]

    def change_redirect(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A stored row's page is its gateway's settings form (the same view, at this address)."""
        config = GatewayConfig.objects.filter(pk=_int_or_none(object_id)).first()
        if config is None:
            raise Http404("no such gateway")
        return self.configure_view(request, config.code)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def gateways_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        configs = {c.code: c for c in GatewayConfig.objects.all()}
        rows = []
        for code, cls in sorted(registry.module_classes().items()):
            config = configs.get(code)
            rows.append(
                {
                    "code": code,
                    "name": registry.display_name(code, config),
                    "module": cls.name,
                    "enabled": registry.is_enabled(code, config, cls=cls),
                    "online": cls.online,
                    "manual": cls.manual,
                    "describe": cls().describe(),
                    "order": config.sort_order if config else 0,
                }
            )
        rows.sort(key=lambda r: (r["order"], r["code"]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Payment gateways",
            "rows": rows,
            "can_change": self.has_change_permission(request),
        }
        return TemplateResponse(request, "admin/payments/gateways.html", context)

    def configure_view(self, request: HttpRequest, code: str) -> HttpResponse:
        cls = registry.module_class(code)
        if cls is None:
            raise Http404("no such gateway")
        if not self.has_change_permission(request):
            raise PermissionDenied
        config = GatewayConfig.objects.filter(code=code).first()
        form = _gateway_form(cls, config, request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                configure.gateway_config_save(
                    code=code,
                    enabled=data["enabled"],
                    display_name=data["display_name"],
                    sort_order=data["sort_order"] or 0,
                    values={f.name: data.get(f.name) or "" for f in cls.settings_fields},
                    now=clock.now(),
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"{cls.name}: settings saved.")
                return HttpResponseRedirect(reverse("admin:payments_gatewayconfig_changelist"))
        site = settings.MOORAGE_SITE_URL or request.build_absolute_uri("/").rstrip("/")
        return form_page(
            request,
            self,
            title=f"Payment gateway: {cls.name}",
            form=form,
            submit_label="Save",
            intro=cls().describe(),
            template="admin/payments/gateway_configure.html",
            webhook_url=f"{site}/payments/webhooks/{code}/" if cls.online else "",
            webhook_help=cls.webhook_help,
        )


@admin.register(HeldPayment)
class HeldPaymentAdmin(ReadOnlyAdmin):
    """Money a provider reported that was not applied (amount, currency or invoice did not fit)."""

    list_display = [
        "created_at",
        "gateway",
        "transaction_id",
        "amount",
        "currency",
        "invoice",
        "client",
        "status",
        "reason",
    ]
    list_filter = ["status", "gateway"]
    search_fields = ["transaction_id", "client__user__email"]
    readonly_fields = readonly_fields_of(HeldPayment)
    change_form_template = "admin/payments/heldpayment_change_form.html"

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/apply/", wrap(self.apply_view), name="payments_heldpayment_apply"),
            path("<path:object_id>/dismiss/", wrap(self.dismiss_view), name="payments_heldpayment_dismiss"),
            *super().get_urls(),
        ]

    def _held(self, request: HttpRequest, object_id: str) -> HeldPayment:
        if not request.user.has_perm("payments.change_heldpayment"):
            raise PermissionDenied
        held = HeldPayment.objects.filter(pk=_int_or_none(object_id)).first()
        if held is None:
            raise Http404("no such held payment")
        return held

    def apply_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        held = self._held(request, object_id)
        form = HeldApplyForm(request.POST or None, initial={"invoice": held.invoice_id})
        if request.method == "POST" and form.is_valid():
            try:
                payment = online.held_payment_apply(
                    held_id=held.pk, invoice_id=form.cleaned_data["invoice"], now=clock.now(), actor=request.user
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"Payment {payment.transaction_id} applied to {payment.invoice}.")
                return HttpResponseRedirect(reverse("admin:payments_heldpayment_change", args=[held.pk]))
        return form_page(
            request,
            self,
            title=f"Apply held payment {held.transaction_id}",
            form=form,
            obj=held,
            submit_label="Apply to invoice",
            intro=f"{held.amount} {held.currency} from {held.gateway}: {held.reason}",
        )

    def dismiss_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        held = self._held(request, object_id)
        form = HeldDismissForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                online.held_payment_dismiss(
                    held_id=held.pk, now=clock.now(), actor=request.user, refunded=form.cleaned_data["refunded"]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "Held payment dismissed.")
                return HttpResponseRedirect(reverse("admin:payments_heldpayment_change", args=[held.pk]))
        return form_page(
            request,
            self,
            title=f"Dismiss held payment {held.transaction_id}",
            form=form,
            obj=held,
            submit_label="Dismiss",
            intro=f"{held.amount} {held.currency} from {held.gateway}: {held.reason}. Nothing is recorded in billing.",
        )


class HeldApplyForm(forms.Form):
    invoice = forms.IntegerField(label="Invoice id", min_value=1, help_text="The invoice the money pays (same client).")


class HeldDismissForm(forms.Form):
    refunded = forms.BooleanField(label="The money was refunded at the provider", required=False)


class GatewayRefundForm(forms.Form):
    amount = forms.CharField(
        label="Amount",
        required=False,
        max_length=30,
        help_text="Leave blank to refund all that is left of the payment.",
    )


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def refund_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """Payment → Refund through gateway: full or part, the provider called after the refund is written."""
    if not request.user.has_perm("payments.add_gatewayrefund"):
        raise PermissionDenied
    payment = Payment.objects.filter(pk=_int_or_none(object_id)).select_related("invoice").first()
    if payment is None:
        raise Http404("no such payment")
    form = GatewayRefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            refund = online.payment_refund(
                payment_id=payment.pk, amount=form.cleaned_data["amount"] or None, now=clock.now(), actor=request.user
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"Refund of {refund.amount} {refund.currency}: {refund.get_status_display().lower()}."
            )
            return HttpResponseRedirect(reverse("admin:billing_payment_change", args=[payment.pk]))
    left = refundable_amount(payment.invoice, payment) if payment.invoice else Decimal("0.00")
    return form_page(
        request,
        model_admin,
        title=f"Refund through gateway: {payment}",
        form=form,
        obj=payment,
        submit_label="Refund",
        intro=f"Refundable: {left} {payment.currency}. The money goes back through "
        f"{registry.display_name(payment.gateway)}.",
    )


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "reference",
        "gateway",
        "invoice",
        "client",
        "amount",
        "currency",
        "status",
        "message",
    ]
    list_filter = ["status", "gateway"]
    search_fields = ["reference", "provider_ref", "client__user__email"]
    readonly_fields = readonly_fields_of(Checkout)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    """The webhook event log: what each provider said, and what Moorage did with it."""

    list_display = ["received_at", "gateway", "event_id", "kind", "raw_type", "transaction_id", "outcome"]
    list_filter = ["gateway", "kind"]
    search_fields = ["event_id", "provider_ref", "transaction_id"]
    readonly_fields = readonly_fields_of(WebhookEvent)


@admin.register(AutoCharge)
class AutoChargeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "invoice", "client", "gateway", "amount", "status", "message"]
    list_filter = ["status", "gateway"]
    readonly_fields = readonly_fields_of(AutoCharge)


@admin.register(GatewayRefund)
class GatewayRefundAdmin(ReadOnlyAdmin):
    """Refunds through a gateway; one the provider did not answer can be retried (same idempotency key)."""

    list_display = [
        "created_at",
        "payment",
        "gateway",
        "refund_id",
        "amount",
        "currency",
        "status",
        "recorded",
        "message",
    ]
    list_filter = ["status", "gateway"]
    readonly_fields = [*readonly_fields_of(GatewayRefund), "retry"]

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/retry/", wrap(self.retry_view), name="payments_gatewayrefund_retry"),
            *super().get_urls(),
        ]

    @admin.display(description="Retry")
    def retry(self, obj: GatewayRefund) -> str:
        if obj.pk is None or obj.status != GatewayRefund.Status.REQUESTED:
            return "—"
        url = reverse("admin:payments_gatewayrefund_retry", args=[obj.pk])
        return format_html('<a class="button" href="{}">Ask the provider again…</a>', url)

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not request.user.has_perm("payments.add_gatewayrefund"):
            raise PermissionDenied
        refund = GatewayRefund.objects.filter(pk=_int_or_none(object_id)).first()
        if refund is None:
            raise Http404("no such refund")
        if request.method == "POST":
            try:
                refund = online.gateway_refund_retry(refund_id=refund.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Refund {refund.refund_id}: {refund.get_status_display().lower()}.")
            return HttpResponseRedirect(reverse("admin:payments_gatewayrefund_change", args=[refund.pk]))
        return form_page(
            request,
            self,
            title=f"Retry refund {refund}",
            form=forms.Form(),
            obj=refund,
            submit_label="Ask the provider again",
            intro="The provider is asked again with the same idempotency key: it refunds at most once.",
        )


@admin.register(SavedPaymentMethod)
class SavedPaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ["client", "gateway", "label", "consent_at", "active", "last_used_at"]
    list_filter = ["gateway", "active"]
    readonly_fields = readonly_fields_of(SavedPaymentMethod, exclude=["token_encrypted"])
    exclude = ["token_encrypted"]
