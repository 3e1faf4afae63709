"""HTTP transport (the API under /v1, the hosted page under /pay) and :class:`StripeStandin`, the
handle used by the command line, the demo and tests."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import pages
from .app import ApiError, Endpoint, Outcome, Stripe
from .forms import FormError, parse
from .webhooks import Delivery, post, signed_request

MAX_BODY = 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-standin"
    sys_version = ""
    timeout = 60
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.standin.verbose:
            sys.stderr.write(f"stripe-standin {self.address_string()} - {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path, _, query = self.path.partition("?")
        body = b""
        if method != "GET":
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0 or length > MAX_BODY:
                self._send(413, "text/plain", b"Request Entity Too Large\n")
                return
            body = self.rfile.read(length) if length else b""
        standin = self.server.standin
        try:
            if path.startswith("/v1/"):
                self._api(method, path, query, body)
            elif path.startswith("/pay/"):
                self._hosted_page(method, path, body)
            elif path == "/":
                self._send(200, "text/plain", b"Stripe stand-in: API under /v1, hosted checkout under /pay/<session>\n")
            else:
                self._send(404, "text/plain", b"Not Found\n")
        finally:
            standin._after_request()

    # -- the API ---------------------------------------------------------------------------------
    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        standin = self.server.standin
        fault = standin._take_fault()
        if fault is not None and fault[0] == "before":
            self._fault(fault[1])
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            params = parse(query if method == "GET" else body.decode("utf-8"))
        except (FormError, UnicodeDecodeError) as exc:
            self._json(400, {"error": {"type": "invalid_request_error", "message": str(exc)}}, [])
            return
        status, payload, extra = standin.stripe.handle(method, path, params, headers)
        if fault is not None:
            self._fault(fault[1])
            return
        self._json(status, payload, extra)

    def _fault(self, status: int) -> None:
        if status == 0:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._json(
            status, {"error": {"type": "api_error", "message": "An unknown error occurred (stand-in fault)."}}, []
        )

    def _json(self, status: int, payload: dict[str, Any], extra: list[tuple[str, str]]) -> None:
        self._send(status, "application/json", json.dumps(payload, indent=2).encode(), extra)

    # -- the hosted payment page -------------------------------------------------------------------
    def _hosted_page(self, method: str, path: str, body: bytes) -> None:
        standin = self.server.standin
        parts = [p for p in path.split("/") if p][1:]
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1] != "authenticate"):
            self._send(404, "text/html; charset=utf-8", pages.not_found())
            return
        session_id = parts[0]
        try:
            standin.stripe.session_view(session_id)
        except ApiError:  # an unknown session id
            self._send(404, "text/html; charset=utf-8", pages.not_found())
            return
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        outcome: Outcome
        if method == "GET":
            outcome = Outcome("form")
            view = standin.stripe.session_view(session_id)
            if view["status"] != "open":
                outcome = Outcome("closed")
            elif standin._requires_action(session_id):
                outcome = Outcome("authenticate")
        elif len(parts) == 2:
            outcome = standin.stripe.session_authenticate(session_id, approve=form.get("action") == "complete")
        else:
            outcome = standin.stripe.session_pay(
                session_id,
                number=form.get("card", ""),
                exp=form.get("exp", ""),
                cvc=form.get("cvc", ""),
                name=form.get("name", ""),
            )
        if outcome.kind == "redirect":
            self._send(303, "text/plain", b"", [("Location", outcome.location)])
            return
        view = standin.stripe.session_view(session_id)
        if outcome.kind == "authenticate":
            html = pages.authenticate_page(view)
        elif outcome.kind == "closed":
            html = pages.closed_page(view)
        else:
            html = pages.card_form(view, outcome.error)
        self._send(200, "text/html; charset=utf-8", html)

    def _send(self, status: int, ctype: str, body: bytes, extra: list[tuple[str, str]] | None = None) -> None:
        # Events this request raised are queued before the answer leaves, as Stripe has them on record
        # by the time the client sees the result.
        self.server.standin._after_request()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra or ():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], standin: StripeStandin) -> None:
        self.standin = standin
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.standin.verbose:
            super().handle_error(request, client_address)


class StripeStandin:
    """The Stripe stand-in serving in a background thread (or in the foreground)::

        standin = StripeStandin(port=0, webhook_url="http://127.0.0.1:8000/payments/webhooks/stripe/")
        standin.start()
        standin.base_url          # give it to stripe.StripeClient(base_addresses={"api": ...})
        standin.pay(session_id)   # what the hosted page does with card 4242 4242 4242 4242
        standin.deliveries        # every webhook attempt
        standin.stop()

    With ``auto_deliver`` (the default) events are POSTed to ``webhook_url`` by a background thread as
    they happen, retried a few times; without it they wait in the outbox until ``deliver_pending()``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        secret_key: str = "sk_test_standin",  # noqa: S107 - the stand-in's own test key
        publishable_key: str = "",
        webhook_url: str = "",
        webhook_secret: str = "whsec_standin",  # noqa: S107 - a test endpoint's secret
        enabled_events: list[str] | None = None,
        auto_deliver: bool = True,
        delivery_attempts: int = 3,
        public_url: str = "",
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.stripe = Stripe(secret_key, publishable_key)
        self.endpoint = Endpoint(webhook_url, webhook_secret, enabled_events or ["*"])
        self.auto_deliver = auto_deliver
        self.delivery_attempts = max(1, delivery_attempts)
        self.public_url = public_url
        self.verbose = verbose
        self.deliveries: list[Delivery] = []
        self._deliveries_lock = threading.Lock()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._httpd: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # -- settings ---------------------------------------------------------------------------------
    @property
    def secret_key(self) -> str:
        return self.stripe.secret_key

    @property
    def publishable_key(self) -> str:
        return self.stripe.publishable_key

    @property
    def webhook_url(self) -> str:
        return self.endpoint.url

    @webhook_url.setter
    def webhook_url(self, url: str) -> None:
        self.endpoint.url = url

    @property
    def webhook_secret(self) -> str:
        return self.endpoint.secret

    # -- lifecycle ----------------------------------------------------------------------------------
    def _bind(self) -> _HTTPServer:
        self._httpd = _HTTPServer((self.host, self.requested_port), self)
        self.stripe.public_url = self.public_url or self.base_url
        return self._httpd

    def start(self) -> StripeStandin:
        if self._httpd is not None:
            return self
        httpd = self._bind()
        server = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="stripe-standin", daemon=True
        )
        worker = threading.Thread(target=self._deliver_worker, name="stripe-standin-webhooks", daemon=True)
        self._threads = [server, worker]
        for thread in self._threads:
            thread.start()
        return self

    def serve_forever(self) -> None:
        httpd = self._httpd or self._bind()
        worker = threading.Thread(target=self._deliver_worker, name="stripe-standin-webhooks", daemon=True)
        worker.start()
        try:
            httpd.serve_forever(poll_interval=0.25)
        finally:
            httpd.server_close()
            self._queue.put(None)

    def stop(self) -> None:
        httpd = self._httpd
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        self._httpd = None
        self._threads = []

    def __enter__(self) -> StripeStandin:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the Stripe stand-in is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://host:port``: the API base for the SDK (`base_addresses={"api": base_url}`)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104 - comparing
        return f"http://{host}:{self.port}"

    def pay_url(self, session_id: str) -> str:
        return f"{self.stripe.public_url}/pay/{session_id}"

    # -- webhooks ---------------------------------------------------------------------------------------
    @property
    def events(self) -> list[dict[str, Any]]:
        with self.stripe.lock:
            return list(self.stripe.events)

    def events_of(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == event_type]

    def signed_webhook(
        self, event_id: str, *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The exact body and headers a delivery of this event carries (for posting it yourself)."""
        with self.stripe.lock:
            event = self.stripe.get(event_id, "event")
            return signed_request(
                self.stripe.public(event),
                self.endpoint.secret if secret is None else secret,
                self.stripe.now() if timestamp is None else timestamp,
            )

    def deliver(self, event_id: str, *, timestamp: int | None = None, secret: str | None = None) -> Delivery:
        """POST this event to the webhook URL now (again, if it was already sent: a replay)."""
        if not self.endpoint.url:
            raise RuntimeError("no webhook URL configured")
        body, headers = self.signed_webhook(event_id, timestamp=timestamp, secret=secret)
        status, text = post(self.endpoint.url, body, headers)
        event_type = json.loads(body)["type"]
        delivery = Delivery(event_id, event_type, self.endpoint.url, status, text)
        with self._deliveries_lock:
            self.deliveries.append(delivery)
        return delivery

    replay = deliver

    def deliver_pending(self) -> list[Delivery]:
        """Deliver, in order, the events raised since the last delivery (for ``auto_deliver=False``)."""
        return [self.deliver(event_id) for event_id in self._wanted(self.stripe.drain())]

    def wait_for_deliveries(self, timeout: float = 15.0) -> bool:
        """Block until the background worker has handled every queued event (True) or timeout."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def _wanted(self, event_ids: list[str]) -> list[str]:
        with self.stripe.lock:
            return [i for i in event_ids if self.endpoint.wants(self.stripe.objects[i]["type"])]

    def _after_request(self) -> None:
        if self.auto_deliver and self.endpoint.url:
            for event_id in self._wanted(self.stripe.drain()):
                self._queue.put(event_id)

    def _deliver_worker(self) -> None:
        while True:
            event_id = self._queue.get()
            try:
                if event_id is None:
                    return
                for attempt in range(self.delivery_attempts):
                    if self.deliver(event_id).status // 100 == 2:
                        break
                    if attempt + 1 < self.delivery_attempts:
                        threading.Event().wait(0.5 * 2**attempt)  # Stripe backs off before retrying
            except Exception:  # noqa: BLE001 - a worker must survive anything an endpoint does
                if self.verbose:
                    import traceback

                    traceback.print_exc()
            finally:
                self._queue.task_done()

    # -- test helpers ---------------------------------------------------------------------------------
    def pay(self, session_id: str, card: str = "4242424242424242", *, authenticate: bool | None = True) -> Outcome:
        """Do what the client does on the hosted page: submit the card, then pass (or fail, or leave
        pending with ``authenticate=None``) 3-D Secure if the card asks for it."""
        outcome = self.stripe.session_pay(session_id, number=card, exp="12/34", cvc="123", name="Test Client")
        if outcome.kind == "authenticate" and authenticate is not None:
            outcome = self.stripe.session_authenticate(session_id, approve=authenticate)
        self._after_request()
        return outcome

    def set_card_behaviour(self, payment_method_id: str, behaviour: str, decline_code: str = "generic_decline") -> None:
        """Make a saved card "succeed", "decline" (with a decline code) or need authentication ("3ds_always")."""
        self.stripe.set_card_behaviour(payment_method_id, behaviour, decline_code)

    def inject_fault(self, status: int = 500, *, after: bool = False, times: int = 1) -> None:
        """The next `times` API requests fail with HTTP `status` (0 = the connection is dropped);
        with ``after`` the request is applied first and only its answer is lost."""
        with self.stripe.lock:
            self.stripe.faults.extend([("after" if after else "before", status)] * times)

    def _take_fault(self) -> tuple[str, int] | None:
        with self.stripe.lock:
            return self.stripe.faults.pop(0) if self.stripe.faults else None

    def _requires_action(self, session_id: str) -> bool:
        with self.stripe.lock:
            session = self.stripe.objects[session_id]
            pi = self.stripe.objects.get(session["payment_intent"] or "")
            return bool(pi and pi["status"] == "requires_action")

    def advance_time(self, seconds: int) -> None:
        self.stripe.advance_time(seconds)

    def reset(self) -> None:
        """Forget every object, event, fault and delivery."""
        self.stripe.reset()
        with self._deliveries_lock:
            self.deliveries.clear()
