"""The product configure page's Other services section: the products staff offer with this one
(`Product.other_products`), each with a checkbox and a billing cycle; every chosen one goes into the
cart as its own item with `separate_order=True`, which checkout places as a separate order with its
own invoice and service (docs/other-services.md). Prices shown come from the catalog and are priced
again by checkout; a posted product that is not offered here is refused."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import QueryDict
from django.utils.translation import gettext as _

from moorage.catalog.models import Price, Product
from moorage.clientarea.configure import ConfigureSection
from moorage.clientarea.configure_domains import chosen_name
from moorage.core.cycles import Cycle
from moorage.customers.models import Client
from moorage.services.components import CartItem

PREFIX = "other_"


@dataclass(frozen=True)
class Offer:
    """One other service as shown: the product, its price rows, the form field names and what is chosen."""

    product: Product
    prices: list[Price]
    checked: bool
    cycle: str

    @property
    def field(self) -> str:
        return f"{PREFIX}{self.product.pk}"

    @property
    def cycle_field(self) -> str:
        return f"{PREFIX}{self.product.pk}_cycle"

    @property
    def choose_cycle(self) -> bool:
        return self.product.price_type not in (Product.PriceType.FREE, Product.PriceType.ONE_TIME) and bool(self.prices)


def offered(product: Product) -> list[Product]:
    """The other services a client can see for `product`: visible products on visible order pages."""
    return list(
        product.other_products.filter(visible=True, order_page__visible=True)
        .exclude(order_page__parent__visible=False)
        .exclude(pk=product.pk)
        .select_related("order_page")
        .prefetch_related(Prefetch("prices", Price.objects.order_by("id")))
        .order_by("sort_order", "name", "pk")
    )


def section(product: Product, data: QueryDict | None, client: Client | None) -> ConfigureSection:
    products = offered(product)
    if not products:
        # A posted other_<id> for a product with no offers is refused too (no silent orders).
        if data is not None and any(key.startswith(PREFIX) for key in data):
            return ConfigureSection(errors=[_("This product offers no other services.")])
        return ConfigureSection()
    by_id = {p.pk: p for p in products}
    errors: list[str] = []
    extra: list[CartItem] = []
    if data is not None:
        for key in data:
            if not key.startswith(PREFIX) or key.endswith("_cycle"):
                continue
            raw_id = key[len(PREFIX) :]
            if not raw_id.isdigit() or int(raw_id) not in by_id:
                errors.append(_("An other service you chose is not offered with this product."))
                break  # once is enough, however many were posted
    offers = []
    for other in products:
        prices = list(other.prices.all())
        cycles = [p.cycle for p in prices]
        checked = data is not None and bool(data.get(f"{PREFIX}{other.pk}"))
        cycle = (data.get(f"{PREFIX}{other.pk}_cycle") if data is not None else None) or (cycles[0] if cycles else "")
        offer = Offer(other, prices, checked, cycle)
        offers.append(offer)
        if not checked:
            continue
        if offer.choose_cycle and cycle not in cycles:
            errors.append(_("%(name)s: choose one of its billing cycles.") % {"name": other.name})
            continue
        if other.price_type == Product.PriceType.ONE_TIME:
            cycle = Cycle.ONE_TIME.value
        elif other.price_type == Product.PriceType.FREE:
            cycle = ""
        hostname = ""
        if other.hostname_required and data is not None:
            # The hostname typed for the main product, else the domain it registers or uses.
            hostname = (data.get("hostname") or "").strip() or chosen_name(product, data)
        extra.append(CartItem(other.pk, cycle, hostname, separate_order=True))
    return ConfigureSection(
        template="clientarea/_configure_other.html",
        context={"offers": offers},
        extra_items=extra if not errors else [],
        errors=errors,
    )
