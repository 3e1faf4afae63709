"""The product configure page's add-ons section (see clientarea.configure): a checkbox per add-on
assigned to the product, with its prices (for the chosen cycle once one is posted). Checkout checks the
chosen ids again (assigned, visible, priced for the cycle), so nothing here is trusted for money."""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext

from moorage.addons.queries import offered_price, product_addons
from moorage.catalog.models import Product
from moorage.clientarea.configure import ConfigureSection
from moorage.customers.models import Client

FIELD = "addons"


def section(product: Product, data: QueryDict | None, client: Client | None) -> ConfigureSection:
    addons = product_addons(product)
    if not addons:
        return ConfigureSection()
    cycle = (data.get("cycle") or "") if data is not None else ""
    if not cycle:
        first = product.prices.order_by("id").first()
        cycle = first.cycle if first is not None else ""
    offered = {a.pk: a for a in addons}
    chosen: list[int] = []
    errors: list[str] = []
    if data is not None:
        for raw in data.getlist(FIELD)[:100]:
            try:
                addon_id = int(raw)
            except (TypeError, ValueError):
                addon_id = None
            if addon_id not in offered:
                errors.append(gettext("Choose add-ons from the list."))
                break
            chosen.append(addon_id)
    rows = []
    for addon in addons:
        price = offered_price(addon, cycle) if cycle else None
        rows.append(
            {
                "addon": addon,
                "price": price,
                "prices": list(addon.prices.all()),
                "checked": addon.pk in chosen,
            }
        )
    return ConfigureSection(
        template="clientarea/_configure_addons.html",
        context={"rows": rows, "cycle": cycle, "field": FIELD},
        item_fields={"addons": tuple(sorted(set(chosen)))},
        errors=errors,
    )
