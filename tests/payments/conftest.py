import pytest

from moorage.payments import registry
from moorage.payments.models import GatewayConfig
from tests.payments import fake_gateway


@pytest.fixture
def fake(db, settings):  # noqa: ANN001, ANN201
    """The fake card gateway registered and enabled, with a fresh provider."""
    settings.MOORAGE_SITE_URL = "https://billing.example.com"
    fake_gateway.provider.__init__()
    registry.register_module(fake_gateway.FakeGateway)
    config = GatewayConfig(code="fake", enabled=True)
    config.set_settings({"api_key": "sk_test", "webhook_secret": fake_gateway.SECRET})
    config.save()
    yield fake_gateway.FakeGateway(config.get_settings())
    registry.unregister_module("fake")
