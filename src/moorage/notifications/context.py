"""What a notification template may see: the objects an action hands to `notify()` turned into plain
data (dicts of strings, numbers, Decimals and dates) through one whitelist per kind of object.

No model instance, queryset, callable or setting ever reaches a template: a value of a kind not
listed here is dropped. Notifications sit below services, billing and orders, so those models are
recognised by their label, never imported.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse

from moorage.core.clock import local_date

log = logging.getLogger(__name__)

SCALARS = (str, int, Decimal, dt.date, bool)  # dt.datetime is a dt.date
MAX_DEPTH = 4


def _url(name: str, *args: Any) -> str:
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{settings.MOORAGE_SITE_URL}{path}"


def _display(obj: models.Model, field: str) -> str:
    getter = getattr(obj, f"get_{field}_display", None)
    return str(getter()) if getter else str(getattr(obj, field, ""))


def client_data(client: Any) -> dict[str, Any]:
    return {
        "id": client.pk,
        "name": client.display_name,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "company": client.organization,
        "email": client.user.email,
        "language": client.language,
    }


def user_data(user: Any) -> dict[str, Any]:
    return {"name": user.get_full_name() or user.get_username(), "email": user.email}


def service_data(service: Any) -> dict[str, Any]:
    product = service.product
    return {
        "id": service.pk,
        "name": service.hostname or product.name,
        "hostname": service.hostname,
        "label": service.label,
        "product": product.name,
        "product_id": product.pk,
        "cycle": _display(service, "cycle"),
        "price": service.recurring_amount,
        "currency": settings.MOORAGE_CURRENCY,
        "status": _display(service, "status"),
        "start_date": service.start_date,
        "next_due_date": service.next_due_date,
        "expiry_date": service.expiry_date,
        "url": _url("clientarea:service", service.pk),
    }


def invoice_data(invoice: Any) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "number": invoice.display_number,
        "total": invoice.total,
        "currency": invoice.currency,
        "status": _display(invoice, "status"),
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "paid_date": invoice.paid_date,
        "url": _url("clientarea:invoice", invoice.number),
        "lines": [{"description": ln.description, "amount": ln.amount} for ln in invoice.lines.order_by("pk")],
    }


def order_data(order: Any) -> dict[str, Any]:
    items = [
        {
            "product": item.product.name,
            "hostname": item.hostname,
            "cycle": _display(item, "cycle"),
            "amount": item.amount,
            "setup_fee": item.setup_fee,
        }
        for item in order.items.select_related("product").order_by("pk")
    ]
    return {
        "id": order.pk,
        "number": order.display_number,
        "date": local_date(order.created_at),
        "items": items,
        "invoice": invoice_data(order.invoice) if order.invoice_id else None,
    }


def payment_data(payment: Any) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "amount": payment.amount,
        "currency": payment.currency,
        "gateway": payment.gateway,
        "transaction_id": payment.transaction_id,
        "date": local_date(payment.received_at),
        "invoice": payment.invoice.display_number if payment.invoice_id else "",
    }


def upgrade_data(request: Any) -> dict[str, Any]:
    return {
        "from": request.from_product.name,
        "to": request.to_product.name,
        "kind": _display(request, "kind"),
        "from_cycle": _display(request, "from_cycle"),
        "to_cycle": _display(request, "to_cycle"),
        "from_price": request.from_price,
        "to_price": request.to_price,
    }


def product_data(product: Any) -> dict[str, Any]:
    return {"id": product.pk, "name": product.name}


# The whitelist: a model (by its "app.model" label) → the plain data a template may see of it.
CONVERTERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "customers.client": client_data,
    "core.user": user_data,
    "services.service": service_data,
    "billing.invoice": invoice_data,
    "orders.order": order_data,
    "billing.payment": payment_data,
    "upgrades.upgraderequest": upgrade_data,
    "catalog.product": product_data,
}


def plain(value: Any, depth: int = 0) -> Any:
    """`value` as plain data, or None when it is of a kind templates may not see."""
    if value is None or isinstance(value, SCALARS):
        return value
    if isinstance(value, float):  # never money; a plain number a caller computed
        return Decimal(str(value))
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, models.Model):
        converter = CONVERTERS.get(value._meta.label_lower)
        if converter is None:
            log.warning("a %s was handed to a notification template and left out", value._meta.label)
            return None
        return plain(converter(value), depth + 1)
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items() if isinstance(k, str) and not k.startswith("_")}
    if isinstance(value, list | tuple):
        return [plain(v, depth + 1) for v in value[:1000]]
    if hasattr(value, "_proxy____cast"):  # a lazy translation
        return str(value)
    return None


def template_context(context: dict[str, Any]) -> dict[str, Any]:
    """The whole context of one notification, plain; the company and site address are always there."""
    data = {key: plain(value) for key, value in context.items() if not key.startswith("_")}
    if "request" in data and "upgrade" not in data and isinstance(context.get("request"), models.Model):
        data["upgrade"] = data.pop("request")  # the client's Successful upgrade names it `upgrade`
    data.setdefault("company", settings.MOORAGE_COMPANY_NAME)
    data.setdefault("site_url", settings.MOORAGE_SITE_URL)
    return data


def product_of(context: dict[str, Any]) -> int | None:
    """The product whose template choices apply: the service's, else the first service line's of the
    invoice or the first item's of the order."""
    service = context.get("service")
    if isinstance(service, models.Model) and service._meta.label_lower == "services.service":
        return service.product_id
    order = context.get("order")
    if isinstance(order, models.Model) and order._meta.label_lower == "orders.order":
        item = order.items.order_by("pk").first()
        if item is not None:
            return item.product_id
    invoice = context.get("invoice")
    if isinstance(invoice, models.Model) and invoice._meta.label_lower == "billing.invoice":
        line = invoice.lines.filter(service__isnull=False).order_by("pk").values_list("service__product_id", flat=True)
        return line.first()
    payment = context.get("payment")
    if isinstance(payment, models.Model) and payment._meta.label_lower == "billing.payment" and payment.invoice_id:
        return product_of({"invoice": payment.invoice})
    return None
