"""Gateway module fixtures: the Stripe stand-in and a Stripe gateway pointed at it."""

from __future__ import annotations

import pytest

from moorage.gateways.stripe import StripeGateway
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
