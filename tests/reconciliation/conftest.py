"""Fixtures for reconciliation: the emulator over HTTP and an ispmanager product."""

from __future__ import annotations

from tests.provisioning.conftest import ADMIN, connection, hosting, make_connection, panel  # noqa: F401

__all__ = ["ADMIN", "make_connection"]
