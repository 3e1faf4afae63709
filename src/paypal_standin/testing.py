"""pytest helpers: ``pytest_plugins = ["paypal_standin.testing"]`` gives a fresh started stand-in per test
(`paypal_standin`); `standin_fixture(scope=..., **kwargs)` builds other ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .server import PayPalStandin


def standin_fixture(scope: str = "function", *, name: str | None = None, **kwargs: Any) -> Callable[..., Any]:
    kwargs.setdefault("port", 0)
    kwargs.setdefault("host", "127.0.0.1")

    def _fixture() -> Iterator[PayPalStandin]:
        server = PayPalStandin(**kwargs).start()
        try:
            yield server
        finally:
            server.stop()

    return pytest.fixture(scope=scope, name=name)(_fixture)  # type: ignore[call-overload,no-any-return]


paypal_standin = standin_fixture(name="paypal_standin")
