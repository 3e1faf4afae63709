"""The product file's `metered_prices` section (catalog.transfer): a metered product's price per
resource (unit price, included quantity, unit size, billing unit label) and its graduated tiers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from moorage.catalog.models import Product
from moorage.catalog.transfer import Section
from moorage.core.errors import DomainError
from moorage.core.validators import text_problem
from moorage.metering.models import QUANTITY, UNIT_PRICE, MeteredPrice, MeteredTier
from moorage.metering.resources import RESOURCES

KEY = "metered_prices"
PRICE_KEYS = ("resource", "unit_price", "included", "unit_size", "unit_label", "tiers")
TIER_KEYS = ("up_to", "unit_price")
MAX_TIERS = 50


def _fail(path: str, message: str) -> DomainError:
    return DomainError(f"{path}: {message}", field=path, code="invalid_import")


def _unknown(value: dict, known: tuple[str, ...], path: str) -> None:
    for key in value:
        if key not in known:
            raise _fail(f"{path}.{key}", "unknown key")


def _number(value: Any, path: str, spec: dict[str, int], *, positive: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(path, 'must be a decimal string such as "0.05"')
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise _fail(path, f"{value!r} is not a decimal number") from exc
    places = spec["decimal_places"]
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise _fail(path, "must be more than zero" if positive else "must be zero or more")
    if number >= Decimal(10) ** (spec["max_digits"] - places):
        raise _fail(path, "is too large")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise _fail(path, f"has more than {places} decimal places")
    return number.quantize(Decimal(1).scaleb(-places))


def _text(value: Decimal) -> str:
    """A stored decimal without trailing zeros, so the file reads "0.05", "1024"."""
    text = format(value.normalize(), "f")
    return text


def export(product: Product) -> list[dict[str, Any]] | None:
    prices = MeteredPrice.objects.filter(product=product).prefetch_related("tiers").order_by("resource")
    rows = [
        {
            "resource": p.resource,
            "unit_price": _text(p.unit_price),
            "included": _text(p.included),
            "unit_size": _text(p.unit_size),
            "unit_label": p.unit_label,
            "tiers": [
                {"up_to": None if t.up_to is None else _text(t.up_to), "unit_price": _text(t.unit_price)}
                for t in sorted(p.tiers.all(), key=lambda t: (t.up_to is None, t.up_to or 0))
            ],
        }
        for p in prices
    ]
    return rows or None


def parse(value: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _fail(path, "must be a list of metered prices")
    if len(value) > len(RESOURCES):
        raise _fail(path, f"has more than {len(RESOURCES)} prices")
    seen: set[str] = set()
    clean = []
    for i, row in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(row, dict):
            raise _fail(where, "must be an object")
        _unknown(row, PRICE_KEYS, where)
        resource = row.get("resource")
        if not isinstance(resource, str) or resource not in RESOURCES:
            raise _fail(f"{where}.resource", f"must be one of: {', '.join(RESOURCES)}")
        if resource in seen:
            raise _fail(f"{where}.resource", f"{resource} is listed twice")
        seen.add(resource)
        if "unit_price" not in row:
            raise _fail(f"{where}.unit_price", "is required")
        label = row.get("unit_label", "")
        if not isinstance(label, str) or len(label) > 20 or text_problem(label):
            raise _fail(f"{where}.unit_label", "must be a line of at most 20 characters")
        tiers = row.get("tiers", [])
        if not isinstance(tiers, list) or len(tiers) > MAX_TIERS:
            raise _fail(f"{where}.tiers", f"must be a list of at most {MAX_TIERS} tiers")
        clean_tiers = []
        bounds: set[Decimal | None] = set()
        for j, tier in enumerate(tiers):
            at = f"{where}.tiers[{j}]"
            if not isinstance(tier, dict):
                raise _fail(at, "must be an object")
            _unknown(tier, TIER_KEYS, at)
            up_to = tier.get("up_to")
            bound = None if up_to is None else _number(up_to, f"{at}.up_to", QUANTITY, positive=True)
            if bound in bounds:
                raise _fail(f"{at}.up_to", "is listed twice")
            bounds.add(bound)
            if "unit_price" not in tier:
                raise _fail(f"{at}.unit_price", "is required")
            clean_tiers.append(
                {"up_to": bound, "unit_price": _number(tier["unit_price"], f"{at}.unit_price", UNIT_PRICE)}
            )
        clean.append(
            {
                "resource": resource,
                "unit_price": _number(row["unit_price"], f"{where}.unit_price", UNIT_PRICE),
                "included": _number(row.get("included", "0"), f"{where}.included", QUANTITY),
                "unit_size": _number(row.get("unit_size", "1"), f"{where}.unit_size", QUANTITY, positive=True),
                "unit_label": label,
                "tiers": clean_tiers,
            }
        )
    return clean


def apply(product: Product, clean: list[dict[str, Any]]) -> None:
    for row in clean:
        fields = {k: v for k, v in row.items() if k != "tiers"}
        price = MeteredPrice.objects.create(product=product, **fields)
        MeteredTier.objects.bulk_create([MeteredTier(price=price, **tier) for tier in row["tiers"]])


SECTION = Section(key=KEY, export=export, parse=parse, apply=apply)
