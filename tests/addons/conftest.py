"""Add-on fixtures: a catalog of two add-ons assigned to Starter Hosting, and helpers to order with them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from moorage.addons.models import Addon, AddonPrice
from moorage.orders.actions import order_checkout
from moorage.provisioning.runner import run_due_jobs
from moorage.services.components import CartItem
from tests.automation.conftest import at, pay
from tests.provisioning.conftest import connection, hosting, panel  # noqa: F401  (the emulator fixtures)

JAN1 = dt.date(2026, 1, 1)
JAN17 = dt.date(2026, 1, 17)


def make_addon(name: str, code: str, prices: dict[str, tuple[str, str]], products=(), **fields) -> Addon:  # noqa: ANN001, ANN003
    addon = Addon.objects.create(name=name, code=code, **fields)
    for cycle, (amount, setup) in prices.items():
        AddonPrice.objects.create(addon=addon, cycle=cycle, amount=Decimal(amount), setup_fee=Decimal(setup))
    addon.products.set(products)
    return addon


@pytest.fixture
def disk(starter):  # noqa: ANN001, ANN201
    """Extra 10 GiB of disk: 3.10 a month (31.00 a year), setup 1.00; raises limit_quota by 10240 MiB."""
    return make_addon(
        "Extra disk 10 GB",
        "disk10",
        {"monthly": ("3.10", "1.00"), "annually": ("31.00", "0.00")},
        [starter],
        limits={"limit_quota": 10240},
    )


@pytest.fixture
def dedicated_ip(starter):  # noqa: ANN001, ANN201
    """A dedicated IP: 2.00 a month, no panel limit; staff assign it by hand."""
    return make_addon(
        "Dedicated IP",
        "ip",
        {"monthly": ("2.00", "0.00")},
        [starter],
        staff_task="Assign a dedicated IPv4 address in the panel",
    )


def order(client, product, addons=(), *, cycle="monthly", day=JAN1, hostname="shop.example.com"):  # noqa: ANN001, ANN201
    return order_checkout(
        client=client,
        items=[CartItem(product.pk, cycle, hostname, addons=tuple(a.pk for a in addons))],
        now=at(day, 10),
        actor=None,
    )


def run_jobs(business_now: dt.datetime) -> int:
    """Run the due jobs: due on the real clock (jobs are due at once), dated on the business clock."""
    return run_due_jobs(now=timezone.now() + dt.timedelta(minutes=1), business_now=business_now)


__all__ = ["JAN1", "JAN17", "at", "make_addon", "order", "pay", "run_jobs"]
