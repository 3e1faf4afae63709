"""Order-form test data: a product with one field of each kind, built through the import action."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from moorage.billing.renewal import issue_renewal
from moorage.orderforms.actions import form_import
from moorage.orders.actions import order_checkout
from moorage.services.actions import lock_service
from moorage.services.components import CartItem, as_pairs
from moorage.services.models import Service
from tests import factories

FORM = [
    {"code": "notes", "label": "Notes", "type": "text", "recurring_price": "1.00", "one_time_price": "0.50"},
    {"code": "about", "label": "About", "type": "textarea", "one_time_price": "2.00"},
    {
        "code": "disk",
        "label": "Extra disk (GB)",
        "type": "number",
        "min": 0,
        "max": 50,
        "recurring_price": "0.25",
        "limits": {"limit_quota": 1024},
        "client_editable": True,
    },
    {
        "code": "backup",
        "label": "Daily backups",
        "type": "checkbox",
        "recurring_price": "3.00",
        "one_time_price": "5.00",
        "client_editable": True,
    },
    {
        "code": "os",
        "label": "PHP version",
        "type": "select",
        "default": "php82",
        "options": [
            {"label": "PHP 8.2", "value": "php82"},
            {"label": "PHP 8.3", "value": "php83", "recurring_price": "2.00", "limits": {"limit_db": 1}},
        ],
        "client_editable": True,
    },
    {
        "code": "support",
        "label": "Support",
        "type": "radio",
        "required": True,
        "options": [
            {"label": "Standard", "value": "std"},
            {"label": "Priority", "value": "prio", "recurring_price": "7.00", "one_time_price": "10.00"},
        ],
    },
    {"code": "source", "label": "Source", "type": "hidden", "default": "web", "recurring_price": "0.10"},
]


def formed_product(page, *, now: dt.datetime, form=None, **fields):  # noqa: ANN001, ANN003, ANN201
    """A monthly 10.00 product with the order form FORM (or `form`)."""
    product = factories.product(page, name="Formed", prices={"monthly": "10.00", "annually": "100.00"}, **fields)
    form_import(product_id=product.pk, data=FORM if form is None else form, now=now, actor=None)
    return product


def order(client, product, answers: dict, *, now: dt.datetime, cycle: str = "monthly"):  # noqa: ANN001, ANN201
    item = CartItem(product.pk, cycle, "shop.example.com", form=as_pairs(answers))
    return order_checkout(client=client, items=[item], now=now, actor=None)


def option_lines(invoice) -> list[tuple[str, Decimal, bool]]:  # noqa: ANN001
    """(description, amount, periodic) of the invoice's order-form lines."""
    return [
        (line.description, line.amount, line.period_start is not None)
        for line in invoice.lines.order_by("id")
        if line.kind == "option"
    ]


def renew(service: Service, *, now: dt.datetime):  # noqa: ANN201
    with transaction.atomic():
        service = lock_service(service.pk)
        return issue_renewal(service, today=now.date(), now=now, actor=None, force=True)
