"""Upgrade fixtures: Starter ⇄ Business as each other's Available Upgrades, services paid on 1 Jan 2026.

A monthly service ordered and paid on 2026-01-01 has the paid period [1 Jan, 1 Feb): 31 days. The
worked examples change it on 17 Jan at 00:05 (business time zone), 14 days 23 h 55 min before the
next due date.
"""

from __future__ import annotations

import datetime as dt

import pytest

from moorage.catalog.models import Product
from moorage.upgrades.actions import service_change_package
from tests import factories
from tests.automation.conftest import at, pay
from tests.provisioning.conftest import connection, hosting, panel  # noqa: F401  (the emulator fixtures)

JAN1 = dt.date(2026, 1, 1)
JAN17 = dt.date(2026, 1, 17)
CHANGE = at(JAN17)  # 2026-01-17 00:05


@pytest.fixture
def plans(shared_page):  # noqa: ANN001, ANN201
    """(Starter 4.99 / 49.90, Business 9.99 / 99.90), each an Available Upgrade of the other."""
    starter = shared_page.products.get(code="starter")
    business = shared_page.products.get(code="business")
    starter.available_upgrades.add(business)
    business.available_upgrades.add(starter)
    return starter, business


def configure(product: Product, **fields) -> Product:  # noqa: ANN003
    Product.objects.filter(pk=product.pk).update(**fields)
    product.refresh_from_db()
    return product


def active_service(client, product, *, cycle="monthly", day=JAN1, hostname="example.com"):  # noqa: ANN001, ANN201
    """A service ordered and paid on `day` (no module: active at once)."""
    order = factories.checkout(client, product, cycle=cycle, hostname=hostname, now=at(day, 10))
    pay(order.invoice, day, txn=f"T-order-{order.number}")
    service = order.items.get().service
    service.refresh_from_db()
    return service


def change(service, product, cycle="monthly", *, now=CHANGE, actor=None):  # noqa: ANN001, ANN201
    req = service_change_package(service_id=service.pk, product_id=product.pk, cycle=cycle, now=now, actor=actor)
    service.refresh_from_db()
    return req
