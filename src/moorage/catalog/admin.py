"""Staff area for the catalog (Settings → Products & Services): order pages, products with their
prices, Import products / Export, and the system's billing defaults."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from moorage.catalog import client_functions
from moorage.catalog.actions import order_page_create, product_client_functions_save, product_import
from moorage.catalog.admin_forms import (
    ClientFunctionsForm,
    OrderPageCreateForm,
    PriceFormSet,
    ProductImportForm,
    export_filename,
)
from moorage.catalog.models import BillingDefaults, OrderPage, Price, Product
from moorage.catalog.transfer import export_json
from moorage.core import clock
from moorage.core.admin_views import PageHooks, add_domain_error, form_page
from moorage.core.errors import DomainError

# A link shown at the top of the product page: (label, url), or None. Apps above the catalog (the
# provisioning App settings) add theirs here instead of the catalog importing them.
product_links = PageHooks()
product_page_link = product_links.register()  # a decorator; links keep the order they were added in


class SubcategoryInline(admin.TabularInline):
    model = OrderPage
    fk_name = "parent"
    fields = ["name", "slug", "contains", "visible"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "sub-category"
    verbose_name_plural = "sub-categories"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # added through "Add new sub-category" (order_page_create)


class ProductOnPageInline(admin.TabularInline):
    model = Product
    fields = ["name", "code", "price_type", "billing_type", "visible"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # "Add new product" opens the full product form


@admin.register(OrderPage)
class OrderPageAdmin(admin.ModelAdmin):
    """Order pages and sub-categories; created through order_page_create (premade products)."""

    list_display = [
        "name",
        "slug",
        "parent",
        "contains",
        "order_type",
        "visible",
        "product_count",
        "sort_order",
    ]
    list_filter = ["contains", "visible", "parent"]
    search_fields = ["name", "slug", "description"]
    list_select_related = ["parent"]
    fields = [
        "name",
        "slug",
        "parent",
        "contains",
        "order_type",
        "description",
        "visible",
        "sort_order",
    ]
    readonly_fields = ["parent", "contains"]
    inlines = [SubcategoryInline, ProductOnPageInline]
    change_form_template = "admin/catalog/orderpage/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderPage]:
        return super().get_queryset(request).annotate(n_products=Count("products"))

    @admin.display(description=_("Products"), ordering="n_products")
    def product_count(self, obj: OrderPage) -> int:
        return obj.n_products  # type: ignore[attr-defined]

    def get_inlines(self, request: HttpRequest, obj: OrderPage | None) -> list[type]:
        if obj is None:
            return []
        if obj.contains == OrderPage.Contains.SUBCATEGORIES:
            return [SubcategoryInline]
        return [ProductOnPageInline]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {}
        if parent_id := request.GET.get("parent"):
            initial["parent"] = parent_id
        form = OrderPageCreateForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                page = order_page_create(
                    name=data["name"],
                    slug=data["slug"],
                    contains=data["contains"],
                    order_type=data["order_type"],
                    description=data["description"],
                    visible=data["visible"],
                    parent=data["parent"],
                    premade=data["premade"],
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                made = page.products.count()
                messages.success(
                    request,
                    f"Order page {page.name} added" + (f" with {made} products." if made else "."),
                )
                return HttpResponseRedirect(reverse("admin:catalog_orderpage_change", args=[page.pk]))
        title = "Add new sub-category" if initial.get("parent") else "Add new order page"
        return form_page(request, self, title=title, form=form, submit_label=title)


class PriceInline(admin.TabularInline):
    model = Price
    formset = PriceFormSet
    fields = ["cycle", "amount", "setup_fee", "upgrade_fee"]
    extra = 1
    verbose_name = "price"
    verbose_name_plural = "Prices (one row per billing cycle; a one-time product has one row with cycle One time)"


# The settings a product shares with Settings → Automation (the billing defaults): on a product an
# empty value means "use the default".
SETTINGS_FIELDSETS = [
    (
        "Invoices and due dates",
        {
            "fields": [
                "invoice_generate_days",
                "first_invoice_due_days",
                "invoice_due_before_days",
                "invoice_due_move_days",
            ]
        },
    ),
    (
        "Suspension, termination, unpaid orders",
        {
            "fields": [
                ("suspend_enabled", "suspend_days"),
                "unsuspend_enabled",
                ("terminate_enabled", "terminate_days"),
                "terminate_cancel_invoices",
                ("cancel_unpaid_orders_enabled", "cancel_unpaid_orders_days"),
            ]
        },
    ),
    (
        "Payment reminders and late fee",
        {
            "fields": [
                "reminders_enabled",
                "reminder_before_days",
                ("overdue_reminder_1_days", "overdue_reminder_2_days", "overdue_reminder_3_days"),
                "custom_reminders",
                ("late_fee_enabled", "late_fee_percent", "late_fee_days"),
            ]
        },
    ),
    ("Expiration notifications", {"fields": ["expiration_notices"]}),
    (
        "Upgrades",
        {
            "fields": [
                "upgrade_proration",
                "queue_prorata",
                "credit_on_downgrade",
                "credit_note_on_downgrade",
            ]
        },
    ),
    (
        "Cancellations",
        {
            "fields": [
                ("allow_cancellations", "cancellation_after_days"),
                ("cancellation_immediate", "cancellation_end_of_period"),
                "prorate_cancellations",
            ]
        },
    ),
]


# The Components tab's inlines (order forms, add-ons, domain options, contract, other services) are
# registered by the component apps' own admin modules: `product_inlines.append(MyInline)`. The list
# is read per request, so the order the admin modules are imported in does not matter.
product_inlines: list[type] = []


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Products with their prices, in the groups of HostBill's product tabs."""

    list_display = [
        "name",
        "code",
        "order_page",
        "price_type",
        "billing_type",
        "price_summary",
        "visible",
        "stock_display",
    ]
    list_filter = ["order_page", "price_type", "billing_type", "visible", "module"]
    search_fields = ["name", "code", "tags", "description"]
    list_select_related = ["order_page", "order_page__parent"]
    filter_horizontal = ["available_upgrades", "other_products"]
    inlines = [PriceInline]
    actions = ["export_selected"]

    def get_inlines(self, request: HttpRequest, obj: Product | None) -> list[type]:
        return [*self.inlines, *product_inlines]

    change_form_template = "admin/catalog/product/change_form.html"
    change_list_template = "admin/catalog/product/change_list.html"
    fieldsets = [
        (
            "General",
            {
                "fields": [
                    "order_page",
                    "name",
                    "code",
                    "description",
                    "tags",
                    "visible",
                    "sort_order",
                ]
            },
        ),
        (
            "Pricing",
            {
                "fields": ["price_type", "billing_type"],
                "description": "Free: no prices. One time: one row, cycle One time. "
                "Recurring: one row per billing cycle offered. The price rows are below.",
            },
        ),
        (
            "Automation",
            {
                "fields": [
                    "module",
                    "auto_create",
                    "auto_upgrade",
                    "renew_on",
                    "adjust_initial_period",
                    "full_month_billing",
                    "process_cancellation_requests",
                ],
                "description": "Empty settings use Settings → Automation (the billing defaults). The module "
                "(App), its server and preset are chosen on the product's App settings page.",
            },
        ),
        *SETTINGS_FIELDSETS,
        (
            "Other",
            {"fields": ["stock_enabled", "stock", "limit_per_customer", "available_upgrades", "out_of_stock_upgrade"]},
        ),
        ("Hostname", {"fields": ["hostname_required", "hostname_validation"]}),
        (
            "Other services",
            {
                "fields": ["other_products"],
                "description": "Products offered on this product's order form for an additional fee; each "
                "one the client picks is placed as a separate order with its own invoice and service.",
            },
        ),
    ]

    # Set through the App settings page, which checks the module and its options.
    readonly_fields = ["module"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).prefetch_related("prices")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        product = self.get_object(request, object_id)
        links = []
        if product is not None:
            links = product_links.render(request, product)
        extra = {**(extra_context or {}), "product_links": links}
        return super().change_view(request, object_id, form_url, extra)

    def get_form(self, request: HttpRequest, obj: Product | None = None, change: bool = False, **kwargs: Any):  # noqa: ANN201
        form = super().get_form(request, obj, change, **kwargs)
        for name in ("available_upgrades", "other_products"):
            related = form.base_fields.get(name)
            if related is not None and obj is not None:
                related.queryset = related.queryset.exclude(pk=obj.pk)  # type: ignore[attr-defined]
        return form

    @admin.display(description=_("Prices"))
    def price_summary(self, obj: Product) -> str:
        rows = list(obj.prices.all())
        if not rows:
            return "Free" if obj.price_type == Product.PriceType.FREE else "-"
        return format_html_join(", ", "{} {}", ((p.get_cycle_display(), p.amount) for p in rows))

    @admin.display(description=_("Stock"))
    def stock_display(self, obj: Product) -> str:
        return str(obj.stock) if obj.stock_enabled else "∞"

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="catalog_product_import"),
            path("<path:object_id>/export/", wrap(self.export_view), name="catalog_product_export"),
            path(
                "<path:object_id>/client-functions/",
                wrap(self.client_functions_view),
                name="catalog_product_client_functions",
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def _json_response(products: list[Product]) -> HttpResponse:
        if len(products) == 1:
            product = products[0]
            body = export_json(product)
            response = HttpResponse(body, content_type="application/json")
            filename = export_filename(product.name, product.pk)
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for product in products:
                    archive.writestr(
                        export_filename(product.name, product.pk),
                        export_json(product),
                    )
            response = HttpResponse(buffer.getvalue(), content_type="application/zip")
            filename = "products.zip"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @admin.action(description=_("Export selected products (JSON)"))
    def export_selected(self, request: HttpRequest, queryset: QuerySet[Product]) -> HttpResponse:
        return self._json_response(list(queryset.order_by("pk")))

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        product = get_object_or_404(Product, pk=object_id)
        if not self.has_view_permission(request, product):
            raise PermissionDenied
        return self._json_response([product])

    def client_functions_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The product's Client Functions tab: Enable per function, Enable all, and the Client area Layout.
        Staff who may view the product see it read-only; saving needs the change permission."""
        product = get_object_or_404(Product, pk=object_id) if object_id.isdigit() else None
        if product is None:
            raise Http404("no such product")
        if not self.has_view_permission(request, product):
            raise PermissionDenied
        can_change = self.has_change_permission(request, product)
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            form = ClientFunctionsForm(request.POST)
            if form.is_valid():
                every = [f.code for f in client_functions.FUNCTIONS if f.can_enable]
                try:
                    product_client_functions_save(
                        product_id=product.pk,
                        enabled=every if "enable_all" in request.POST else form.cleaned_data["functions"],
                        layout=form.cleaned_data["layout"],
                        now=clock.now(),
                        actor=request.user,
                    )
                except DomainError as exc:
                    form.add_error("layout" if exc.field == "client_area_layout" else "functions", exc.message)
                else:
                    messages.success(request, _("Client Functions of %(name)s saved.") % {"name": product.name})
                    return HttpResponseRedirect(request.path)
            checked = set(request.POST.getlist("functions"))
        else:
            form = ClientFunctionsForm(
                initial={"functions": product.client_functions, "layout": product.client_area_layout}
            )
            checked = set(product.client_functions or ())
        rows = [
            {
                "code": f.code,
                "label": f.label,
                "description": f.description,
                "can_enable": f.can_enable,
                "checked": f.can_enable and f.code in checked,
                "reason": client_functions.NOT_APPLICABLE if not f.applicable else f.unavailable,
                "unavailable": bool(f.unavailable),
            }
            for f in client_functions.FUNCTIONS
        ]
        return form_page(
            request,
            self,
            title=_("Client Functions: %(name)s") % {"name": product.name},
            form=form,
            obj=product,
            template="admin/catalog/product/client_functions.html",
            rows=rows,
            can_change=can_change,
        )

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Import products: the file is checked by the action; a bad file creates nothing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"order_page": request.GET.get("order_page")} if request.GET.get("order_page") else {}
        form = ProductImportForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                product = product_import(
                    raw=form.cleaned_data["file"],
                    order_page=form.cleaned_data["order_page"],
                    now=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                if exc.field == "order_page":
                    form.add_error("order_page", exc.message)
                else:
                    # Name the place in the file, also for errors whose message does not say it.
                    named = not exc.field or exc.field == "file" or exc.message.startswith(exc.field)
                    form.add_error("file", exc.message if named else f"{exc.field}: {exc.message}")
            else:
                messages.success(
                    request,
                    _("Product %(name)s imported with %(count)s prices.")
                    % {"name": product.name, "count": product.prices.count()},
                )
                return HttpResponseRedirect(reverse("admin:catalog_product_change", args=[product.pk]))
        return form_page(request, self, title=_("Import products"), form=form, submit_label=_("Import"))


@admin.register(BillingDefaults)
class BillingDefaultsAdmin(admin.ModelAdmin):
    """The one row of system billing defaults; products override them one setting at a time."""

    fieldsets = [
        (
            "Automation",
            {
                "fields": [
                    "auto_upgrade",
                    "renew_on",
                    "adjust_initial_period",
                    "process_cancellation_requests",
                    "apply_credit_automatically",
                ]
            },
        ),
        *SETTINGS_FIELDSETS,
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        defaults = BillingDefaults.load()
        return HttpResponseRedirect(reverse("admin:catalog_billingdefaults_change", args=[defaults.pk]))
