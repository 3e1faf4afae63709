"""Gateway module fixtures: the Stripe and PayPal stand-ins and gateways pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from moorage.gateways import paypal as paypal_module
from moorage.gateways.paypal import PayPalGateway
from moorage.gateways.stripe import StripeGateway
from moorage.payments.interface import CheckoutRequest
from paypal_standin import PayPalStandin
from stripe_standin.testing import stripe_standin  # noqa: F401  (a fresh stand-in per test)


def stripe_gateway_for(standin, **overrides) -> StripeGateway:  # noqa: ANN001
    config = {
        "secret_key": standin.secret_key,
        "publishable_key": standin.publishable_key,
        "webhook_secret": standin.webhook_secret,
        "api_base": standin.base_url,
    }
    config.update(overrides)
    gateway = StripeGateway(config)
    gateway.max_network_retries = 0  # fault tests see each failure; the retry test sets its own
    return gateway


@pytest.fixture
def stripe_gateway(stripe_standin) -> StripeGateway:  # noqa: ANN001, F811
    return stripe_gateway_for(stripe_standin)


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
