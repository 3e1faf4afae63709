"""Fixtures for provisioning: a real emulator over HTTP, a connection and an ispmanager product."""

from __future__ import annotations

import pytest

from ispmanager_emulator import EmulatorServer
from moorage.catalog.models import Product
from moorage.provisioning.models import AppConnection, ModuleState, ProductApp

ADMIN = ("root", "s3cret-root")


@pytest.fixture
def panel():
    server = EmulatorServer(port=0, admin=ADMIN, seed=7).start()
    server.call(
        "preset.edit",
        sok="ok",
        name="basic",
        limit_db=2,
        limit_webdomains=3,
        limit_quota=1024,
        limit_emails=10,
        limit_ftp_users=2,
    )
    server.call(
        "preset.edit",
        sok="ok",
        name="pro",
        limit_db=20,
        limit_webdomains=30,
        limit_quota=10240,
        limit_emails=100,
        limit_ftp_users=20,
    )
    yield server
    server.stop()


def make_connection(panel: EmulatorServer, name: str = "panel-1", **fields) -> AppConnection:  # noqa: ANN003
    return AppConnection.objects.create(
        module="ispmanager",
        name=name,
        ip_address="127.0.0.1",
        hostname="panel.example.net",
        username=ADMIN[0],
        password=ADMIN[1],
        api_port=panel.port,
        path=panel.url,
        nameservers=[{"name": "ns1.example.net", "ip": "192.0.2.53"}, {"name": "ns2.example.net", "ip": "192.0.2.54"}],
        **fields,
    )


@pytest.fixture
def connection(db, panel):  # noqa: ANN001
    return make_connection(panel)


@pytest.fixture
def hosting(starter, connection):  # noqa: ANN001
    """Starter Hosting provisioned on the emulator with preset `basic`, created on first payment."""
    ModuleState.objects.create(name="ispmanager", active=True)
    Product.objects.filter(pk=starter.pk).update(module="ispmanager", auto_create=Product.AutoCreate.ON_PAYMENT)
    starter.refresh_from_db()
    ProductApp.objects.create(
        product=starter,
        connection=connection,
        options={
            "preset": "basic",
            "create_www_domain": True,
            "limit_db": 5,
            "limit_shell": True,
            "username_pattern": "{hostname}",
        },
    )
    return starter
