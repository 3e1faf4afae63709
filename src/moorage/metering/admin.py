"""Staff area for metered billing: a product's metered prices with their tiers, usage samples and
the usage job of each connection (both read-only: they are written by the usage job only)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from moorage.catalog.admin import product_page_link
from moorage.catalog.models import Product
from moorage.core.admin_views import ReadOnlyAdmin
from moorage.metering.models import FailedSample, MeteredPrice, MeteredTier, UsageSample, UsageSync


class MeteredTierInline(admin.TabularInline):
    model = MeteredTier
    fields = ["up_to", "unit_price"]
    extra = 0
    verbose_name = "graduated tier"


@admin.register(MeteredPrice)
class MeteredPriceAdmin(admin.ModelAdmin):
    list_display = ["product", "resource", "unit_price", "included", "unit_size", "unit_label", "tier_count"]
    list_filter = ["resource", ("product", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["product"]
    fields = ["product", "resource", "unit_price", "included", "unit_size", "unit_label"]
    inlines = [MeteredTierInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # noqa: ANN001, ANN003, ANN201
        if db_field.name == "product":
            kwargs["queryset"] = Product.objects.filter(price_type=Product.PriceType.METERED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("Tiers"))
    def tier_count(self, obj: MeteredPrice) -> int:
        return obj.tiers.count()


@product_page_link
def _metered_prices_link(request: HttpRequest, product: Product) -> tuple[str, str] | None:
    if product.price_type != Product.PriceType.METERED or not request.user.has_perm("metering.view_meteredprice"):
        return None
    return "Metered prices", reverse("admin:metering_meteredprice_changelist") + f"?product__id__exact={product.pk}"


@admin.register(UsageSample)
class UsageSampleAdmin(ReadOnlyAdmin):
    list_display = ["service", "resource", "value", "counter", "taken_at"]
    list_filter = ["resource"]
    search_fields = ["service__hostname", "service__id"]
    date_hierarchy = "taken_at"
    list_select_related = ["service__product"]
    readonly_fields = ["service", "resource", "value", "counter", "taken_at"]


@admin.register(FailedSample)
class FailedSampleAdmin(ReadOnlyAdmin):
    """Readings a panel sent that were no quantity: never billed, kept to show what the panel said."""

    list_display = ["service", "resource", "raw", "reason", "taken_at"]
    list_filter = ["resource"]
    search_fields = ["service__hostname"]
    date_hierarchy = "taken_at"
    list_select_related = ["service__product"]
    readonly_fields = list_display


@admin.register(UsageSync)
class UsageSyncAdmin(ReadOnlyAdmin):
    list_display = ["connection", "queued_at", "finished_at", "accounts", "samples", "last_error"]
    readonly_fields = list_display
