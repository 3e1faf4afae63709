"""Fixtures for reconciliation: the emulator over HTTP, an ispmanager product, and the module's
reading hooks (until the lead binds them in the module class, they are bound here)."""

from __future__ import annotations

import pytest

from moorage.modules.ispmanager import reading
from moorage.modules.ispmanager.module import IspManagerModule
from moorage.provisioning.interface import ProvisioningModule
from tests.provisioning.conftest import ADMIN, connection, hosting, make_connection, panel  # noqa: F401


@pytest.fixture(autouse=True)
def _reading_hooks(monkeypatch):  # noqa: ANN001, ANN202
    for name in ("package_differences", "claim_account"):
        if getattr(IspManagerModule, name) is getattr(ProvisioningModule, name):
            monkeypatch.setattr(IspManagerModule, name, getattr(reading, name))


__all__ = ["ADMIN", "make_connection"]
