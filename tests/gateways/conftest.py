"""Fixtures for the PayPal gateway module: a fresh stand-in per test and a module configured for it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from moorage.gateways import paypal as paypal_module
from moorage.gateways.paypal import PayPalGateway
from moorage.payments.interface import CheckoutRequest
from paypal_standin import PayPalStandin


@pytest.fixture
def standin() -> Iterator[PayPalStandin]:
    server = PayPalStandin(port=0).start()
    # Tokens and certificates are cached per process; a new stand-in may reuse a port.
    paypal_module._tokens.clear()
    paypal_module._certs.clear()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gateway(standin: PayPalStandin) -> PayPalGateway:
    return PayPalGateway(
        {
            "client_id": standin.client_id,
            "client_secret": standin.client_secret,
            "webhook_id": standin.webhook_id,
            "mode": "sandbox",
            "api_base_url": standin.base_url,
        }
    )


def checkout_request(reference: str = "pay-0001", **overrides: object) -> CheckoutRequest:
    values: dict[str, object] = {
        "reference": reference,
        "invoice_id": 7,
        "invoice_number": "INV-2026-0007",
        "description": "Invoice INV-2026-0007",
        "amount": Decimal("12.50"),
        "currency": "EUR",
        "client_id": 3,
        "client_email": "client@example.com",
        "client_name": "Ann Client",
        "language": "en",
        "return_url": "https://billing.example.com/pay/return/pay-0001/",
        "cancel_url": "https://billing.example.com/pay/cancel/pay-0001/",
    }
    values.update(overrides)
    return CheckoutRequest(**values)  # type: ignore[arg-type]
