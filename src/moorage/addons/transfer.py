"""The "addons" section of a product export: the codes of the add-ons assigned to it."""

from __future__ import annotations

from typing import Any

from moorage.addons.models import Addon
from moorage.catalog.models import Product
from moorage.core.errors import DomainError

KEY = "addons"
MAX_CODES = 200


def _fail(path: str, message: str) -> DomainError:
    return DomainError(f"{path}: {message}", field=path, code="invalid_import")


def export(product: Product) -> list[str] | None:
    """The assigned add-ons' codes, or None (the key is left out) when none is assigned."""
    return sorted(product.addons.values_list("code", flat=True)) or None


def parse(value: Any, path: str) -> list[str]:
    """A list of existing add-on codes (the add-on catalog is not imported with a product)."""
    if not isinstance(value, list) or len(value) > MAX_CODES:
        raise _fail(path, f"must be a list of at most {MAX_CODES} add-on codes")
    codes = []
    for i, code in enumerate(value):
        if not isinstance(code, str) or not code or len(code) > 50:
            raise _fail(f"{path}[{i}]", "must be an add-on code")
        codes.append(code)
    known = set(Addon.objects.filter(code__in=codes).values_list("code", flat=True))
    for i, code in enumerate(codes):
        if code not in known:
            raise _fail(f"{path}[{i}]", f"no add-on with code {code!r}")
    return sorted(set(codes))


def apply(product: Product, clean: list[str]) -> None:
    product.addons.set(Addon.objects.filter(code__in=clean))
