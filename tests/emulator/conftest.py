"""Fixtures for the ispmanager emulator tests (plain pytest; no Django, no database)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import httpx
import pytest

try:  # the package is importable once it is installed; otherwise use the source tree
    import ispmanager_emulator  # noqa: F401
except ImportError:  # pragma: no cover - depends on how the tests are run
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))

from ispmanager_emulator import EmulatorServer  # noqa: E402

from .helpers import ADMIN, Api  # noqa: E402


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    server = EmulatorServer(host="127.0.0.1", port=0, admin=ADMIN, seed=1234)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def http(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def api(http: httpx.Client) -> Api:
    return Api(http)
