"""Catalog use cases: order pages (with premade products), product import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.text import slugify

from moorage.catalog import client_functions
from moorage.catalog.models import OrderPage, Price, Product
from moorage.catalog.transfer import create_from_clean, parse_product
from moorage.core.actions import audit
from moorage.core.cycles import Cycle
from moorage.core.errors import DomainError
from moorage.core.models import User

PREMADE_NONE = "none"
PREMADE_SHARED4 = "shared4"
PREMADE_CHOICES = [(PREMADE_NONE, "None"), (PREMADE_SHARED4, "4 Shared Hosting Packages")]

# The four shared hosting packages: name, monthly, annually, setup fee, description.
SHARED_PACKAGES = [
    ("Starter Hosting", "4.99", "49.90", "0.00", "1 website, 5 GB disk, 5 mailboxes, 1 database"),
    ("Business Hosting", "9.99", "99.90", "0.00", "5 websites, 20 GB disk, 25 mailboxes, 10 databases"),
    ("Premium Hosting", "19.99", "199.90", "0.00", "20 websites, 50 GB disk, 100 mailboxes, 50 databases"),
    ("Ultimate Hosting", "39.99", "399.90", "0.00", "Unlimited websites, 100 GB disk, unlimited mailboxes"),
]


def unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name) or "page"
    slug, n = base, 2
    while OrderPage.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_premade_products(page: OrderPage) -> list[Product]:
    """Inner step: the four shared hosting packages, monthly and annual, on `page`."""
    products = []
    for order, (name, monthly, annually, setup, description) in enumerate(SHARED_PACKAGES):
        product = Product.objects.create(
            order_page=page,
            name=name,
            code=name.split()[0].lower(),
            description=description,
            sort_order=order,
            price_type=Product.PriceType.RECURRING,
        )
        Price.objects.create(product=product, cycle=Cycle.MONTHLY, amount=Decimal(monthly), setup_fee=Decimal(setup))
        Price.objects.create(product=product, cycle=Cycle.ANNUALLY, amount=Decimal(annually), setup_fee=Decimal(setup))
        products.append(product)
    return products


@transaction.atomic(durable=True)
def order_page_create(
    *,
    name: str,
    now: dt.datetime,
    actor: User | None,
    slug: str = "",
    contains: str = OrderPage.Contains.PRODUCTS,
    order_type: str = OrderPage.OrderType.SHARED,
    description: str = "",
    visible: bool = True,
    parent: OrderPage | None = None,
    premade: str = PREMADE_NONE,
) -> OrderPage:
    """Add a new order page (or sub-category); with "4 Shared Hosting Packages" it gets four products."""
    if not name.strip():
        raise DomainError("Name is required", field="name", code="required")
    if premade not in dict(PREMADE_CHOICES):
        raise DomainError("Premade products must be none or shared4", field="premade")
    if slug:
        slug = slugify(slug)
        if OrderPage.objects.filter(slug=slug).exists():
            raise DomainError(f"the URL {slug!r} is taken by another order page", field="slug", code="slug_taken")
    if parent is not None and parent.contains != OrderPage.Contains.SUBCATEGORIES:
        raise DomainError(f"{parent.name} contains products, not sub-categories", field="parent")
    if premade == PREMADE_SHARED4 and contains != OrderPage.Contains.PRODUCTS:
        raise DomainError("premade products need a page that contains products", field="premade")
    page = OrderPage.objects.create(
        name=name.strip(),
        slug=slug or unique_slug(name),
        contains=contains,
        order_type=order_type,
        description=description,
        visible=visible,
        parent=parent,
    )
    if premade == PREMADE_SHARED4:
        create_premade_products(page)
    audit(actor=actor, action="order_page_create", obj=page, now=now, data={"premade": premade})
    return page


@transaction.atomic(durable=True)
def product_import(*, raw: str | bytes, order_page: OrderPage, now: dt.datetime, actor: User | None) -> Product:
    """Import a product from an export file into `order_page`; a bad file creates nothing."""
    if order_page.contains != OrderPage.Contains.PRODUCTS:
        raise DomainError(f"{order_page.name} contains sub-categories, not products", field="order_page")
    product = create_from_clean(parse_product(raw), order_page_id=order_page.pk)
    audit(actor=actor, action="product_import", obj=product, now=now)
    return product


@transaction.atomic(durable=True)
def product_client_functions_save(
    *, product_id: int, enabled: list[str], layout: str, now: dt.datetime, actor: User | None
) -> Product:
    """The product's Client Functions tab: the enabled functions and the Client area Layout.
    Not-applicable or unknown codes are refused; the list is stored in the registry's order, each once."""
    if not isinstance(enabled, list | tuple) or not all(isinstance(code, str) for code in enabled):
        raise DomainError("the enabled functions must be a list of codes", field="client_functions")
    try:
        clean = client_functions.clean_enabled(list(enabled))
    except ValueError as exc:
        raise DomainError(str(exc), field="client_functions", code="invalid_function") from exc
    if layout not in Product.Layout.values:
        raise DomainError(
            f"Client area Layout must be one of: {', '.join(Product.Layout.values)}",
            field="client_area_layout",
            code="invalid_layout",
        )
    try:
        product = Product.objects.select_for_update().get(pk=product_id)
    except Product.DoesNotExist as exc:
        raise DomainError("no such product", field="product", code="not_found") from exc
    before = (list(product.client_functions or []), product.client_area_layout)
    if before == (clean, layout):
        return product
    product.client_functions = clean
    product.client_area_layout = layout
    product.save(update_fields=["client_functions", "client_area_layout"])
    added = [c for c in clean if c not in before[0]]
    removed = [c for c in before[0] if c not in clean]
    audit(
        actor=actor,
        action="product_client_functions",
        obj=product,
        now=now,
        data={"enabled": added, "disabled": removed, "layout": layout, "layout_before": before[1]},
        message=_functions_message(added, removed, before[1], layout),
    )
    return product


def _functions_message(added: list[str], removed: list[str], layout_before: str, layout: str) -> str:
    parts = []
    if added:
        parts.append("enabled " + ", ".join(client_functions.BY_CODE[c].label for c in added))
    if removed:
        parts.append(
            "disabled " + ", ".join(client_functions.BY_CODE[c].label for c in removed if c in client_functions.BY_CODE)
        )
    if layout != layout_before:
        parts.append(f"Client area Layout {layout_before} → {layout}")
    return "Client Functions: " + "; ".join(parts)
