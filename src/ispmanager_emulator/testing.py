"""pytest helpers: a fixture factory and ready-made fixtures.

Use the ready-made fixtures by adding ``pytest_plugins = ["ispmanager_emulator.testing"]``
to a conftest, or build your own::

    from ispmanager_emulator.testing import emulator_fixture

    ispmanager = emulator_fixture(scope="module", admin=("root", "secret"))

    def test_create(ispmanager):
        ispmanager.call("user.edit", sok="ok", name="bob", passwd="pw12345678")
        assert "bob" in ispmanager.state.users

The fixture value is a started :class:`~ispmanager_emulator.EmulatorServer`; it is stopped
after the scope ends. With a wider scope call ``server.reset()`` where a test needs a clean
panel (it forgets every object, session and fault).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .server import EmulatorServer


def emulator_fixture(
    scope: str = "function",
    *,
    name: str | None = None,
    **server_kwargs: Any,
) -> Callable[..., Any]:
    """Return a pytest fixture that yields a started :class:`EmulatorServer`.

    Keyword arguments go to :class:`EmulatorServer` (``admin``, ``tls``, ``seed``,
    ``faults``, ``state_path`` ...); ``port`` defaults to 0 (a free port).
    """
    server_kwargs.setdefault("port", 0)
    server_kwargs.setdefault("host", "127.0.0.1")

    def _fixture() -> Iterator[EmulatorServer]:
        server = EmulatorServer(**server_kwargs)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    return pytest.fixture(scope=scope, name=name)(_fixture)  # type: ignore[call-overload,no-any-return]


ispmanager_emulator = emulator_fixture(name="ispmanager_emulator")
"""A fresh emulator per test, admin ``root:secret``, plain HTTP."""

ispmanager_emulator_tls = emulator_fixture(name="ispmanager_emulator_tls", tls=True)
"""A fresh emulator per test serving HTTPS with a self-signed certificate."""


@pytest.fixture
def ispmanager_emulator_factory() -> Iterator[Callable[..., EmulatorServer]]:
    """Start any number of emulators with custom settings; all are stopped at teardown."""
    started: list[EmulatorServer] = []

    def make(**kwargs: Any) -> EmulatorServer:
        kwargs.setdefault("port", 0)
        server = EmulatorServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
