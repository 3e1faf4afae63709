"""Product export and import as JSON: one product with its prices and settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from moorage.catalog import client_functions
from moorage.catalog.hostname import HostnameRule
from moorage.catalog.models import Price, Product
from moorage.core.cycles import Cycle
from moorage.core.errors import DomainError
from moorage.core.money import MAX_AMOUNT
from moorage.core.validators import text_problem

FORMAT = "moorage.product"
VERSION = 1
# The largest value of a PositiveIntegerField on every database.
MAX_INT = 2147483647

# Exported settings: name → (kind, required). Kinds: str, bool, int, int?, bool?, choice (CHOICES), and
# functions (the Client Functions tab: a list of codes that can be enabled).
FIELDS: dict[str, tuple[str, bool]] = {
    "name": ("str", True),
    "code": ("str", False),
    "description": ("str", False),
    "tags": ("str", False),
    "visible": ("bool", False),
    "price_type": ("choice", True),
    "billing_type": ("choice", False),
    "stock_enabled": ("bool", False),
    "stock": ("int", False),
    "limit_per_customer": ("int?", False),
    "hostname_required": ("bool", False),
    "hostname_validation": ("choice", False),
    "module": ("str", False),
    "auto_create": ("choice", False),
    "adjust_initial_period": ("bool?", False),
    "first_invoice_due_days": ("int?", False),
    "invoice_generate_days": ("int?", False),
    "invoice_due_before_days": ("int?", False),
    "invoice_due_move_days": ("int?", False),
    "full_month_billing": ("bool", False),
    "client_functions": ("functions", False),
    "client_area_layout": ("choice", False),
}
CHOICES = {
    "price_type": Product.PriceType.values,
    "billing_type": Product.BillingType.values,
    "hostname_validation": [r.value for r in HostnameRule],
    "auto_create": Product.AutoCreate.values,
    "client_area_layout": Product.Layout.values,
}


@dataclass(frozen=True)
class Section:
    """A part of a product that another app owns (order form, add-ons, domain options, contract, other
    services), exported under `key` of the product object. `parse(value, path)` checks the file's value
    and returns it clean (raising DomainError naming the path, writing nothing); `apply(product, clean)`
    writes it once the product exists, inside the import's transaction."""

    key: str
    export: Callable[[Product], Any]
    parse: Callable[[Any, str], Any]
    apply: Callable[[Product, Any], None]


# Filled by the component apps' AppConfig.ready() (catalog never imports them).
SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    SECTIONS[section.key] = section


def export_product(product: Product) -> dict[str, Any]:
    """The product as a JSON-ready dict (amounts as decimal strings)."""
    data: dict[str, Any] = {name: getattr(product, name) for name in FIELDS}
    data["client_functions"] = list(product.client_functions or [])
    data["prices"] = [
        {"cycle": p.cycle, "amount": str(p.amount), "setup_fee": str(p.setup_fee), "upgrade_fee": str(p.upgrade_fee)}
        for p in product.prices.order_by("id")
    ]
    return {"format": FORMAT, "version": VERSION, "product": data}


def _fail(path: str, message: str) -> DomainError:
    return DomainError(f"{path}: {message}", field=path, code="invalid_import")


def _money(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(path, 'must be a decimal string such as "9.99"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise _fail(path, f"{value!r} is not a decimal amount") from exc
    if not amount.is_finite() or amount < 0:
        raise _fail(path, "must be zero or more")
    if amount > MAX_AMOUNT:
        raise _fail(path, f"must be at most {MAX_AMOUNT}")
    if amount != amount.quantize(Decimal("0.01")):
        raise _fail(path, "has more than two decimal places")
    return amount


def parse_product(raw: str | bytes) -> dict[str, Any]:
    """Validate an export file; return cleaned product fields with `prices`. Raise naming the field."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(f"the file is not valid JSON: {exc}", field="file", code="invalid_import") from exc
    except RecursionError as exc:  # "[[[[…" thousands deep: no export file looks like that
        raise _fail("file", "is nested too deeply to be a product export") from exc
    if not isinstance(doc, dict):
        raise _fail("file", "must be a JSON object")
    if doc.get("format") != FORMAT:
        raise _fail("format", f'must be "{FORMAT}"')
    if doc.get("version") != VERSION:
        raise _fail("version", f"must be {VERSION}")
    data = doc.get("product")
    if not isinstance(data, dict):
        raise _fail("product", "must be an object")
    clean: dict[str, Any] = {}
    for name, (kind, required) in FIELDS.items():
        path = f"product.{name}"
        if name not in data or data[name] is None and not kind.endswith("?"):
            if required:
                raise _fail(path, "is required")
            continue
        value = data[name]
        if kind == "str":
            if not isinstance(value, str):
                raise _fail(path, "must be a string")
            if problem := text_problem(value, multiline=name == "description"):
                raise _fail(path, problem)
            limit = Product._meta.get_field(name).max_length
            if limit and len(value) > limit:
                raise _fail(path, f"has more than {limit} characters")
            if name == "name" and not value.strip():
                raise _fail(path, "must not be empty")
        elif kind.startswith("bool"):
            if not (isinstance(value, bool) or (value is None and kind.endswith("?"))):
                raise _fail(path, "must be true or false")
        elif kind.startswith("int"):
            if value is None and kind.endswith("?"):
                pass
            elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
                raise _fail(path, f"must be a whole number from 0 to {MAX_INT}")
        elif kind == "functions":
            if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
                raise _fail(path, "must be a list of function codes")
            if len(value) > len(client_functions.CODES):
                raise _fail(path, f"has more than {len(client_functions.CODES)} codes")
            try:
                value = client_functions.clean_enabled(value)
            except ValueError as exc:
                raise _fail(path, str(exc)) from exc
        elif kind == "choice" and (not isinstance(value, str) or value not in CHOICES[name]):
            raise _fail(path, f"must be one of: {', '.join(CHOICES[name])}")
        clean[name] = value
    prices = data.get("prices", [])
    if not isinstance(prices, list):
        raise _fail("product.prices", "must be a list")
    seen: set[str] = set()
    clean_prices = []
    for i, row in enumerate(prices):
        path = f"product.prices[{i}]"
        if not isinstance(row, dict):
            raise _fail(path, "must be an object")
        cycle = row.get("cycle")
        if cycle not in Cycle.__members__.values() and cycle not in [c.value for c in Cycle]:
            raise _fail(f"{path}.cycle", f"must be one of: {', '.join(c.value for c in Cycle)}")
        if cycle in seen:
            raise _fail(f"{path}.cycle", f"{cycle} is listed twice")
        seen.add(cycle)
        if "amount" not in row:
            raise _fail(f"{path}.amount", "is required")
        clean_prices.append(
            {
                "cycle": cycle,
                "amount": _money(row["amount"], f"{path}.amount"),
                "setup_fee": _money(row.get("setup_fee", "0"), f"{path}.setup_fee"),
                "upgrade_fee": _money(row.get("upgrade_fee", "0"), f"{path}.upgrade_fee"),
            }
        )
    check_prices(clean["price_type"], [p["cycle"] for p in clean_prices], field="product.prices")
    clean["prices"] = clean_prices
    return clean


def check_prices(price_type: str, cycles: list[str], *, field: str = "prices") -> None:
    """The price rows a price type needs: none for free, one one-time row, recurring cycles otherwise."""
    if price_type == Product.PriceType.FREE and cycles:
        raise DomainError("a free product has no prices", field=field, code="invalid_prices")
    if price_type == Product.PriceType.ONE_TIME and cycles != [Cycle.ONE_TIME.value]:
        raise DomainError(
            "a one-time product has exactly one price, with cycle one_time", field=field, code="invalid_prices"
        )
    if price_type == Product.PriceType.RECURRING:
        if not cycles:
            raise DomainError("a recurring product needs at least one price", field=field, code="invalid_prices")
        if Cycle.ONE_TIME.value in cycles:
            raise DomainError("a recurring product cannot have a one_time price", field=field, code="invalid_prices")


def create_from_clean(clean: dict[str, Any], *, order_page_id: int) -> Product:
    """Write a validated product and its prices (the caller's transaction makes it all or nothing)."""
    prices = clean.pop("prices")
    product = Product.objects.create(order_page_id=order_page_id, **clean)
    Price.objects.bulk_create([Price(product=product, **row) for row in prices])
    return product
