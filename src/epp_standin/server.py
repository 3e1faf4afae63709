"""The stand-in's TLS transport (RFC 5734) and :class:`EppStandin`, the handle tests and the CLI use."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from . import certs
from .protocol import HEADER, FrameError, frame, parse, read_frame
from .registry import DEFAULT_TLDS, Registry, Session, command_name, greeting

MAX_FRAME = 64 * 1024  # a client's command is small; anything larger is refused and the connection closed

# Faults a test arms for the next command of a given name: "login", "hello", "logout", a command of any
# object ("check", "create", "renew"…) or of one object ("domain:create", "contact:check"…):
FAULTS = {
    "drop": "close the connection without doing the command",
    "drop_after": "do the command, then close the connection without answering",
    "hang": "answer nothing and keep the connection open (the client's timeout ends it)",
    "oversize": "answer with a frame header claiming 2 GiB",
    "short": "answer with a frame header smaller than the header itself",
    "truncated": "answer half a frame, then close",
    "garbage": "answer a frame that is not XML",
    "drip": "answer one byte every 50 ms (a client's overall read deadline ends it)",
    "bomb": "answer an XML document with an entity-expansion DTD",
    "2400": "answer 2400 Command failed (without doing the command)",
    "2502": "answer 2502 Session limit exceeded; server closing connection, then close",
}
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE epp [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    b'<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response><result code="1000"><msg>&d;</msg></result>'
    b"</response></epp>"
)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        standin = self.server.standin
        try:
            conn = standin.context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            standin.log(f"TLS handshake failed: {error}")
            return
        standin._track(conn)
        try:
            self._serve(conn, standin)
        except (FrameError, ssl.SSLError, OSError) as error:
            standin.log(f"connection ended: {error}")
        finally:
            standin._untrack(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _serve(self, conn: ssl.SSLSocket, standin: EppStandin) -> None:
        conn.settimeout(standin.idle_timeout)
        registry = standin.registry
        conn.sendall(frame(greeting(registry, registry.clock())))
        session = Session(registry, login=standin.login, password=standin.password)
        while not session.closing:
            data = read_frame(conn, MAX_FRAME)
            try:
                root = parse(data)
            except Exception:  # noqa: BLE001 - any parse failure is the client's syntax error
                standin.log("unparsable command; closing")
                return
            fault = standin._take_fault(command_name(root))
            if fault == "drop":
                return
            if fault in ("2400", "2502"):
                conn.sendall(frame(session.error_reply(root, int(fault))))
                if fault == "2502":
                    return
                continue
            reply = session.handle(root)
            if fault is None:
                conn.sendall(frame(reply))
                continue
            if fault == "drop_after":
                return
            if fault == "hang":
                with contextlib.suppress(OSError, FrameError):
                    read_frame(conn, MAX_FRAME)  # until the client gives up and closes
                return
            if fault == "oversize":
                conn.sendall(HEADER.pack(0x7FFFFFFF) + b"<epp" * 256)
            elif fault == "short":
                conn.sendall(HEADER.pack(3))
            elif fault == "truncated":
                whole = frame(reply)
                conn.sendall(whole[: len(whole) // 2])
            elif fault == "drip":
                pause = threading.Event()
                for byte in frame(reply):
                    conn.sendall(bytes([byte]))
                    pause.wait(0.05)
            elif fault == "garbage":
                conn.sendall(frame(b"this is not XML at all <<<"))
            elif fault == "bomb":
                conn.sendall(frame(BOMB))
            return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], standin: EppStandin) -> None:
        self.standin = standin
        super().__init__(address, _Handler)


class EppStandin:
    """A small EPP server over TLS in a background thread.

    ::

        epp = EppStandin(login="moorage", password="s3cret-pw").start()
        epp.port, epp.ca_file                       # the module's port and CA file settings
        epp.client_cert, epp.client_key             # a client certificate (required with require_client_cert)
        epp.registry.domains["taken.test"].auth     # a known auth code for transfer tests
        epp.fail_next("domain:create", "drop_after")  # one-shot fault (see FAULTS)
        epp.stop()
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        login: str = "moorage",
        password: str = "standin-pw1",  # noqa: S107 - a stand-in's fixed test credential
        transfer_mode: str = "approve",
        require_client_cert: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
        tlds: tuple[str, ...] = DEFAULT_TLDS,
        offer: tuple[str, ...] | None = None,
        cert_dir: Path | None = None,
        idle_timeout: float = 60.0,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.login = login
        self.password = password
        self.require_client_cert = require_client_cert
        self.idle_timeout = idle_timeout
        self.verbose = verbose
        self.registry = Registry(clock=clock, tlds=tlds, transfer_mode=transfer_mode)
        if offer is not None:
            self.registry.offer = offer
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if cert_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="epp-standin-")
            cert_dir = Path(self._tmp.name)
        self.certs = certs.generate(cert_dir)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(self.certs.server_cert, self.certs.server_key)
        if require_client_cert:
            self.context.verify_mode = ssl.CERT_REQUIRED
            self.context.load_verify_locations(cafile=str(self.certs.ca_file))
        self._faults: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._connections: set[ssl.SSLSocket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> EppStandin:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="epp-standin", daemon=True
        )
        self._thread.start()
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
        server = self._server
        if server is not None:
            server.shutdown()
            server.server_close()
            with self._lock:
                for conn in list(self._connections):
                    with contextlib.suppress(OSError):
                        conn.shutdown(socket.SHUT_RDWR)
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EppStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a client needs -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        return int(self._server.server_address[1])

    @property
    def ca_file(self) -> str:
        return str(self.certs.ca_file)

    @property
    def client_cert(self) -> str:
        return str(self.certs.client_cert)

    @property
    def client_key(self) -> str:
        return str(self.certs.client_key)

    # -- faults ---------------------------------------------------------------------------------------
    def fail_next(self, command: str, fault: str) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        with self._lock:
            self._faults.setdefault(command, []).append(fault)

    def _take_fault(self, command: str) -> str | None:
        """The fault armed for "domain:create" (this object's command), else for "create" (any object's)."""
        with self._lock:
            for key in (command, command.rpartition(":")[2]):
                queue = self._faults.get(key)
                if queue:
                    return queue.pop(0)
            return None

    def _track(self, conn: ssl.SSLSocket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: ssl.SSLSocket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def log(self, message: str) -> None:
        if self.verbose:
            sys.stderr.write(f"epp-standin: {message}\n")
