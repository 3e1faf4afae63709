"""pytest helpers: ``pytest_plugins = ["stripe_standin.testing"]`` gives a fresh stand-in per test
(``stripe_standin``, webhooks kept for explicit delivery), or build one with :func:`standin_fixture`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .server import StripeStandin


def standin_fixture(scope: str = "function", *, name: str | None = None, **kwargs: Any) -> Callable[..., Any]:
    """A pytest fixture yielding a started :class:`StripeStandin` (keyword arguments go to it)."""
    kwargs.setdefault("port", 0)

    def _fixture() -> Iterator[StripeStandin]:
        standin = StripeStandin(**kwargs).start()
        try:
            yield standin
        finally:
            standin.stop()

    return pytest.fixture(scope=scope, name=name)(_fixture)  # type: ignore[call-overload,no-any-return]


stripe_standin = standin_fixture(name="stripe_standin", auto_deliver=False)
"""A fresh stand-in per test; events wait for ``deliver_pending()`` / ``deliver(id)``."""
