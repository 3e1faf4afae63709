"""The product export's "contract" section: the code of the product's contract template (or null)."""

from __future__ import annotations

from typing import Any

from moorage.catalog.models import Product
from moorage.catalog.transfer import Section
from moorage.contracts.models import ContractTemplate, ProductContract
from moorage.core.errors import DomainError


def export(product: Product) -> str | None:
    link = ProductContract.objects.filter(product=product).select_related("template").first()
    return link.template.code if link else None


def parse(value: Any, path: str) -> ContractTemplate | None:
    """The template named by `value` (it must exist on this installation: texts are not imported)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise DomainError(f"{path}: must be a contract template code or null", field=path, code="invalid_import")
    template = ContractTemplate.objects.filter(code=value).first()
    if template is None:
        raise DomainError(
            f"{path}: there is no contract template with the code {value!r}; create it first",
            field=path,
            code="invalid_import",
        )
    return template


def apply(product: Product, clean: ContractTemplate | None) -> None:
    if clean is None:
        ProductContract.objects.filter(product=product).delete()
    else:
        ProductContract.objects.update_or_create(product=product, defaults={"template": clean})


SECTION = Section(key="contract", export=export, parse=parse, apply=apply)
