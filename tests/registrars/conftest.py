"""The EPP stand-in on a free port in a thread (real TLS, its own throw-away CA) and the EPP module
pointed at it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from epp_standin import EppStandin
from epp_standin.testing import module_settings
from moorage.domains.registrar import Contact
from moorage.registrars.epp import EppRegistrar

REGISTRY_NOW = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def registry_now() -> dt.datetime:
    """The stand-in's clock: creation and expiry dates never depend on today."""
    return REGISTRY_NOW


@pytest.fixture
def make_standin(registry_now: dt.datetime) -> Iterator[Callable[..., EppStandin]]:
    started: list[EppStandin] = []

    def make(**kwargs: Any) -> EppStandin:
        kwargs.setdefault("clock", lambda: registry_now)
        kwargs.setdefault("idle_timeout", 10.0)
        server = EppStandin(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def epp_standin(make_standin: Callable[..., EppStandin]) -> EppStandin:
    return make_standin()


def settings_for(server: EppStandin, **overrides: Any) -> dict[str, Any]:
    return module_settings(server, **overrides)


@pytest.fixture
def registrar(epp_standin: EppStandin) -> EppRegistrar:
    return EppRegistrar(settings_for(epp_standin))


@pytest.fixture
def contact() -> Contact:
    return Contact(
        handle="MOO-42",
        name="Anna Client",
        email="anna@example.test",
        organization="Client Ltd",
        address="1 Harbour Street\nSuite 5",
        city="Riga",
        postal_code="LV-1010",
        country="LV",
        phone="+371.20000000",
    )
