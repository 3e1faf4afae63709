"""Cancellation and credit fixtures: a plan at 31.00 a month (one dollar a day in March), ordered
and paid on 1 March 2026, so the pro-rated amounts of the worked examples are easy to follow."""

from __future__ import annotations

import datetime as dt

import pytest

from moorage.catalog.models import BillingDefaults
from moorage.orders.actions import CartItem, order_checkout
from moorage.services.models import Service
from tests import factories
from tests.automation.conftest import at, pay

D = dt.date
MARCH_1 = D(2026, 3, 1)


@pytest.fixture
def defaults(db):  # noqa: ANN001, ANN201
    return BillingDefaults.load()


def plan(page, **settings):  # noqa: ANN001, ANN003, ANN201
    """Monthly 31.00, no module (cancelled at once, no panel job), with the given product settings."""
    return factories.product(page, name=settings.pop("name", "Plan 31"), prices={"monthly": "31.00"}, **settings)


def ordered(client, product, day: dt.date = MARCH_1, *, paid: bool = True) -> Service:  # noqa: ANN001
    """Order `product` on `day` at 09:00 and (pre-paid) pay its first invoice the same day."""
    order = order_checkout(client=client, items=[CartItem(product.pk, "monthly", "example.com")], now=at(day, 9))
    if paid and order.invoice is not None and order.invoice.status == "unpaid":
        pay(order.invoice, day)
    return Service.objects.get(pk=order.items.get().service_id)
