"""Staff area for add-ons: the catalog (prices inline, Assign addon(s)), the product page's add-ons
inline, the service page's add-ons section with Add add-on / Cancel, and the service add-ons list
(with the staff tasks, e.g. assign a dedicated IP, still to do)."""

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
from django.utils.translation import gettext_lazy as _

from moorage.addons.actions import (
    addon_quote,
    service_addon_cancel,
    service_addon_order,
    service_addon_staff_task_done,
)
from moorage.addons.models import Addon, AddonPrice, ServiceAddon
from moorage.addons.queries import product_addons, service_addons
from moorage.catalog.admin import product_inlines
from moorage.core import clock
from moorage.core.admin_views import add_domain_error, form_page
from moorage.core.errors import DomainError
from moorage.services.admin import service_page_section
from moorage.services.models import Service

PERM_CHANGE = "services.change_service"


class AddonPriceInline(admin.TabularInline):
    model = AddonPrice
    fields = ["cycle", "amount", "setup_fee"]
    extra = 1
    verbose_name = _("price")
    verbose_name_plural = _(
        "Prices (one row per billing cycle of the parent service; a One time row is for any parent)"
    )


@admin.register(Addon)
class AddonAdmin(admin.ModelAdmin):
    """The catalog of add-ons: name, prices per cycle, limits it raises, products it is assigned to."""

    list_display = ["name", "code", "visible", "limits", "prices_list", "sort_order"]
    list_editable = ["visible", "sort_order"]
    list_filter = ["visible"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    filter_horizontal = ["products"]
    fields = ["name", "code", "description", "visible", "limits", "staff_task", "products", "sort_order"]
    inlines = [AddonPriceInline]

    @admin.display(description=_("prices"))
    def prices_list(self, obj: Addon) -> str:
        return ", ".join(f"{p.get_cycle_display()} {p.amount}" for p in obj.prices.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Addon]:
        return super().get_queryset(request).prefetch_related("prices")


class ProductAddonInline(admin.TabularInline):
    """Assign addon(s): the product page's list of the add-ons offered with it."""

    model = Addon.products.through
    extra = 1
    verbose_name = _("add-on")
    verbose_name_plural = _("Add-ons (Assign addon(s))")
    autocomplete_fields = ["addon"]


if ProductAddonInline not in product_inlines:
    product_inlines.append(ProductAddonInline)


class AddAddonForm(forms.Form):
    addon = forms.ChoiceField(label=_("Add-on"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        now = clock.now()
        choices = []
        for addon in product_addons(service.product, visible_only=False):
            label = addon.name + ("" if addon.visible else " (hidden)")
            try:
                quote = addon_quote(service=service, addon=addon, now=now)
            except DomainError as exc:
                label += f" (not possible: {exc.message})"
            else:
                label += f": charge now {quote.total}"
            choices.append((str(addon.pk), label))
        self.fields["addon"].choices = choices


@admin.register(ServiceAddon)
class ServiceAddonAdmin(admin.ModelAdmin):
    """Services' add-ons; changed only through the actions (add, cancel, staff task done)."""

    list_display = ["id", "service", "addon", "origin", "state", "recurring_amount", "ends_on", "task"]
    list_filter = ["origin", "component__status", "addon"]
    list_select_related = ["service__product", "addon", "component"]
    search_fields = ["service__hostname", "service__client__user__email", "addon__name"]
    readonly_fields = [
        "service",
        "addon",
        "component",
        "origin",
        "recurring_amount",
        "invoice",
        "amount_charged",
        "created_at",
        "ends_on",
        "cancelled_at",
        "cancelled_by",
        "staff_task_done_at",
    ]
    actions = ["cancel_selected", "mark_task_done"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("status"))
    def state(self, obj: ServiceAddon) -> str:
        return obj.status_label

    @admin.display(description=_("staff task"))
    def task(self, obj: ServiceAddon) -> str:
        if not obj.addon.staff_task:
            return "-"
        return f"{obj.addon.staff_task} ({'to do' if obj.staff_task_pending else 'done'})"

    @admin.action(description=_("Cancel the selected add-ons (from the next renewal)"), permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[ServiceAddon]) -> None:
        for row in queryset.order_by("pk"):
            try:
                service_addon_cancel(service_addon_id=row.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{row}: {exc.message}")
            else:
                messages.success(request, _("%(row)s cancelled.") % {"row": row})

    @admin.action(description=_("Mark the staff task done"), permissions=["change"])
    def mark_task_done(self, request: HttpRequest, queryset: QuerySet[ServiceAddon]) -> None:
        for row in queryset.order_by("pk"):
            service_addon_staff_task_done(service_addon_id=row.pk, now=clock.now(), actor=request.user)

    def get_urls(self) -> list:
        return [
            path(
                "add-to/<int:service_id>/",
                self.admin_site.admin_view(self.add_to_service_view),
                name="addons_service_add",
            ),
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="addons_serviceaddon_cancel",
            ),
            *super().get_urls(),
        ]

    def add_to_service_view(self, request: HttpRequest, service_id: int) -> HttpResponse:
        if not request.user.has_perm(PERM_CHANGE):
            raise PermissionDenied
        service = get_object_or_404(Service.objects.select_related("product", "client"), pk=service_id)
        page = reverse("admin:services_service_change", args=[service.pk])
        form = AddAddonForm(request.POST or None, service=service)
        if request.method == "POST" and form.is_valid():
            try:
                row = service_addon_order(
                    service_id=service.pk,
                    addon_id=int(form.cleaned_data["addon"]),
                    now=clock.now(),
                    actor=request.user,
                    staff=True,
                )
            except DomainError as exc:
                add_domain_error(form, exc, field_map={"addon": "addon"})
            else:
                messages.success(request, _("Add-on %(name)s added.") % {"name": row.addon.name})
                return HttpResponseRedirect(page)
        return form_page(
            request,
            self.admin_site._registry[Service],
            title=_("Add an add-on"),
            form=form,
            obj=service,
            submit_label=_("Add add-on"),
            intro=_("The charge is pro-rata for the rest of the paid period; the add-on starts when it is paid."),
        )

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(PERM_CHANGE):
            raise PermissionDenied
        row = get_object_or_404(ServiceAddon.objects.select_related("service", "addon", "component"), pk=pk)
        page = reverse("admin:services_service_change", args=[row.service_id])
        form = forms.Form(request.POST or None)
        if request.method == "POST":
            try:
                service_addon_cancel(service_addon_id=row.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Add-on %(name)s cancelled.") % {"name": row.addon.name})
            return HttpResponseRedirect(page)
        return form_page(
            request,
            self.admin_site._registry[Service],
            title=_("Cancel add-on %(name)s") % {"name": row.addon.name},
            form=form,
            obj=row.service,
            submit_label=_("Cancel add-on"),
            intro=_(
                "An active add-on is no longer renewed and ends when its paid time runs out; "
                "one waiting for payment ends now and its invoice is cancelled."
            ),
        )


@service_page_section(31)
def _addons_section(request: HttpRequest, service: Service) -> str | None:
    rows = service_addons(service)
    if not rows and not service.product.addons.exists():
        return None
    return render_to_string(
        "admin/addons/service_section.html",
        {
            "service": service,
            "rows": rows,
            "can_change": request.user.has_perm(PERM_CHANGE) and service.status == Service.Status.ACTIVE,
        },
        request=request,
    )
