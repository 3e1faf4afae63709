"""Reads of the add-on catalog and of a service's add-ons that checkout, the pages and staff share."""

from __future__ import annotations

from django.db.models import Prefetch

from moorage.addons.models import Addon, AddonPrice, ServiceAddon
from moorage.catalog.models import Product
from moorage.core.cycles import Cycle
from moorage.services.models import Service


def offered_price(addon: Addon, cycle: str) -> AddonPrice | None:
    """The add-on's price for a parent on `cycle`: that cycle's row, else its one-time row."""
    prices = {p.cycle: p for p in addon.prices.all()}
    return prices.get(cycle) or prices.get(Cycle.ONE_TIME.value)


def product_addons(product: Product | int, *, visible_only: bool = True) -> list[Addon]:
    """The add-ons assigned to a product, prices prefetched, in sort order."""
    qs = Addon.objects.filter(products=product).prefetch_related(Prefetch("prices", AddonPrice.objects.order_by("id")))
    if visible_only:
        qs = qs.filter(visible=True)
    return list(qs.order_by("sort_order", "name", "id"))


def offered_addons(product: Product | int, cycle: str, *, visible_only: bool = True) -> list[tuple[Addon, AddonPrice]]:
    """(add-on, its price) for each add-on a parent on `cycle` may have."""
    out = []
    for addon in product_addons(product, visible_only=visible_only):
        price = offered_price(addon, cycle)
        if price is not None:
            out.append((addon, price))
    return out


def service_addons(service: Service, *, include_ended: bool = True) -> list[ServiceAddon]:
    """The service's add-ons, oldest first."""
    qs = ServiceAddon.objects.filter(service=service).select_related("addon", "component", "invoice")
    if not include_ended:
        qs = qs.exclude(component__status="ended")
    return list(qs.order_by("pk"))
