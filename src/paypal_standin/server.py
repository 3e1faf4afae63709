"""HTTP transport of the PayPal stand-in, and :class:`PayPalStandin`, the handle tests and the CLI use."""

from __future__ import annotations

import contextlib
import queue
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import VAULT_ACTION, VAULT_DECLINE, VAULT_OK, Event, Fault, PayPal, Reply

MAX_BODY = 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "paypal-standin"
    sys_version = ""
    timeout = 60
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            self._send(Reply(413, b"Request Entity Too Large\n", "text/plain"))
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        paypal = self.server.paypal
        fault = paypal.take_fault(path)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "500":
            self._send(paypal._error(_server_error()))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = paypal.handle(method, path, query, headers, body)
        if fault is not None and fault.kind == "after":  # done, but the answer is lost
            self._send(paypal._error(_server_error()))
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.content_type.startswith("application/json"):
            self.send_header("Paypal-Debug-Id", "standin")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


def _server_error() -> Any:
    from .app import ApiError

    return ApiError(500, "INTERNAL_SERVER_ERROR")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], paypal: PayPal, verbose: bool) -> None:
        self.paypal = paypal
        self.verbose = verbose
        super().__init__(address, _Handler)


class PayPalStandin:
    """The PayPal stand-in in a background thread.

    ::

        pp = PayPalStandin(webhook_url="http://127.0.0.1:8000/payments/webhooks/paypal/").start()
        pp.base_url                    # API base for the module's "API base URL" setting
        pp.client_id, pp.client_secret, pp.webhook_id
        pp.approve(order_id)           # what "Pay now" on the approval page does
        body, headers = pp.webhook_request(pp.events[-1])   # a signed delivery, for a test client
        pp.stop()

    With `webhook_url` each new event is POSTed there from a delivery thread (`auto_deliver`);
    tests usually leave it unset and deliver events themselves, as often as they like.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "standin-client-id",
        client_secret: str = "standin-client-secret",  # noqa: S107 - a stand-in's fixed test credential
        webhook_id: str = "0STANDIN1WEBHOOK2",
        webhook_url: str | None = None,
        token_ttl: int = 32400,
        seed: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.webhook_url = webhook_url
        self.verbose = verbose
        self.paypal = PayPal(
            client_id=client_id, client_secret=client_secret, webhook_id=webhook_id, token_ttl=token_ttl, seed=seed
        )
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._outbox: queue.Queue[Event | None] = queue.Queue()
        self._delivery: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> PayPalStandin:
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer((self.host, self.requested_port), self.paypal, self.verbose)
        self.paypal.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="paypal-standin", daemon=True
        )
        self._thread.start()
        if self.webhook_url:
            self.paypal.on_event = self._outbox.put
            self._delivery = threading.Thread(target=self._deliver_loop, name="paypal-standin-webhooks", daemon=True)
            self._delivery.start()
        return self

    def serve_forever(self) -> None:
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        httpd = self._httpd
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._delivery is not None:
            self._outbox.put(None)
            self._delivery.join(timeout=5)
        self._httpd = self._thread = self._delivery = None

    def __enter__(self) -> PayPalStandin:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- addresses and credentials ------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the stand-in is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host  # noqa: S104 - comparing, not binding
        return f"http://{host}:{self.port}"

    @property
    def client_id(self) -> str:
        return self.paypal.client_id

    @property
    def client_secret(self) -> str:
        return self.paypal.client_secret

    @property
    def webhook_id(self) -> str:
        return self.paypal.webhook_id

    @property
    def events(self) -> list[Event]:
        return self.paypal.events

    # -- what a payer does --------------------------------------------------------------------------
    def approve(self, order_id: str, *, decline: bool = False) -> str:
        """Approve an order as "Pay now" does (or with a card that will be declined); returns the return URL."""
        return self.paypal.approve(order_id, decline=decline)

    def cancel(self, order_id: str) -> str:
        return self.paypal.cancel(order_id)

    def set_vault_behaviour(self, vault_id: str, behaviour: str) -> None:
        """How later charges of a vaulted wallet end: "ok", "decline" or "payer_action"."""
        if behaviour not in (VAULT_OK, VAULT_DECLINE, VAULT_ACTION):
            raise ValueError(behaviour)
        with self.paypal.lock:
            self.paypal.vault[vault_id]["behaviour"] = behaviour

    # -- faults and time ----------------------------------------------------------------------------
    def fail(self, path_contains: str, kind: str = "500", times: int = 1) -> None:
        """The next `times` requests whose path contains `path_contains` fail: "500", "drop" (no answer)
        or "after" (the request is carried out, then answered with 500)."""
        if kind not in ("500", "drop", "after"):
            raise ValueError(kind)
        with self.paypal.lock:
            self.paypal.faults.append(Fault(path_contains, kind, times))

    def advance_time(self, seconds: float) -> None:
        """Move the stand-in's clock on (expires access tokens without sleeping)."""
        with self.paypal.lock:
            self.paypal.time_offset += seconds

    # -- webhooks -----------------------------------------------------------------------------------
    def emit(self, event_type: str, resource: dict[str, Any], *, resource_type: str = "capture") -> Event:
        """Record (and with a webhook URL, send) an event of any type with any resource: for tests of
        events the stand-in's own flows do not produce, such as a capture of another amount."""
        with self.paypal.lock:
            return self.paypal._emit(event_type, resource_type, resource, f"{event_type} (stand-in)")

    def events_of(self, event_type: str) -> list[Event]:
        with self.paypal.lock:
            return [e for e in self.paypal.events if e.event_type == event_type]

    def webhook_request(self, event: Event | str, *, webhook_id: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and freshly signed headers of one delivery of `event` (an Event or its id)."""
        with self.paypal.lock:
            if isinstance(event, str):
                event = next(e for e in self.paypal.events if e.id == event)
            return event.body, self.paypal.signed_headers(event.body, webhook_id=webhook_id)

    def deliver(self, event: Event | str, url: str | None = None) -> int:
        """POST one signed delivery of `event` to `url` (default: the webhook URL); returns the HTTP status."""
        target = url or self.webhook_url
        if not target:
            raise RuntimeError("no webhook URL")
        if isinstance(event, str):
            with self.paypal.lock:
                event = next(e for e in self.paypal.events if e.id == event)
        body, headers = self.webhook_request(event)
        request = urllib.request.Request(target, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the configured URL
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError):
            status = 0
        event.deliveries.append(status)
        return status

    def _deliver_loop(self) -> None:
        while True:
            event = self._outbox.get()
            if event is None:
                return
            # PayPal retries a delivery that is not answered with 2xx; here a few times, quickly.
            for delay in (0.5, 2.0, 5.0, 0.0):
                if 200 <= self.deliver(event) < 300 or delay == 0.0:
                    break
                time.sleep(delay)
