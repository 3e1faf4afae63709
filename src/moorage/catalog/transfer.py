"""Product export and import as JSON: one product with every setting staff can give it, so that a file
exported on one installation reproduces the product on another (docs/product-transfer.md).

The exported fields are derived from the model: every concrete field and many-to-many of `Product`
is exported unless `EXCLUDED` names it with the reason, and its kind (how it is written and checked)
follows from the field's class. A new Product field is therefore exported from the day it exists, or
`tests/catalog/test_transfer_fields.py` fails until it is excluded or its kind is known.

Parts of a product that other apps own (order forms, add-ons, domain options, contract, the App tab…)
are `Section`s those apps register; their keys sit in the product object beside its own fields.
Importing checks the whole file first (every field and every section's `parse`, with the references to
other products resolved) and writes only then; any error names the place in the file, e.g.
`product.suspend_dayz: unknown key`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from moorage.catalog import client_functions
from moorage.catalog.models import Price, Product
from moorage.core.cycles import Cycle
from moorage.core.errors import DomainError
from moorage.core.money import MAX_AMOUNT
from moorage.core.validators import text_problem

FORMAT = "moorage.product"
VERSION = 2
# Version 1 files (name, prices and 21 settings) are still read: what they lack keeps its default.
READABLE_VERSIONS = (1, 2)
# The largest value of a PositiveIntegerField on every database.
MAX_INT = 2147483647

# Product fields that are not part of the file, and why. Everything else is exported.
EXCLUDED: dict[str, str] = {
    "id": "the identity of the row on one installation",
    "order_page": "the importing staff member chooses the order page",
    "created_at": "set when the product is created",
}
# Settings that a file must give (a product is nothing without them).
REQUIRED = ("name", "price_type")
# Fields whose text may span lines.
MULTILINE = ("description",)
PRICE_KEYS = ("cycle", "amount", "setup_fee", "upgrade_fee")
REFERENCE_KEYS = ("code", "name")
CYCLE_ORDER = {c.value: i for i, c in enumerate(Cycle)}


@dataclass(frozen=True)
class Section:
    """A part of a product that another app owns (order form, add-ons, domain options, contract, the App
    tab…), exported under `key` of the product object. `export(product)` returns JSON-ready data, or None
    when the product has nothing of this part (the key is then left out). `parse(value, path)` checks
    the file's value and returns it clean, raising DomainError whose field starts with `path` and
    writing nothing; unknown keys are errors naming them. `apply(product, clean)` writes it once the
    product exists, inside the import's transaction (it may still raise DomainError: nothing is kept)."""

    key: str
    export: Callable[[Product], Any]
    parse: Callable[[Any, str], Any]
    apply: Callable[[Product, Any], None]


# Filled by the component apps' AppConfig.ready() (catalog never imports them).
SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    if section.key in PRODUCT_KEYS or section.key in ("prices",):
        raise ValueError(f"section key {section.key!r} is a product field")
    SECTIONS[section.key] = section


# --- The product's own fields, derived from the model. ---


def exported_fields() -> list[models.Field]:
    """The Product fields the file carries, in the model's order (concrete fields, then many-to-many)."""
    fields = [f for f in Product._meta.get_fields() if f.concrete or (f.many_to_many and not f.auto_created)]
    return [f for f in fields if f.name not in EXCLUDED]


def kind_of(field: models.Field) -> str:
    """How a field is written in the file: str, text, choice, bool, int, decimal, functions, reminders,
    notices, products. Raises TypeError for a field class this module does not know yet."""
    if field.many_to_many and field.related_model is Product:
        return "products"
    if field.name == "client_functions":
        return "functions"
    if field.name == "custom_reminders":
        return "reminders"
    if field.name == "expiration_notices":
        return "notices"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.PositiveIntegerField):
        return "int"
    if isinstance(field, models.DecimalField):
        return "decimal"
    if isinstance(field, models.CharField) and field.choices:
        return "choice"
    if isinstance(field, models.CharField | models.TextField):
        return "str"
    raise TypeError(f"Product.{field.name}: the product file has no kind for {type(field).__name__}")


FIELDS: dict[str, models.Field] = {f.name: f for f in exported_fields()}
PRODUCT_KEYS = (*FIELDS, "prices")


def _reference(product: Product) -> dict[str, str]:
    return {"code": product.code, "name": product.name}


def _export_value(product: Product, field: models.Field) -> Any:
    kind = kind_of(field)
    value = getattr(product, field.name)
    if kind == "products":
        return sorted((_reference(p) for p in value.all()), key=lambda r: (r["code"], r["name"]))
    if kind == "decimal":
        return None if value is None else str(value)
    if kind == "functions":
        return list(value or [])
    return value


def export_product(product: Product) -> dict[str, Any]:
    """The product as a JSON-ready dict: every exported field, its prices, then each section's part."""
    data: dict[str, Any] = {name: _export_value(product, field) for name, field in FIELDS.items()}
    prices = sorted(product.prices.all(), key=lambda p: CYCLE_ORDER.get(p.cycle, len(CYCLE_ORDER)))
    data["prices"] = [
        {"cycle": p.cycle, "amount": str(p.amount), "setup_fee": str(p.setup_fee), "upgrade_fee": str(p.upgrade_fee)}
        for p in prices
    ]
    for key in sorted(SECTIONS):
        part = SECTIONS[key].export(product)
        if part is not None:
            data[key] = part
    return {"format": FORMAT, "version": VERSION, "product": data}


def export_json(product: Product) -> str:
    """The export file's text: sorted keys, two-space indent, one final newline; the same product gives
    the same bytes, so export → import → export is byte for byte the file it started from."""
    return json.dumps(export_product(product), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


# --- Checking a file. ---


def _fail(path: str, message: str) -> DomainError:
    return DomainError(f"{path}: {message}", field=path, code="invalid_import")


def _unknown_keys(value: dict, known: tuple[str, ...] | set[str], path: str) -> None:
    for key in value:
        if key not in known:
            where = f"{path}.{key}" if isinstance(key, str) and key.isidentifier() else f"{path}[{key!r}]"
            raise _fail(where, "unknown key")


def _decimal(value: Any, path: str, *, maximum: Decimal = MAX_AMOUNT) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(path, 'must be a decimal string such as "9.99"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise _fail(path, f"{value!r} is not a decimal amount") from exc
    if not amount.is_finite() or amount < 0:
        raise _fail(path, "must be zero or more")
    if amount > maximum:
        raise _fail(path, f"must be at most {maximum}")
    if amount != amount.quantize(Decimal("0.01")):
        raise _fail(path, "has more than two decimal places")
    return amount.quantize(Decimal("0.01"))


_money = _decimal


def _products(value: Any, path: str) -> list[int]:
    """References to other products ({"code", "name"}) resolved on this installation by code (by name
    when the code is empty): none or several → an error naming the reference."""
    if not isinstance(value, list):
        raise _fail(path, 'must be a list of products, e.g. [{"code": "ssl", "name": "SSL"}]')
    pks: list[int] = []
    for i, ref in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(ref, dict):
            raise _fail(where, "must be an object with code and name")
        _unknown_keys(ref, REFERENCE_KEYS, where)
        code, name = ref.get("code", ""), ref.get("name", "")
        if not isinstance(code, str) or not isinstance(name, str) or not (code.strip() or name.strip()):
            raise _fail(where, "needs a product code (or, for a product without one, its name)")
        found = list(
            Product.objects.filter(code=code).values_list("pk", flat=True)[:2]
            if code
            else Product.objects.filter(code="", name=name).values_list("pk", flat=True)[:2]
        )
        label = f"code {code!r}" if code else f"name {name!r}"
        if not found:
            raise _fail(where, f"no product with {label} on this installation")
        if len(found) > 1:
            raise _fail(where, f"more than one product has {label}")
        if found[0] not in pks:
            pks.append(found[0])
    return pks


def _field_value(name: str, field: models.Field, value: Any, path: str) -> Any:
    kind = kind_of(field)
    nullable = field.null
    if value is None:
        if nullable:
            return None
        raise _fail(path, "must not be null")
    if kind == "str":
        if not isinstance(value, str):
            raise _fail(path, "must be a string")
        if problem := text_problem(value, multiline=name in MULTILINE):
            raise _fail(path, problem)
        if field.max_length and len(value) > field.max_length:
            raise _fail(path, f"has more than {field.max_length} characters")
        if name == "name" and not value.strip():
            raise _fail(path, "must not be empty")
        return value
    if kind == "choice":
        values = [str(c[0]) for c in field.choices]
        if not isinstance(value, str) or value not in values:
            raise _fail(path, f"must be one of: {', '.join(values)}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _fail(path, "must be true or false" + (" (or null for the default)" if nullable else ""))
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
            raise _fail(path, f"must be a whole number from 0 to {MAX_INT}")
        return value
    if kind == "decimal":
        digits = field.max_digits - field.decimal_places
        return _decimal(value, path, maximum=Decimal(10**digits) - Decimal("0.01"))
    if kind == "functions":
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            raise _fail(path, "must be a list of function codes")
        if len(value) > len(client_functions.CODES):
            raise _fail(path, f"has more than {len(client_functions.CODES)} codes")
        try:
            return client_functions.clean_enabled(value)
        except ValueError as exc:
            raise _fail(path, str(exc)) from exc
    if kind in ("reminders", "notices"):
        if isinstance(value, list) and len(value) > 100:
            raise _fail(path, "has more than 100 items")
        try:
            for validator in field.validators:
                validator(value)
        except ValidationError as exc:
            raise _fail(path, "; ".join(exc.messages)) from exc
        return value
    if kind == "products":
        return _products(value, path)
    raise TypeError(kind)  # pragma: no cover - kind_of knows every kind handled above


def _load(raw: str | bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(f"the file is not valid JSON: {exc}", field="file", code="invalid_import") from exc
    except RecursionError as exc:  # "[[[[…" thousands deep: no export file looks like that
        raise _fail("file", "is nested too deeply to be a product export") from exc
    if not isinstance(doc, dict):
        raise _fail("file", "must be a JSON object")
    return doc


def parse_product(raw: str | bytes) -> dict[str, Any]:
    """Check an export file and return it clean: the product's fields, `prices`, `m2m` (field → product
    ids) and `sections` (key → each section's clean value). Writes nothing; raises naming the place."""
    doc = _load(raw)
    if doc.get("format") != FORMAT:
        raise _fail("format", f'must be "{FORMAT}"')
    version = doc.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise _fail("version", f"must be one of {', '.join(map(str, READABLE_VERSIONS))} (this file says {version!r})")
    _unknown_keys(doc, ("format", "version", "product"), "file")
    data = doc.get("product")
    if not isinstance(data, dict):
        raise _fail("product", "must be an object")
    _unknown_keys(data, (*PRODUCT_KEYS, *SECTIONS), "product")
    clean: dict[str, Any] = {}
    m2m: dict[str, list[int]] = {}
    for name, field in FIELDS.items():
        path = f"product.{name}"
        if name not in data or (version == 1 and data[name] is None and not field.null):
            # What the file does not say keeps the product's default (a version 1 null did too).
            if name in REQUIRED:
                raise _fail(path, "is required")
            continue
        value = _field_value(name, field, data[name], path)
        if field.many_to_many:
            m2m[name] = value
        else:
            clean[name] = value
    clean["prices"] = _parse_prices(data.get("prices", []), clean["price_type"])
    clean["m2m"] = m2m
    clean["sections"] = {
        key: SECTIONS[key].parse(data[key], f"product.{key}") for key in sorted(SECTIONS) if key in data
    }
    return clean


def _parse_prices(prices: Any, price_type: str) -> list[dict[str, Any]]:
    if not isinstance(prices, list):
        raise _fail("product.prices", "must be a list")
    seen: set[str] = set()
    clean_prices = []
    cycles = [c.value for c in Cycle]
    for i, row in enumerate(prices):
        path = f"product.prices[{i}]"
        if not isinstance(row, dict):
            raise _fail(path, "must be an object")
        _unknown_keys(row, PRICE_KEYS, path)
        cycle = row.get("cycle")
        if not isinstance(cycle, str) or cycle not in cycles:
            raise _fail(f"{path}.cycle", f"must be one of: {', '.join(cycles)}")
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
    check_prices(price_type, [p["cycle"] for p in clean_prices], field="product.prices")
    return clean_prices


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
    """Write a checked product: its fields, prices, references to other products, then each section
    (the caller's transaction makes it all or nothing)."""
    clean = dict(clean)
    prices = clean.pop("prices")
    m2m = clean.pop("m2m", {})
    sections = clean.pop("sections", {})
    product = Product.objects.create(order_page_id=order_page_id, **clean)
    Price.objects.bulk_create([Price(product=product, **row) for row in prices])
    for name, pks in m2m.items():
        getattr(product, name).set(pks)
    for key, value in sections.items():
        SECTIONS[key].apply(product, value)
    return product
