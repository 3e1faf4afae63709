"""The parts of the product configure page that components add: order form, add-ons, domain, other
services. Each section function reads the product and the posted data and returns what to show and
what the client chose; `ordering.product_configure` puts the choices into the CartItem, and checkout
(`orders.actions.price_item`) validates them again, so nothing here is trusted for money.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from moorage.catalog.models import Product
from moorage.customers.models import Client
from moorage.services.components import CartItem


@dataclass
class ConfigureSection:
    """One section of the configure form: its include template and context, the CartItem fields it
    sets (`item_fields`, e.g. {"form": pairs}), more items to add to the cart (other services, each
    with separate_order=True) and the errors to show (the item is not added while any exist)."""

    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    item_fields: dict[str, Any] = field(default_factory=dict)
    extra_items: list[CartItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


SectionFunction = Callable[[Product, "QueryDict | None", "Client | None"], ConfigureSection]


def sections(product: Product, data: QueryDict | None, client: Client | None) -> list[ConfigureSection]:
    """Every section that has something to show for `product`, in page order. `data` is the POST or None."""
    from moorage.clientarea.configure_addons import section as addons
    from moorage.clientarea.configure_domains import section as domains
    from moorage.clientarea.configure_forms import section as forms
    from moorage.clientarea.configure_other import section as other

    result = []
    for function in (domains, forms, addons, other):
        part = function(product, data, client)
        if part.template:
            result.append(part)
    return result
