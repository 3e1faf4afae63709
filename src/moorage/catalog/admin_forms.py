"""Staff forms of the catalog: Add new order page, Import products, the price rows' check and the
product's Client Functions tab."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from moorage.catalog import client_functions
from moorage.catalog.actions import PREMADE_CHOICES, PREMADE_NONE
from moorage.catalog.models import OrderPage, Product
from moorage.catalog.transfer import check_prices
from moorage.core.errors import DomainError
from moorage.core.validators import multi_line, single_line

MAX_IMPORT_BYTES = 1_000_000


class OrderPageCreateForm(forms.Form):
    """Settings → Products & Services → Add new order page (or Add new sub-category)."""

    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("Shown in the client area."), validators=[single_line]
    )
    slug = forms.CharField(
        label=_("Order page URL"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to generate it from the name."),
    )
    parent = forms.ModelChoiceField(
        label=_("Sub-category of"),
        required=False,
        empty_label=_("(none: a top-level order page)"),
        queryset=OrderPage.objects.filter(contains=OrderPage.Contains.SUBCATEGORIES),
        help_text=_("Set to add a sub-category to an order page that contains sub-categories."),
    )
    contains = forms.ChoiceField(
        label=_("This category will contain"),
        choices=OrderPage.Contains.choices,
        initial=OrderPage.Contains.PRODUCTS,
    )
    order_type = forms.ChoiceField(
        label=_("Order type"), choices=OrderPage.OrderType.choices, initial=OrderPage.OrderType.SHARED
    )
    premade = forms.ChoiceField(
        label=_("Premade products"),
        choices=PREMADE_CHOICES,
        initial=PREMADE_NONE,
        widget=forms.RadioSelect,
        help_text=_(
            "4 Shared Hosting Packages creates Starter, Business, Premium and Ultimate Hosting on the new page."
        ),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}), validators=[multi_line]
    )
    visible = forms.BooleanField(label=_("Visible in the client area"), required=False, initial=True)


class ProductImportForm(forms.Form):
    """Import products: a product export file (JSON) into an order page."""

    file = forms.FileField(label=_("Product file (JSON)"), help_text=_("A file made by Export on a product."))
    order_page = forms.ModelChoiceField(
        label=_("Order page"),
        queryset=OrderPage.objects.filter(contains=OrderPage.Contains.PRODUCTS),
        help_text=_("The order page (or sub-category) the product is added to."),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(MAX_IMPORT_BYTES)s kB.") % {"MAX_IMPORT_BYTES": MAX_IMPORT_BYTES // 1000}
            )
        return upload.read()


class PriceFormSet(forms.BaseInlineFormSet):
    """The product's price rows must fit its price type (catalog.transfer.check_prices)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        cycles = [
            f.cleaned_data["cycle"]
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("cycle")
        ]
        try:
            check_prices(self.instance.price_type, cycles)
        except DomainError as exc:
            raise forms.ValidationError(_("Prices: %(message)s.") % {"message": exc.message}) from exc


def export_filename(name: str, pk: Any) -> str:
    return f"product-{pk}-{slugify(name) or 'product'}.json"


class ClientFunctionsForm(forms.Form):
    """The product's Client Functions tab: an Enable box per function and the Client area Layout.
    Not-applicable functions are not choices at all, so a forged POST naming one is an error."""

    functions = forms.MultipleChoiceField(
        label=_("Enabled functions"),
        required=False,
        choices=[(f.code, f.label) for f in client_functions.FUNCTIONS if f.can_enable],
        widget=forms.CheckboxSelectMultiple,
    )
    layout = forms.ChoiceField(
        label=_("Client area Layout"),
        choices=Product.Layout.choices,
        widget=forms.RadioSelect,
        help_text=_("Where the service page shows its menu of actions."),
    )
