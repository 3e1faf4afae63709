"""The one HTTP seam to ispmanager: form POSTs to /ispmgr, JSON replies, errors made exceptions.

Passwords (authinfo, passwd) travel only in POST bodies, never in a URL, and never reach a log.
The panel answers API errors with HTTP 200 and an `error` element: every such answer raises.
"""

from __future__ import annotations

import hashlib
import json
import logging
import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import httpcore
import httpx

from moorage.modules.ispmanager import recording
from moorage.provisioning.interface import PERMANENT, TRANSIENT, UNKNOWN, ModuleError

log = logging.getLogger(__name__)

# Panel error types that retrying cannot fix.
# Failures in transit (not answers of the panel), which a read may simply repeat.
TRANSPORT_TYPES = {"timeout", "connect", "dropped", "http"}
PERMANENT_TYPES = {"auth", "access", "value", "missed", "exists", "limit", "xml", "notconfigured", "unknown"}


class FingerprintMismatch(httpx.TransportError):
    """The panel's certificate is not the pinned one; nothing was sent."""


def normalize_fingerprint(value: str) -> str:
    return value.replace(":", "").replace(" ", "").strip().lower()


class _PinningStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, fingerprint: str):
        self._inner = inner
        self._fingerprint = fingerprint

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.start_tls(ssl_context, server_hostname, timeout)
        der = stream.get_extra_info("ssl_object").getpeercert(True)
        seen = hashlib.sha256(der).hexdigest()
        if seen != self._fingerprint:
            stream.close()
            raise FingerprintMismatch(
                f"the panel's TLS certificate has fingerprint {seen}, not the pinned {self._fingerprint}"
            )
        return _PinningStream(stream, self._fingerprint)


class _PinningBackend(httpcore.NetworkBackend):
    """Checks the certificate right after the TLS handshake, before any request byte is written."""

    def __init__(self, fingerprint: str):
        self._inner = httpcore.SyncBackend()
        self._fingerprint = fingerprint

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # noqa: ANN001, ANN201
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _PinningStream(stream, self._fingerprint)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # noqa: ANN001, ANN201
        return self._inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@lru_cache(maxsize=1)
def _verifying_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds: once per process, not once per call.
    return ssl.create_default_context()


def _transport(verify_tls: bool, fingerprint: str) -> httpx.HTTPTransport:
    if not fingerprint:
        return httpx.HTTPTransport(verify=_verifying_context() if verify_tls else False, retries=0)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the pinned fingerprint is the trust anchor instead
    transport = httpx.HTTPTransport(verify=context, retries=0)
    # httpx has no public hook for the network backend; the pool it builds is replaced by one that
    # pins, with the same TLS context.
    transport._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=_PinningBackend(fingerprint))
    return transport


def value(field: Any) -> str:
    """The text of a JSON-mapped field: {"$": "x"} → "x"; {} (empty flag) → ""."""
    if isinstance(field, dict):
        return str(field.get("$", ""))
    if isinstance(field, list):
        return value(field[0]) if field else ""
    return "" if field is None else str(field)


def flat(elem: dict[str, Any]) -> dict[str, str]:
    """A list element or form doc as plain strings, without attributes and metadata."""
    return {k: value(v) for k, v in elem.items() if not k.startswith("$") and isinstance(v, dict | str | list)}


def raw_elems(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a list reply as given; a missing `elem` is an empty list, a lone object one row."""
    raw = doc.get("elem")
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [raw]
    return [e for e in raw if isinstance(e, dict)]


def elems(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of one list reply (one page) as plain strings."""
    return [flat(e) for e in raw_elems(doc)]


@lru_cache(maxsize=64)
def _shared_http(verify_tls: bool, fingerprint: str, timeout: float) -> httpx.Client:
    """One pooled HTTP client per TLS setting and timeout, reused by every call of this process.

    Credentials travel in each request's body, so sharing the pool between connections is safe.
    httpx.Client is thread-safe.
    """
    return httpx.Client(
        transport=_transport(verify_tls, fingerprint),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=False,
    )


Transport = httpx.BaseTransport  # what a module may be given instead of HTTP (replay tests)

# A real panel pages every list: `p_cnt` rows per page (1,000 unless asked), page `p_num` from 1.
PAGE_SIZE = 1000
MAX_PAGES = 10_000


@dataclass(frozen=True)
class Commit:
    """The reply to a form commit or group operation: success is the absence of `error`. A real panel
    may answer with an `id` (the new element's) and `messages` (the interface's texts) instead of
    `ok`; neither is an error."""

    id: str = ""
    ok: bool = False


class IspManagerClient:
    """Calls ispmanager functions with `authinfo` in the POST body and `out=json`."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        verify_tls: bool = True,
        tls_fingerprint: str = "",
        timeout: float = 30.0,
        lang: str = "",
        page_size: int = PAGE_SIZE,
        transport: httpx.BaseTransport | None = None,
    ):
        self.url = url
        self.username = username
        self._authinfo = f"{username}:{password}"
        self.lang = lang
        self.page_size = max(1, int(page_size))
        self.generation = ""  # set once known (stored on the connection, or detected)
        self._own_http = transport is not None
        if transport is not None:
            self._http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
        else:
            self._http = _shared_http(verify_tls, normalize_fingerprint(tls_fingerprint), float(timeout))

    def close(self) -> None:
        """The shared HTTP client (and its keep-alive connections) stays open for the process."""
        if self._own_http:
            self._http.close()

    def __enter__(self) -> IspManagerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    READ_TRIES = 3

    def call(self, func: str, params: dict[str, Any] | None = None, *, mutating: bool = False) -> dict[str, Any]:
        """Call `func`; return the reply's `doc`. Raise ModuleError on any failure.

        `mutating` says whether a lost reply may mean the change was applied (kind UNKNOWN). A read
        that failed in transit is tried again at once (reads change nothing); a change never is.
        """
        tries = 1 if mutating else self.READ_TRIES
        for attempt in range(1, tries + 1):
            try:
                return self._call_once(func, params, mutating=mutating)
            except ModuleError as exc:
                if exc.kind == PERMANENT or attempt == tries or exc.panel_type not in TRANSPORT_TYPES:
                    raise
        raise AssertionError("unreachable")

    def rows(self, func: str, params: dict[str, Any] | None = None) -> list[dict[str, str]]:
        """Every row of a list as plain strings, page after page (see `raw_rows`)."""
        return [flat(e) for e in self.raw_rows(func, params)]

    def raw_rows(self, func: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row of a list as the panel gives it, page after page (`p_cnt` rows each), until the
        panel's count (`p_elems`) is reached or a page comes back short. A row seen twice (the list
        changed between two pages) is kept once."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        previous: list[dict[str, Any]] | None = None
        for page in range(1, MAX_PAGES + 1):
            doc = self.call(func, {**(params or {}), "p_cnt": self.page_size, "p_num": page})
            got = raw_elems(doc)
            if previous is not None and got and got == previous:
                raise ModuleError(
                    f"{func}: the panel answered page {page} with page {page - 1} again; the list cannot be read whole",
                    kind=PERMANENT,
                    panel_type="format",
                )
            for row in got:
                ident = json.dumps(row, sort_keys=True, default=str)
                if ident not in seen:
                    seen.add(ident)
                    out.append(row)
            total = _count(doc.get("p_elems"))
            if len(got) < self.page_size or (total is not None and len(out) >= total):
                return out
            previous = got
        raise ModuleError(f"{func}: more than {MAX_PAGES} pages", kind=PERMANENT, panel_type="format")

    def commit(self, func: str, params: dict[str, Any] | None = None) -> Commit:
        """Send a change (never repeated); its reply as a Commit."""
        doc = self.call(func, params, mutating=True)
        return Commit(id=value(doc.get("id")), ok="ok" in doc)

    def _call_once(self, func: str, params: dict[str, Any] | None, *, mutating: bool) -> dict[str, Any]:
        body = {"func": func, "out": "json", "authinfo": self._authinfo}
        if self.lang:
            body["lang"] = self.lang
        for key, val in (params or {}).items():
            if val is None:
                continue
            body[key] = "on" if val is True else "off" if val is False else str(val)
        recorder = recording.current()
        try:
            response = self._post(func, body, mutating=mutating)
        except ModuleError as exc:
            if recorder is not None:
                recorder.add(body, None, None, lost=exc.panel_type or "lost")
            raise
        if recorder is not None:
            try:
                reply: Any = response.json()
            except ValueError:
                reply = response.text[:2000]
            recorder.add(body, response.status_code, reply)
        return self._doc(func, response, mutating=mutating)

    def _post(self, func: str, body: dict[str, str], *, mutating: bool) -> httpx.Response:
        lost = UNKNOWN if mutating else TRANSIENT
        try:
            return self._http.post(self.url, data=body)
        except FingerprintMismatch as exc:
            raise ModuleError(str(exc), kind=PERMANENT, panel_type="tls") from None
        except httpx.ConnectTimeout:
            raise ModuleError(f"timed out connecting to {self.url}", kind=TRANSIENT, panel_type="timeout") from None
        except httpx.ConnectError as exc:
            text = str(exc)
            if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
                raise ModuleError(
                    f"TLS verification failed for {self.url}: {text}", kind=PERMANENT, panel_type="tls"
                ) from None
            raise ModuleError(
                f"cannot connect to {self.url}: {text or 'connection refused'}", kind=TRANSIENT, panel_type="connect"
            ) from None
        except httpx.TimeoutException:
            raise ModuleError(f"{func}: the panel did not answer in time", kind=lost, panel_type="timeout") from None
        except httpx.TransportError as exc:
            raise ModuleError(
                f"{func}: the connection was dropped ({type(exc).__name__})", kind=lost, panel_type="dropped"
            ) from None

    def _doc(self, func: str, response: httpx.Response, *, mutating: bool) -> dict[str, Any]:
        lost = UNKNOWN if mutating else TRANSIENT
        if response.status_code >= 500:
            raise ModuleError(f"{func}: the panel answered HTTP {response.status_code}", kind=lost, panel_type="http")
        if response.status_code != 200:
            raise ModuleError(
                f"{func}: unexpected HTTP {response.status_code} from {self.url}", kind=PERMANENT, panel_type="http"
            )
        try:
            doc = response.json()["doc"]
        except (ValueError, KeyError, TypeError):
            raise ModuleError(
                f"{func}: the panel's reply is not ispmanager JSON (is the path right?)",
                kind=PERMANENT,
                panel_type="format",
            ) from None
        error = doc.get("error")
        if error:
            raise _panel_error(func, error)
        return doc


class ReplayTransport(httpx.BaseTransport):
    """Answers the module's requests with the recorded replies, one exchange per request, in order.

    A request must carry exactly the recorded parameters (masked values match anything); `out` is
    not compared. What was sent is kept in `sent`; `unused` tells which recorded exchanges were left.
    """

    IGNORED = {"out"}

    def __init__(self, exchanges: list[dict[str, Any]]):
        self.exchanges = list(exchanges)
        self.position = 0
        self.sent: list[dict[str, str]] = []

    @property
    def unused(self) -> list[dict[str, Any]]:
        return self.exchanges[self.position :]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        params = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        self.sent.append(params)
        if self.position >= len(self.exchanges):
            raise AssertionError(f"request {len(self.sent)} was not recorded: {recording.mask(params)}")
        expected = self.exchanges[self.position]
        self.position += 1
        problem = recording.request_difference(expected["request"], params, self.IGNORED)
        if problem:
            raise AssertionError(f"request {len(self.sent)} differs from the recording: {problem}")
        if expected.get("lost"):
            raise httpx.ReadTimeout("the recorded reply was lost", request=request)
        return httpx.Response(int(expected.get("status", 200)), json=expected.get("reply"), request=request)


def _count(field: Any) -> int | None:
    try:
        return int(value(field))
    except ValueError:
        return None


def _panel_error(func: str, error: dict[str, Any]) -> ModuleError:
    etype = str(error.get("$type", "")) or "unknown"
    obj = str(error.get("$object", ""))
    msg = value(error.get("msg")) or value(error.get("detail")) or f"{etype} {obj}".strip()
    params = error.get("param") or []
    if isinstance(params, dict):
        params = [params]
    for p in params:
        name = p.get("$name", "") if isinstance(p, dict) else ""
        msg = msg.replace(f"__{name}__", value(p))
    kind = PERMANENT if etype in PERMANENT_TYPES else TRANSIENT
    return ModuleError(
        f"{func}: {msg.strip()} ({etype}{'/' + obj if obj else ''})",
        kind=kind,
        panel_type=etype,
        panel_object=obj,
        panel_message=msg.strip(),
    )
