"""The demo starts the PayPal stand-in and turns the PayPal gateway on, pointed at it."""

from __future__ import annotations

import httpx
import pytest

from moorage.operations import demo
from moorage.payments import registry


@pytest.mark.django_db
def test_the_demo_wires_the_paypal_standin_in():
    info = demo.load_demo_data(staff_password="demo-staff-pass", site_url="http://127.0.0.1:8000")
    try:
        standin = demo._standins[-1]
        assert info["paypal_url"] == standin.base_url
        assert standin.webhook_url == "http://127.0.0.1:8000/payments/webhooks/paypal/"
        module = registry.gateway("paypal")  # enabled
        assert module.setting("api_base_url") == standin.base_url
        token = module._token()
        assert token
        answer = httpx.get(standin.base_url + "/v2/checkout/orders/NONE", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 404
    finally:
        for standin in demo._standins:
            standin.stop()
        demo._standins.clear()


@pytest.mark.django_db
def test_setup_only_starts_no_standin():
    info = demo.load_demo_data(staff_password="demo-staff-pass")
    assert "paypal_url" not in info
    assert demo._standins == []
