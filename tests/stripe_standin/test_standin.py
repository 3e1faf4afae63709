"""The Stripe stand-in on its own: the hosted page over HTTP, webhook delivery and signing, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from stripe_standin import StripeStandin, signature_header
from stripe_standin.forms import parse
from stripe_standin.testing import stripe_standin  # noqa: F401


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(url: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with _opener.open(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def client(standin: StripeStandin) -> stripe.StripeClient:
    return stripe.StripeClient(standin.secret_key, base_addresses={"api": standin.base_url}, max_network_retries=0)


def new_session(standin: StripeStandin, **extra) -> str:  # noqa: ANN003
    params = {
        "mode": "payment",
        "success_url": "http://shop.test/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cancel",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {"currency": "eur", "unit_amount": 995, "product_data": {"name": "Invoice <b>7</b>"}},
            }
        ],
        "customer_email": "ada@example.com",
        **extra,
    }
    return client(standin).v1.checkout.sessions.create(params=params).id


def test_stripe_form_encoding_is_decoded() -> None:
    assert parse("a[b][0][c]=1&a[b][1][c]=2&expand[]=x&expand[]=y&k=v") == {
        "a": {"b": [{"c": "1"}, {"c": "2"}]},
        "expand": ["x", "y"],
        "k": "v",
    }


def test_the_hosted_page_takes_a_card_and_redirects(stripe_standin) -> None:  # noqa: ANN001, F811
    session_id = new_session(stripe_standin)
    status, _, html = http(stripe_standin.pay_url(session_id))
    assert status == 200
    assert "9.95 EUR" in html
    assert "Invoice &lt;b&gt;7&lt;/b&gt;" in html  # names are escaped
    assert 'name="card"' in html or "name='card'" in html

    status, headers, _ = http(
        stripe_standin.pay_url(session_id), {"card": "4242 4242 4242 4242", "exp": "12/34", "cvc": "123"}
    )
    assert status == 303
    assert headers["Location"] == f"http://shop.test/done?session={session_id}"
    # Paid once: the page now says so instead of taking another card.
    status, _, html = http(stripe_standin.pay_url(session_id), {"card": "4242424242424242", "exp": "12/34", "cvc": "1"})
    assert "already complete" in html
    assert [e["type"] for e in stripe_standin.events] == ["payment_intent.succeeded", "checkout.session.completed"]


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"card": "4000000000000002", "exp": "12/34", "cvc": "123"}, "Your card was declined."),
        ({"card": "4242424242424241", "exp": "12/34", "cvc": "123"}, "Your card number is incorrect."),
        ({"card": "4242424242424242", "exp": "13/34", "cvc": "123"}, "expiration date is incomplete"),
        ({"card": "4242424242424242", "exp": "01/20", "cvc": "123"}, "expiration year is in the past"),
        ({"card": "4242424242424242", "exp": "12/34", "cvc": "1"}, "security code is incomplete"),
    ],
)
def test_the_hosted_page_refuses_bad_cards(stripe_standin, form, error) -> None:  # noqa: ANN001, F811
    session_id = new_session(stripe_standin)
    status, _, html = http(stripe_standin.pay_url(session_id), form)
    assert status == 200
    assert error in html.replace("&#x27;", "'")
    assert stripe_standin.stripe.objects[session_id]["status"] == "open"


def test_the_hosted_page_asks_for_3d_secure(stripe_standin) -> None:  # noqa: ANN001, F811
    session_id = new_session(stripe_standin)
    _, _, html = http(stripe_standin.pay_url(session_id), {"card": "4000002500003155", "exp": "12/34", "cvc": "123"})
    assert "3-D Secure" in html
    _, _, html = http(stripe_standin.pay_url(session_id))  # reloading shows the same step
    assert "Complete authentication" in html
    status, headers, _ = http(stripe_standin.pay_url(session_id) + "/authenticate", {"action": "complete"})
    assert (status, headers["Location"]) == (303, f"http://shop.test/done?session={session_id}")


def test_an_unknown_session_page_is_404(stripe_standin) -> None:  # noqa: ANN001, F811
    assert http(stripe_standin.pay_url("cs_test_nope"))[0] == 404


def test_api_errors_look_like_stripes(stripe_standin) -> None:  # noqa: ANN001, F811
    status, _, body = http(stripe_standin.base_url + "/v1/customers", {})
    assert status == 401
    assert json.loads(body)["error"]["type"] == "invalid_request_error"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client(stripe_standin).v1.payment_intents.retrieve("pi_missing")
    assert (info.value.http_status, info.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.IdempotencyError):
        for amount in (100, 200):
            client(stripe_standin).v1.payment_intents.create(
                params={"amount": amount, "currency": "usd"}, options={"idempotency_key": "same"}
            )


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]] = []
    answer = 200

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(type(self).answer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def receiver():  # noqa: ANN201
    _Receiver.received = []
    _Receiver.answer = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_events_are_delivered_signed_as_they_happen(receiver) -> None:  # noqa: ANN001
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with StripeStandin(webhook_url=url, webhook_secret="whsec_abc") as standin:
        session_id = new_session(standin)
        http(standin.pay_url(session_id), {"card": "4242424242424242", "exp": "12/34", "cvc": "123"})
        assert standin.wait_for_deliveries()
        types = []
        for body, signature in _Receiver.received:
            event = stripe.Webhook.construct_event(body, signature, "whsec_abc")  # the SDK's own check
            types.append(event.type)
        assert types == ["payment_intent.succeeded", "checkout.session.completed"]
        assert [d.status for d in standin.deliveries] == [200, 200]

        # An explicit replay sends the same event again, freshly signed.
        replay = standin.replay(standin.events[-1]["id"])
        assert replay.status == 200
        assert json.loads(_Receiver.received[-1][0])["id"] == standin.events[-1]["id"]


def test_a_failing_endpoint_gets_the_event_again(receiver) -> None:  # noqa: ANN001
    _Receiver.answer = 500
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with StripeStandin(webhook_url=url, enabled_events=["checkout.session.completed"], delivery_attempts=2) as standin:
        standin.pay(new_session(standin))
        assert standin.wait_for_deliveries()
        assert [(d.event_type, d.status) for d in standin.deliveries] == [("checkout.session.completed", 500)] * 2


def test_the_signature_is_stripes_scheme() -> None:
    header = signature_header(b'{"id": "evt_1"}', "whsec_x", 1700000000)
    assert header == stripe.WebhookSignature.generate_signature_header('{"id": "evt_1"}', "whsec_x", 1700000000)


def test_the_command_line_serves_the_api() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "stripe_standin", "--port", "0", "--secret-key", "sk_test_cli"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        base = line.split("listening on ")[1].split()[0]
        cli = stripe.StripeClient("sk_test_cli", base_addresses={"api": base}, max_network_retries=0)
        assert cli.v1.customers.create(params={"email": "a@example.com"}).email == "a@example.com"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_unknown_parameters_are_refused_like_stripe_does(stripe_standin) -> None:  # noqa: ANN001, F811
    with pytest.raises(stripe.InvalidRequestError) as info:
        client(stripe_standin).v1.customers.create(params={"emial": "typo@example.com"})
    assert (info.value.http_status, info.value.code, info.value.param) == (400, "parameter_unknown", "emial")
