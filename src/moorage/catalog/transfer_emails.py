"""The product file's `emails` section: the product's Emails choices (which notification template
variant each client event uses), by event code and template name. A name that the importing
installation does not have for that event is refused, naming it; an event left out uses its Default."""

from __future__ import annotations

from typing import Any

from moorage.catalog.models import Product
from moorage.catalog.transfer import Section
from moorage.core.errors import DomainError
from moorage.notifications import events
from moorage.notifications.models import NotificationTemplate, ProductNotificationTemplate

KEY = "emails"


def _fail(path: str, message: str) -> DomainError:
    return DomainError(f"{path}: {message}", field=path, code="invalid_import")


def export(product: Product) -> dict[str, str] | None:
    rows = ProductNotificationTemplate.objects.filter(product_id=product.pk).select_related("template")
    chosen = {row.event: row.template.name for row in rows}
    return dict(sorted(chosen.items())) or None


def parse(value: Any, path: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise _fail(path, 'must be an object of event codes and template names, e.g. {"invoice_created": "Short"}')
    clean: dict[str, int] = {}
    for code, name in value.items():
        where = f"{path}.{code}"
        event = events.EVENTS.get(code)
        if event is None:
            raise _fail(where, "unknown key: no such notification event")
        if not event.per_product:
            raise _fail(where, "this event cannot be chosen per product")
        if not isinstance(name, str):
            raise _fail(where, "must be a template name")
        template = NotificationTemplate.objects.filter(event=code, name=name).first()
        if template is None:
            raise _fail(where, f"no notification template named {name!r} for this event on this installation")
        clean[code] = template.pk
    return clean


def apply(product: Product, clean: dict[str, int]) -> None:
    ProductNotificationTemplate.objects.bulk_create(
        [ProductNotificationTemplate(product_id=product.pk, event=code, template_id=pk) for code, pk in clean.items()]
    )


SECTION = Section(key=KEY, export=export, parse=parse, apply=apply)
