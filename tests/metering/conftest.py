"""Metering fixtures: the emulator over HTTP, and a metered hosting product provisioned on it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from moorage.catalog.models import Product
from moorage.core.clock import business_tz
from moorage.metering.models import MeteredPrice, MeteredTier
from moorage.orders.actions import CartItem, order_checkout
from moorage.provisioning.models import ModuleState, ProductApp
from moorage.provisioning.runner import run_due_jobs
from tests import factories
from tests.provisioning.conftest import connection, panel  # noqa: F401  (the emulator fixtures)

D = dt.date


def at(day: dt.date, hour: int = 0, minute: int = 5) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=business_tz())


@pytest.fixture
def metered(shared_page, connection):  # noqa: ANN001, ANN201, F811
    """ "Metered Hosting": no price row, preset `basic` on the emulator, created when ordered.

    Disk: per GiB (1024 MiB), 1 GiB included, 0.50 per GiB.
    Bandwidth: per GiB, 10 GiB included, graduated: first 50 billable GiB at 0.10, up to 80 at 0.08,
    beyond at 0.05.
    Websites: 1 included, 0.125 each beyond (a price with half a cent, to show the rounding).
    """
    ModuleState.objects.get_or_create(name="ispmanager", defaults={"active": True})
    product = factories.product(
        shared_page,
        name="Metered Hosting",
        prices={},
        price_type=Product.PriceType.METERED,
        module="ispmanager",
        auto_create=Product.AutoCreate.ON_PAYMENT,
    )
    ProductApp.objects.create(
        product=product, connection=connection, options={"preset": "basic", "username_pattern": "{hostname}"}
    )
    MeteredPrice.objects.create(
        product=product,
        resource="disk_mib",
        unit_price=Decimal("0.50"),
        included=Decimal(1),
        unit_size=Decimal(1024),
        unit_label="GiB",
    )
    bandwidth = MeteredPrice.objects.create(
        product=product,
        resource="bandwidth_mib",
        unit_price=Decimal("0.05"),
        included=Decimal(10),
        unit_size=Decimal(1024),
        unit_label="GiB",
    )
    MeteredTier.objects.create(price=bandwidth, up_to=Decimal(50), unit_price=Decimal("0.10"))
    MeteredTier.objects.create(price=bandwidth, up_to=Decimal(80), unit_price=Decimal("0.08"))
    MeteredPrice.objects.create(product=product, resource="websites", unit_price=Decimal("0.125"), included=Decimal(1))
    return product


def order_metered(client_obj, product, day: dt.date, hostname: str = "shop.example.com"):  # noqa: ANN001, ANN201
    """Order the metered product on `day` and let the worker create the account; returns the service."""
    order = order_checkout(client=client_obj, items=[CartItem(product.pk, "", hostname)], now=at(day, 9))
    assert run_due_jobs(now=at(day, 9, 10)) == 1
    service = order.items.get().service
    service.refresh_from_db()
    return service
