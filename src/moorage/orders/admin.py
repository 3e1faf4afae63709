"""Staff area for orders: list, the order page with its items (and their panel login details),
Cancel (order_cancel) and Delete (order_delete, which terminates the panel accounts first)."""

from __future__ import annotations

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

from moorage.core import clock
from moorage.core.admin_views import (
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    add_domain_error,
    form_page,
)
from moorage.core.errors import DomainError
from moorage.customers.admin import client_page_section
from moorage.customers.models import Client
from moorage.orders.actions import order_cancel
from moorage.orders.deletion import order_delete
from moorage.orders.models import Order, OrderItem
from moorage.provisioning.actions import login_details


class OrderItemInline(ReadOnlyTabularInline):
    model = OrderItem
    fields = [
        "product",
        "cycle",
        "hostname",
        "amount",
        "setup_fee",
        "service_link",
        "service_status",
        "panel_login",
    ]
    readonly_fields = fields
    verbose_name_plural = "items"

    @admin.display(description=_("Control panel login"))
    def panel_login(self, obj: OrderItem) -> str:
        try:
            details = login_details(service=obj.service)
        except DomainError as exc:  # e.g. the connection's module is no longer installed
            return exc.message
        if details is None:
            return "-"
        return format_html(
            '<a href="{}" rel="noreferrer" target="_blank" class="panel-url">{}</a><br>'
            'Username: <span class="panel-username">{}</span>{}',
            details["panel_url"],
            details["panel_url"],
            details["username"],
            "" if details["exists"] == "yes" else " (not created yet)",
        )

    @admin.display(description=_("Service"))
    def service_link(self, obj: OrderItem) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:services_service_change", args=[obj.service_id]),
            f"#{obj.service_id}",
        )

    @admin.display(description=_("Service status"))
    def service_status(self, obj: OrderItem) -> str:
        return obj.service.get_status_display()


class CancelOrderForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Its pending services and its unpaid invoice are cancelled too."),
    )


class DeleteOrderForm(forms.Form):
    terminate_accounts = forms.BooleanField(
        label=_("Delete all order related data from Moorage and terminate accounts if any"),
        required=False,
        help_text=_(
            "The order, its services, invoices, payments and ledger rows are removed. "
            "Accounts on a control panel are terminated first: the order is removed when the panel "
            "confirms."
        ),
    )


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders come from checkout; staff find them, read them and cancel pending ones."""

    list_display = ["display_number", "client", "status", "total", "invoice_link", "created_at"]
    list_filter = ["status"]
    search_fields = [
        "client__user__email",
        "client__first_name",
        "client__last_name",
        "client__organization",
    ]
    search_help_text = "Order number or the client's email, name or organization"
    list_select_related = ["client", "client__user", "invoice"]
    date_hierarchy = "created_at"
    inlines = [OrderItemInline]
    actions = ["cancel_selected"]
    change_form_template = "admin/orders/order/change_form.html"
    fields = [
        "number",
        "client",
        "status",
        "invoice_link",
        "total",
        "created_at",
        "ip_address",
        "notes",
    ]
    readonly_fields = fields

    @admin.display(description=_("Number"), ordering="number")
    def display_number(self, obj: Order) -> str:
        return obj.display_number

    @admin.display(description=_("Total"), ordering="invoice__total")
    def total(self, obj: Order) -> str:
        return f"{obj.invoice.total} {obj.invoice.currency}" if obj.invoice else "0.00"

    @admin.display(description=_("Invoice"), ordering="invoice__number")
    def invoice_link(self, obj: Order) -> str:
        if obj.invoice is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a> ({})',
            reverse("admin:billing_invoice_change", args=[obj.invoice_id]),
            obj.invoice.display_number,
            obj.invoice.get_status_display(),
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().lstrip("#")
        if term.isdigit():
            results = results | queryset.filter(number=int(term))
        return results, may_have_duplicates

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.change_order")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "can_cancel": self.has_cancel_permission(request),
            "can_delete_order": self.has_delete_order_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra)

    def has_delete_order_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.delete_order")

    def get_urls(self):  # noqa: ANN201
        return [
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="orders_order_cancel",
            ),
            path(
                "<path:object_id>/delete-order/",
                self.admin_site.admin_view(self.delete_order_view),
                name="orders_order_delete_order",
            ),
            *super().get_urls(),
        ]

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=object_id)
        form = CancelOrderForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                order_cancel(
                    order_id=order.pk,
                    now=clock.now(),
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("%(order)s cancelled.") % {"order": order})
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        return form_page(
            request,
            self,
            title=_("Cancel %(order)s") % {"order": order},
            form=form,
            obj=order,
            submit_label=_("Cancel order"),
        )

    def delete_order_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Delete with its confirmation; on an order waiting for its accounts, Complete deletion."""
        if not self.has_delete_order_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=object_id)
        initial = {"terminate_accounts": order.delete_requested_at is not None}
        form = DeleteOrderForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            name = str(order)
            try:
                outcome = order_delete(
                    order_id=order.pk,
                    terminate_accounts=form.cleaned_data["terminate_accounts"],
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if outcome == "pending":
                    messages.warning(
                        request,
                        _(
                            "Deletion of %(name)s pending: accounts are being terminated. The order is removed when "
                            "the panel confirms (or click Complete deletion)."
                        )
                        % {"name": name},
                    )
                    return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
                messages.success(request, _("%(name)s and all its related data deleted.") % {"name": name})
                return HttpResponseRedirect(reverse("admin:orders_order_changelist"))
        pending = order.delete_requested_at is not None
        return form_page(
            request,
            self,
            title=_("Complete deletion of %(order)s") % {"order": order}
            if pending
            else _("Delete %(order)s") % {"order": order},
            form=form,
            obj=order,
            submit_label=_("Complete deletion") if pending else _("Yes, delete"),
            intro=(
                _(
                    "Deletion was asked for at %(delete_requested_at)s; accounts are being terminated. "
                    "Completing removes the order once no account is left on a panel."
                )
                % {"delete_requested_at": order.delete_requested_at}
                if pending
                else _("Are you sure you want to delete this order? This cannot be undone.")
            ),
        )

    @admin.action(description=_("Cancel selected pending orders"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order in queryset.order_by("pk"):
            try:
                order_cancel(
                    order_id=order.pk,
                    now=clock.now(),
                    actor=request.user,
                    reason="cancelled by staff",
                )
            except DomainError as exc:
                messages.error(request, f"{order}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(
                request, ngettext("%(done)s order cancelled.", "%(done)s orders cancelled.", done) % {"done": done}
            )

    cancel_selected.allowed_permissions = ("cancel",)  # type: ignore[attr-defined]


@client_page_section(25)
def _orders_section(request: HttpRequest, client: Client) -> str:
    orders = client.orders.select_related("invoice").order_by("-number")[:50]
    return render_to_string("admin/orders/order/client_section.html", {"orders": orders}, request=request)
