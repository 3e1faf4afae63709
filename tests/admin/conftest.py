"""Staff-area fixtures: a logged-in superuser's browser and a small world of billing rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client as Browser

from moorage.billing.models import Invoice
from moorage.catalog.models import OrderPage, Product
from moorage.core.models import User
from moorage.customers.models import Client
from moorage.orders.actions import CartItem, order_checkout
from moorage.orders.models import Order
from moorage.services.models import Service
from tests import factories
from tests.provisioning.conftest import connection, hosting, panel  # noqa: F401  (the emulator)

CLOCK = "2026-01-20"


@pytest.fixture(autouse=True)
def test_clock(settings):  # noqa: ANN001, ANN201
    """The admin's actions take "now" from the clock: fix it so dates are known."""
    settings.MOORAGE_CLOCK_DATE = CLOCK
    return dt.date.fromisoformat(CLOCK)


@pytest.fixture
def browser(staff: User) -> Browser:
    b = Browser()
    b.force_login(staff)
    return b


@dataclass
class World:
    page: OrderPage
    starter: Product
    client: Client
    order: Order
    invoice: Invoice
    service: Service


@pytest.fixture
def world(shared_page: OrderPage, starter: Product, client_account: Client, now: dt.datetime) -> World:
    order = order_checkout(client=client_account, items=[CartItem(starter.pk, "monthly", "example.com")], now=now)
    return World(
        page=shared_page,
        starter=starter,
        client=client_account,
        order=order,
        invoice=order.invoice,
        service=order.items.get().service,
    )


@pytest.fixture
def other_client(db) -> Client:  # noqa: ANN001
    return factories.client(email="other@example.com", first_name="Olga", last_name="Other")


@pytest.fixture
def provisioning_rows(world: World, now: dt.datetime) -> None:
    """A row of every provisioning model, with a connection to no panel (nothing is called)."""
    from moorage.provisioning.models import (
        AppConnection,
        JobAttempt,
        ModuleState,
        PanelAccount,
        ProductApp,
        ProvisioningJob,
        ServerGroup,
    )

    ModuleState.objects.create(name="ispmanager", active=True, changed_at=now)
    group = ServerGroup.objects.create(module="ispmanager", name="Shared EU")
    conn = AppConnection.objects.create(
        module="ispmanager",
        name="offline-panel",
        ip_address="127.0.0.1",
        username="root",
        password="not-used",
        path="http://127.0.0.1:9/ispmgr",
        timeout=1,
        group=group,
    )
    ProductApp.objects.create(product=world.starter, connection=conn, options={"preset": "basic"})
    PanelAccount.objects.create(
        service=world.service, connection=conn, username="example", password="pw", created_at=now
    )
    job = ProvisioningJob.objects.create(
        service=world.service,
        operation="create",
        idempotency_key="initial",
        status="failed",
        attempts=1,
        next_attempt_at=now,
        created_at=now,
        last_error="cannot connect to the panel",
    )
    JobAttempt.objects.create(job=job, number=1, started_at=now, outcome="permanent", message="cannot connect")


@pytest.fixture
def metering_rows(world: World, provisioning_rows: None, now: dt.datetime) -> None:
    """A row of every metering model: a metered price with a tier, a usage sample, a usage sync."""
    from decimal import Decimal

    from moorage.metering.models import MeteredPrice, MeteredTier, UsageSample, UsageSync
    from moorage.provisioning.models import AppConnection

    price = MeteredPrice.objects.create(
        product=world.starter, resource="disk_mib", unit_price=Decimal("0.50"), unit_size=Decimal(1024)
    )
    MeteredTier.objects.create(price=price, up_to=Decimal(10), unit_price=Decimal("0.40"))
    UsageSample.objects.create(service=world.service, resource="disk_mib", value=Decimal(300), taken_at=now)
    UsageSync.objects.create(connection=AppConnection.objects.get(), queued_at=now, finished_at=now, accounts=1)
    from moorage.metering.models import FailedSample

    FailedSample.objects.create(service=world.service, resource="bandwidth_mib", raw="NaN", reason="NaN", taken_at=now)
