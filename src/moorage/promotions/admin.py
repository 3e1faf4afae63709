"""Staff area for promotional codes (Settings → Promotions) and the orders placed with them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from moorage.core import clock
from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.promotions.models import PromoCode, Redemption


class PromoCodeForm(forms.ModelForm):
    cycles = forms.MultipleChoiceField(
        label=_("Billing cycles"),
        required=False,
        choices=[(c.value, CYCLE_LABELS[c]) for c in Cycle],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every cycle."),
    )

    class Meta:
        model = PromoCode
        fields = [
            "code",
            "description",
            "active",
            "kind",
            "value",
            "applies",
            "products",
            "cycles",
            "valid_from",
            "valid_until",
            "max_uses",
            "max_uses_per_client",
        ]

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip()


class RedemptionInline(admin.TabularInline):
    model = Redemption
    fields = ["created_at", "client", "order_link"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0

    @admin.display(description=_("order"))
    def order_link(self, obj: Redemption) -> str:
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html('<a href="{}">#{}</a>', url, obj.order_id)


@admin.register(PromoCode)
class PromoCodeAdmin(admin.ModelAdmin):
    """Promotional codes: percentage or fixed, first invoice or recurring, for some products and
    cycles, with a use limit and validity dates. `uses` is counted by checkout only."""

    form = PromoCodeForm
    list_display = ["code", "kind", "value", "applies", "uses_shown", "valid_from", "valid_until", "active"]
    list_filter = ["active", "kind", "applies"]
    search_fields = ["code", "description"]
    filter_horizontal = ["products"]
    readonly_fields = ["uses"]
    inlines = [RedemptionInline]

    @admin.display(description=_("uses"), ordering="uses")
    def uses_shown(self, obj: PromoCode) -> str:
        return f"{obj.uses} / {obj.max_uses}" if obj.max_uses is not None else str(obj.uses)

    def save_model(self, request: HttpRequest, obj: PromoCode, form: Any, change: bool) -> None:
        if not change:
            obj.created_at = clock.now()
            super().save_model(request, obj, form, change)
            return
        # `uses` is checkout's: never written back from a form that was loaded before an order counted.
        fields = [f for f in form.changed_data if f not in ("products",)]
        if fields:
            obj.save(update_fields=fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.redemptions.exists():
            return False  # used codes stay (switch them off instead)
        return super().has_delete_permission(request, obj)
