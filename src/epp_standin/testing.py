"""pytest helpers for other test packages: ``from epp_standin.testing import epp_server`` gives a
fresh started stand-in per test; `standin_fixture(scope=..., name=..., **kwargs)` builds other ones
(kwargs as for :class:`EppStandin`, e.g. ``transfer_mode="pending"`` or a fixed ``clock``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .server import EppStandin


def standin_fixture(scope: str = "function", *, name: str | None = None, **kwargs: Any) -> Callable[..., Any]:
    kwargs.setdefault("port", 0)
    kwargs.setdefault("host", "127.0.0.1")

    def _fixture() -> Iterator[EppStandin]:
        server = EppStandin(**kwargs).start()
        try:
            yield server
        finally:
            server.stop()

    return pytest.fixture(scope=scope, name=name)(_fixture)  # type: ignore[call-overload,no-any-return]


epp_server = standin_fixture(name="epp_server")


def module_settings(server: EppStandin, **overrides: Any) -> dict[str, Any]:
    """Settings for the `epp` registrar module pointed at `server` (trusting its throw-away CA)."""
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.port,
        "login": server.login,
        "password": server.password,
        "ca_file": server.ca_file,
        "timeout": 5,
    }
    settings.update(overrides)
    return settings
