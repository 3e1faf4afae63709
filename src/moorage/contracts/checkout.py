"""Contracts at checkout: what the cart's products require the client to accept, and the record of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from moorage.catalog.models import Product
from moorage.customers.models import Client


def required(products: Iterable[Product]) -> list:
    """The contract versions the products require, each once (shown at checkout with a checkbox)."""
    return []


def record(
    *,
    client: Client,
    products: Iterable[Product],
    accepted: bool,
    order_id: int,
    ip_address: str | None,
    now: dt.datetime,
) -> None:
    """Inside checkout's transaction: refuse (DomainError, field "accept_contracts") when a required
    contract was not accepted; else store each acceptance with its exact version, time and IP."""
