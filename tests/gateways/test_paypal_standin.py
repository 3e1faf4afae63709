"""The PayPal stand-in itself, over HTTP: OAuth, PayPal's error shape, idempotent capture, webhook delivery."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from paypal_standin import PayPalStandin, signed_message


@pytest.fixture
def api(standin: PayPalStandin):  # noqa: ANN201
    token = httpx.post(
        standin.base_url + "/v1/oauth2/token",
        auth=(standin.client_id, standin.client_secret),
        data={"grant_type": "client_credentials"},
    ).json()["access_token"]
    with httpx.Client(base_url=standin.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        yield http


ORDER = {
    "intent": "CAPTURE",
    "purchase_units": [{"custom_id": "ref-1", "amount": {"currency_code": "USD", "value": "10.00"}}],
    "payment_source": {
        "paypal": {"experience_context": {"return_url": "https://x.test/r", "cancel_url": "https://x.test/c"}}
    },
}


def test_oauth_token(standin):
    good = httpx.post(
        standin.base_url + "/v1/oauth2/token",
        auth=(standin.client_id, standin.client_secret),
        data={"grant_type": "client_credentials"},
    )
    assert good.status_code == 200
    assert good.json()["token_type"] == "Bearer"
    assert good.json()["expires_in"] == 32400
    bad = httpx.post(
        standin.base_url + "/v1/oauth2/token",
        auth=(standin.client_id, "nope"),
        data={"grant_type": "client_credentials"},
    )
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client"


def test_api_calls_need_a_token(standin):
    answer = httpx.post(standin.base_url + "/v2/checkout/orders", json=ORDER)
    assert answer.status_code == 401
    assert answer.json()["name"] == "AUTHENTICATION_FAILURE"


def test_errors_have_paypals_shape(api):
    missing = api.get("/v2/checkout/orders/NOSUCHORDER")
    assert missing.status_code == 404
    body = missing.json()
    assert body["name"] == "RESOURCE_NOT_FOUND"
    assert body["debug_id"]
    assert body["details"][0]["issue"] == "INVALID_RESOURCE_ID"
    precision = api.post(
        "/v2/checkout/orders",
        json={**ORDER, "purchase_units": [{"amount": {"currency_code": "JPY", "value": "10.50"}}]},
    )
    assert precision.status_code == 422
    assert precision.json()["name"] == "UNPROCESSABLE_ENTITY"
    assert precision.json()["details"][0]["issue"] == "DECIMAL_PRECISION"
    malformed = api.post("/v2/checkout/orders", content=b"{", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.json()["name"] == "INVALID_REQUEST"


def test_order_flow_and_idempotent_capture(standin, api):
    order = api.post("/v2/checkout/orders", json=ORDER).json()
    assert order["status"] == "PAYER_ACTION_REQUIRED"
    assert [link["rel"] for link in order["links"]] == ["self", "payer-action"]
    not_yet = api.post(f"/v2/checkout/orders/{order['id']}/capture")
    assert not_yet.json()["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    standin.approve(order["id"])
    assert api.get(f"/v2/checkout/orders/{order['id']}").json()["status"] == "APPROVED"
    first = api.post(f"/v2/checkout/orders/{order['id']}/capture", headers={"PayPal-Request-Id": "k1"})
    again = api.post(f"/v2/checkout/orders/{order['id']}/capture", headers={"PayPal-Request-Id": "k1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other_key = api.post(f"/v2/checkout/orders/{order['id']}/capture", headers={"PayPal-Request-Id": "k2"})
    assert other_key.json()["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"
    capture = first.json()["purchase_units"][0]["payments"]["captures"][0]
    assert capture["custom_id"] == "ref-1"
    assert api.get(f"/v2/payments/captures/{capture['id']}").json()["status"] == "COMPLETED"
    assert [e.event_type for e in standin.events] == ["CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED"]


def test_webhooks_are_signed_with_paypals_scheme(standin):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    event = standin.emit("PAYMENT.CAPTURE.COMPLETED", {"id": "C1"})
    body, headers = standin.webhook_request(event)
    assert headers["PAYPAL-AUTH-ALGO"] == "SHA256withRSA"
    cert = x509.load_pem_x509_certificate(httpx.get(headers["PAYPAL-CERT-URL"]).content)
    import base64

    cert.public_key().verify(
        base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"]),
        signed_message(
            headers["PAYPAL-TRANSMISSION-ID"], headers["PAYPAL-TRANSMISSION-TIME"], standin.webhook_id, body
        ),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert json.loads(body)["id"] == event.id
    # Each delivery is a new transmission of the same event.
    _body2, headers2 = standin.webhook_request(event)
    assert headers2["PAYPAL-TRANSMISSION-ID"] != headers["PAYPAL-TRANSMISSION-ID"]


def test_events_are_posted_to_the_webhook_url():
    received: list[tuple[bytes, dict[str, str]]] = []
    done = threading.Event()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            done.set()

        def log_message(self, *args: object) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/payments/webhooks/paypal/"
    try:
        with PayPalStandin(webhook_url=url) as standin:
            event = standin.emit("PAYMENT.CAPTURE.COMPLETED", {"id": "C1"})
            assert done.wait(10)
            assert received[0][0] == event.body
            assert received[0][1]["paypal-transmission-sig"]
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_command_line_help():
    result = subprocess.run(
        [sys.executable, "-m", "paypal_standin", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "--webhook-url" in result.stdout
