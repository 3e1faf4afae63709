"""HTTP(S) transport: a threading HTTP/1.1 server answering on /ispmgr and /manager/ispmgr,
plus :class:`EmulatorServer`, the handle used by the command line and by tests."""

from __future__ import annotations

import contextlib
import email.policy
import json
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable
from email.parser import BytesParser
from http.client import HTTPConnection, HTTPSConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import Emulator
from .faults import Faults
from .render import render
from .state import State

PATHS = ("/ispmgr", "/manager/ispmgr")
MAX_BODY = 16 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ihttpd"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are closed after this many seconds
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self._serve(path, query)

    def do_POST(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            self._plain(413, "Request Entity Too Large")
            return
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        extra: dict[str, str] = {}
        if raw and ctype.lower().startswith("multipart/form-data"):
            extra = _multipart(ctype, raw)
        elif raw and "json" not in ctype:
            body = raw.decode("utf-8", "replace")
            query = f"{query}&{body}" if query else body
        self._serve(path, query, extra)

    def do_HEAD(self) -> None:
        self._plain(405, "Method Not Allowed")

    def _plain(self, status: int, text: str) -> None:
        self._send(status, "text/plain; charset=UTF-8", (text + "\n").encode())

    def _send(self, status: int, ctype: str, body: bytes, extra: list[tuple[str, str]] | None = None) -> None:
        """Status line, headers and body in a single write (no Nagle / delayed-ACK stalls)."""
        self.log_request(status)
        reason = self.responses.get(status, ("",))[0]
        lines = [
            f"{self.protocol_version} {status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{name}: {value}" for name, value in extra or ()]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _fail(self, kind: str) -> None:
        if kind == "drop":
            self._drop()
        else:
            self._plain(500, "Internal Server Error")

    def _serve(self, path: str, query: str, extra: dict[str, str] | None = None) -> None:
        started = time.perf_counter()
        path = path.rstrip("/") or "/"
        if path not in PATHS:
            self._plain(404, "Not Found")
            return
        server = self.server
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if extra:
            params.update(extra)
        func = params.get("func", "")
        decision = server.faults.decide(func)
        if decision is not None:
            if decision.latency:
                time.sleep(decision.latency)
            if decision.before:
                self._fail(decision.before)
                return
        cookies: dict[str, str] = {}
        raw_cookie = self.headers.get("Cookie")
        if raw_cookie:
            for part in raw_cookie.split(";"):
                k, _, v = part.strip().partition("=")
                cookies[k] = v
        host_header = self.headers.get("Host") or f"127.0.0.1:{server.server_address[1]}"
        host = f"{'https' if server.ssl_context else 'http'}://{host_header}"
        doc, ctx = server.emulator.handle(
            params,
            self.client_address[0],
            cookies,
            host=host,
            binary=path,
            auth_broken=bool(decision and decision.auth_broken),
        )
        if decision is not None and decision.after:
            self._fail(decision.after)
            return
        body, ctype = render(doc, ctx)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        headers = [("X-Emulator-Time-Ms", f"{elapsed_ms:.3f}"), *doc.headers]
        self._send(doc.status, ctype, body, headers)


def _multipart(ctype: str, raw: bytes) -> dict[str, str]:
    """Fields of a multipart/form-data body (what curl sends for a PHP array)."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + raw
    )
    fields: dict[str, str] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            fields[name] = payload.decode(part.get_content_charset() or "utf-8", "replace")
    return fields


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        emulator: Emulator,
        faults: Faults,
        ssl_context: ssl.SSLContext | None,
        verbose: bool,
    ) -> None:
        self.emulator = emulator
        self.faults = faults
        self.ssl_context = ssl_context
        self.verbose = verbose
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        conn = request
        if self.ssl_context is not None:
            try:
                request.settimeout(30)
                conn = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        with self.connections_lock:
            self.connections.add(conn)
        try:
            self.RequestHandlerClass(conn, client_address, self)  # type: ignore[arg-type]
        except (ConnectionError, ssl.SSLError, TimeoutError):
            pass
        finally:
            with self.connections_lock:
                self.connections.discard(conn)
            if conn is not request:
                with contextlib.suppress(OSError):
                    conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def _parse_admins(admin: Any) -> dict[str, str]:
    if admin is None:
        return {"root": "secret"}
    if isinstance(admin, dict):
        return {str(k): str(v) for k, v in admin.items()}
    if isinstance(admin, str):
        name, _, password = admin.partition(":")
        return {name: password}
    if isinstance(admin, tuple) and len(admin) == 2 and all(isinstance(x, str) for x in admin):
        return {admin[0]: admin[1]}
    result: dict[str, str] = {}
    for item in admin:
        result.update(_parse_admins(item))
    return result


class EmulatorServer:
    """The ispmanager emulator running in a background thread (or in the foreground).

    ::

        srv = EmulatorServer(host="127.0.0.1", port=0, admin=("root", "secret"))
        srv.start()
        srv.url        # "http://127.0.0.1:PORT/ispmgr"
        srv.state.users["bob"]["limit_db"]
        srv.faults.set("user.edit", fail_rate=1.0, fail_kind="drop", times=1)
        srv.stop()
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        admin: Any = ("root", "secret"),
        state_path: str | None = None,
        *,
        tls: bool = False,
        certfile: str | None = None,
        keyfile: str | None = None,
        seed: int | None = None,
        faults: Iterable[tuple[str, dict[str, Any]]] | None = None,
        verbose: bool = False,
        version: int = 6,
        superusers: Iterable[str] | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.admins = _parse_admins(admin)
        self.state_path = state_path
        self.tls = tls or bool(certfile)
        self.certfile = certfile
        self.keyfile = keyfile
        self.verbose = verbose
        self.faults = Faults(seed)
        for target, settings in faults or ():
            self.faults.set(target, **settings)
        self.state = State(state_path)
        self.emulator = Emulator(self.state, self.admins, self.faults, version=version, superusers=superusers)
        self.version = version
        self.fingerprint: str | None = None
        self.cert_pem: bytes | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------
    def _bind(self) -> _HTTPServer:
        ssl_context = None
        if self.tls:
            from .tls import server_context

            ssl_context, self.fingerprint, self.cert_pem = server_context(self.host, self.certfile, self.keyfile)
        self._httpd = _HTTPServer(
            (self.host, self.requested_port), self.emulator, self.faults, ssl_context, self.verbose
        )
        return self._httpd

    def start(self) -> EmulatorServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        httpd = self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="ispmanager-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Bind (if needed) and serve in the calling thread until interrupted."""
        httpd = self._httpd or self._bind()
        try:
            httpd.serve_forever(poll_interval=0.25)
        finally:
            httpd.server_close()
            self.state.close()

    def stop(self) -> None:
        """Stop serving, close open connections and the state file."""
        httpd = self._httpd
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None
        self.state.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- addresses ----------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the emulator is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http(s)://host:port`` without a path."""
        host = self.host
        if host in ("0.0.0.0", ""):  # noqa: S104 - comparing, not binding
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The API endpoint, e.g. ``http://127.0.0.1:40123/ispmgr``."""
        return self.base_url + "/ispmgr"

    @property
    def admin(self) -> tuple[str, str]:
        name = next(iter(self.admins))
        return name, self.admins[name]

    @property
    def authinfo(self) -> str:
        name, password = self.admin
        return f"{name}:{password}"

    # -- test helpers ---------------------------------------------------------------
    def set_usage(
        self,
        user: str,
        quota_used: float | None = None,
        traff_used: float | None = None,
    ) -> None:
        """Set a user's disk (``quota_used``) and traffic usage in MiB."""
        with self.state.lock:
            record = self.state.users[user]
            usage = record.setdefault("usage", {})
            if quota_used is not None:
                usage["quota_used"] = _num(quota_used)
            if traff_used is not None:
                usage["traff_used"] = _num(traff_used)
            self.state.touch("users", user)
            self.state.flush()

    def set_db_size(self, db: str, size: float) -> None:
        """Set a database's size in MiB; ``db`` is its key (``name->MySQL``) or name."""
        with self.state.lock:
            key = db if db in self.state.dbs else next(k for k, r in self.state.dbs.items() if r["name"] == db)
            self.state.dbs[key]["size"] = _num(size)
            self.state.touch("dbs", key)
            self.state.flush()

    def set_mailbox_size(self, address: str, size: float) -> None:
        with self.state.lock:
            self.state.emails[address]["size_used"] = _num(size)
            self.state.touch("emails", address)
            self.state.flush()

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward (expire sessions / SSO keys without sleeping)."""
        self.state.advance_time(seconds)

    def reset(self) -> None:
        """Forget all objects, sessions and faults."""
        self.state.reset()
        self.faults.clear()

    def call(self, func: str, out: str = "json", auth: str | None = None, **params: Any) -> Any:
        """POST one API call as the first admin (or with ``auth=`` a session id) using only
        the standard library; returns parsed JSON for json/sjson/JSONdata, text otherwise."""
        fields = {"func": func, "out": out}
        if auth is None:
            fields["authinfo"] = self.authinfo
        else:
            fields["auth"] = auth
        fields.update({k: str(v) for k, v in params.items()})
        body = urllib.parse.urlencode(fields)
        conn: HTTPConnection
        if self.tls:
            conn = HTTPSConnection(
                "127.0.0.1",
                self.port,
                context=ssl._create_unverified_context(),  # noqa: S323 - self-signed, timeout=30
            )
        else:
            conn = HTTPConnection(
                "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host.strip("[]"),  # noqa: S104
                self.port,
                timeout=30,
            )
        try:
            conn.request("POST", "/ispmgr", body, {"Content-Type": "application/x-www-form-urlencoded"})
            resp = conn.getresponse()
            data = resp.read().decode("utf-8")
        finally:
            conn.close()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {data.strip()}")
        return json.loads(data) if out in ("json", "sjson", "JSONdata") else data


def _num(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"
