"""From an API order's items to checkout's cart items, the way the client area's configure page builds
them: order-form answers, add-ons and a domain ride on the item; every other service chosen with it
becomes its own cart item (`separate_order=True`) placed right after it. Checkout's refusals name the
cart item's index; `payload_path` turns that back into the path of the request body."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.models import Prefetch

from moorage.catalog.models import Price, Product
from moorage.core.cycles import Cycle
from moorage.core.errors import DomainError
from moorage.services.components import CartItem

if TYPE_CHECKING:
    from moorage.api.schemas import OrderItemIn

_INDEX = re.compile(r"^items\[(\d+)\]")


def offered_other_products(product: Product) -> list[Product]:
    """The other services a client may order with `product`: visible products on visible order pages
    (the same rule as the client area's configure page)."""
    return list(
        product.other_products.filter(visible=True, order_page__visible=True)
        .exclude(order_page__parent__visible=False)
        .exclude(pk=product.pk)
        .prefetch_related(Prefetch("prices", Price.objects.order_by("id")))
        .order_by("sort_order", "name", "pk")
    )


def _domain_pairs(item: OrderItemIn) -> tuple[tuple[str, str], ...]:
    if item.domain is None:
        return ()
    d = item.domain
    pairs = [("action", d.action), ("name", d.name)]
    if d.years is not None:
        pairs.append(("years", str(d.years)))
    if d.auth_code:
        pairs.append(("auth_code", d.auth_code))
    if d.parent:
        pairs.append(("parent", d.parent))
    return tuple(sorted(pairs))


def cart_items(payload_items: list[OrderItemIn]) -> tuple[list[CartItem], list[str]]:
    """The cart items of an API order and, for each, its path in the request (`items[0]`,
    `items[0].other_products[1]`). Refuses an other service the item's product does not offer."""
    items: list[CartItem] = []
    paths: list[str] = []
    for i, it in enumerate(payload_items):
        items.append(
            CartItem(
                product_id=it.product_id,
                cycle=it.cycle,
                hostname=it.hostname,
                form=tuple(sorted(it.form.items())),
                addons=tuple(sorted(set(it.addons))),
                domain=_domain_pairs(it),
                separate_order=False,
            )
        )
        paths.append(f"items[{i}]")
        if not it.other_products:
            continue
        product = Product.objects.filter(pk=it.product_id).first()
        offered = {p.pk: p for p in offered_other_products(product)} if product is not None else {}
        seen: set[int] = set()
        for j, other in enumerate(it.other_products):
            path = f"items[{i}].other_products[{j}]"
            chosen = offered.get(other.product_id)
            if chosen is None:
                raise DomainError(
                    f"product {other.product_id} is not offered as an other service with this item's product",
                    field=path + ".product_id",
                    code="not_offered",
                )
            if other.product_id in seen:
                raise DomainError("an other service is chosen twice", field=path + ".product_id", code="duplicate")
            seen.add(other.product_id)
            cycle = other.cycle
            if chosen.price_type == Product.PriceType.ONE_TIME:
                cycle = Cycle.ONE_TIME.value
            elif chosen.price_type == Product.PriceType.FREE:
                cycle = ""
            hostname = it.hostname if chosen.hostname_required else ""
            items.append(CartItem(chosen.pk, cycle, hostname, separate_order=True))
            paths.append(path)
    return items, paths


def payload_path(field: str | None, paths: list[str]) -> str | None:
    """Checkout's `items[<cart index>].rest` as the request body's path of that item."""
    if not field:
        return field
    match = _INDEX.match(field)
    if match is None:
        return field
    index = int(match.group(1))
    if index >= len(paths):
        return field
    return paths[index] + field[match.end() :]
