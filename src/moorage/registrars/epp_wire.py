"""EPP on the wire for the EPP registrar module: TLS connection and RFC 5734 framing, the XML of
commands and responses (RFC 5730), and the mapping of result codes to RegistrarError kinds.

Nothing here knows Moorage's models; `epp.py` builds the domain, contact and host commands on it.
Responses are parsed with defusedxml (no DTD, no entities) and a frame is never read past
`max_frame` bytes, so a hostile or broken server costs at most one bounded buffer.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import socket
import ssl
import struct
import time
import xml.etree.ElementTree as ET  # noqa: S405 - building only; parsing goes through defusedxml
from collections.abc import Iterable
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from moorage.domains.registrar import PERMANENT, TEMPORARY, RegistrarError

logger = logging.getLogger("moorage.registrars.epp")

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
HOST = "urn:ietf:params:xml:ns:host-1.0"

# EPP as the default namespace (attributes such as code="1000" stay unqualified, which
# ElementTree's default_namespace option would refuse); the object namespaces with their usual prefixes.
for _prefix, _uri in (("", EPP), ("domain", DOMAIN), ("contact", CONTACT), ("host", HOST)):
    ET.register_namespace(_prefix, _uri)

HEADER = struct.Struct(">I")
MAX_FRAME = 1024 * 1024  # no registry answer to these commands comes near 1 MiB

# Result codes (RFC 5730 section 3) a retry cannot fix: the name is taken, the object unknown, the
# auth code wrong, the registry's policy says no... Every other 2xxx below 2400 is a request the
# registry refused as written, also permanent. 2104 (billing failure: the registrar account is out
# of funds) and the 2400/2500 series (command failed, server closing connection) are temporary.
TEMPORARY_CODES = frozenset({2104})
OK_CODES = frozenset({1000, 1001})


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def sub(parent: ET.Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, q(ns, tag), attrs)
    if text is not None:
        child.text = text
    return child


def text_of(parent: ET.Element | None, ns: str, tag: str) -> str:
    if parent is None:
        return ""
    child = parent.find(q(ns, tag))
    return (child.text or "").strip() if child is not None else ""


_PW = re.compile(r"(<(?:[\w.-]+:)?(?:pw|newPW)\b[^>]*>)(.*?)(</)", re.DOTALL)


def redact(document: str, hidden: Iterable[str] = ()) -> str:
    """The document with every password and auth code replaced by ***, for logs and messages."""
    document = _PW.sub(r"\1***\3", document)
    for value in hidden:
        if value:
            document = document.replace(value, "***")
    return document


def new_auth_code(length: int = 16) -> str:
    """A random auth code most registries accept: 16 characters with upper and lower case letters,
    digits and one of a few punctuation marks (Verisign-style rules ask for all four kinds)."""
    upper, lower, digits, marks = "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "+-=_!@#%"
    pool = upper + lower + digits
    chars = [secrets.choice(upper), secrets.choice(lower), secrets.choice(digits), secrets.choice(marks)]
    chars += [secrets.choice(pool) for _ in range(length - len(chars))]
    for i in range(len(chars) - 1, 0, -1):  # Fisher-Yates with the secrets generator
        j = secrets.randbelow(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


@dataclass(frozen=True)
class Greeting:
    server_id: str
    versions: tuple[str, ...]
    langs: tuple[str, ...]
    obj_uris: tuple[str, ...]
    ext_uris: tuple[str, ...]


@dataclass(frozen=True)
class Response:
    code: int
    message: str
    reason: str = ""
    res_data: ET.Element | None = None
    cltrid: str = ""
    svtrid: str = ""

    @property
    def ok(self) -> bool:
        return self.code in OK_CODES

    def data(self, ns: str, tag: str) -> ET.Element | None:
        if self.res_data is None:
            return None
        return self.res_data.find(q(ns, tag))


def error_kind(code: int) -> str:
    if code in TEMPORARY_CODES or code >= 2400:
        return TEMPORARY
    return PERMANENT


def parse_document(data: bytes) -> ET.Element:
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as error:
        raise RegistrarError(
            f"the EPP server sent a document that is not acceptable XML ({type(error).__name__})",
            kind=TEMPORARY,
            code="protocol",
        ) from None
    if root.tag != q(EPP, "epp") or len(root) != 1:
        raise RegistrarError("the EPP server sent something that is not an EPP document", code="protocol")
    return root[0]  # type: ignore[no-any-return]


def parse_greeting(element: ET.Element) -> Greeting:
    if element.tag != q(EPP, "greeting"):
        raise RegistrarError("the EPP server did not greet", code="protocol")
    menu = element.find(q(EPP, "svcMenu"))
    if menu is None:
        raise RegistrarError("the EPP greeting has no service menu", code="protocol")

    def texts(parent: ET.Element, tag: str) -> tuple[str, ...]:
        return tuple((e.text or "").strip() for e in parent.iter(q(EPP, tag)) if (e.text or "").strip())

    return Greeting(
        server_id=text_of(element, EPP, "svID"),
        versions=texts(menu, "version"),
        langs=texts(menu, "lang"),
        obj_uris=texts(menu, "objURI"),
        ext_uris=texts(menu, "extURI"),
    )


def parse_response(element: ET.Element) -> Response:
    if element.tag != q(EPP, "response"):
        raise RegistrarError("the EPP server did not answer with a response", code="protocol")
    result = element.find(q(EPP, "result"))
    if result is None:
        raise RegistrarError("the EPP response has no result", code="protocol")
    try:
        code = int(result.get("code", ""))
    except ValueError:
        raise RegistrarError("the EPP result code is not a number", code="protocol") from None
    if not 1000 <= code <= 2599:
        raise RegistrarError(f"the EPP result code {code} is out of range", code="protocol")
    reasons = [(e.text or "").strip() for e in element.iter(q(EPP, "reason")) if (e.text or "").strip()]
    tr = element.find(q(EPP, "trID"))
    return Response(
        code=code,
        message=text_of(result, EPP, "msg"),
        reason="; ".join(reasons),
        res_data=element.find(q(EPP, "resData")),
        cltrid=text_of(tr, EPP, "clTRID"),
        svtrid=text_of(tr, EPP, "svTRID"),
    )


def document(child: ET.Element) -> bytes:
    root = ET.Element(q(EPP, "epp"))
    root.append(child)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)  # type: ignore[no-any-return]


class Connection:
    """One TLS connection: the greeting on connect, then one response per command (RFC 5734)."""

    def __init__(
        self, host: str, port: int, context: ssl.SSLContext, timeout: float, max_frame: int | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.context = context
        self.timeout = timeout
        self.max_frame = max_frame or MAX_FRAME
        self.sock: ssl.SSLSocket | None = None
        self.broken = False

    def open(self) -> bytes:
        try:
            raw = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except TimeoutError:
            raise self._fail(f"connecting to {self.host}:{self.port} timed out", "timeout") from None
        except OSError as error:
            raise self._fail(
                f"cannot connect to {self.host}:{self.port}: {error.strerror or error}", "connection"
            ) from None
        try:
            self.sock = self.context.wrap_socket(raw, server_hostname=self.host)
        except ssl.SSLCertVerificationError as error:
            raw.close()
            raise self._fail(f"the EPP server's certificate is not trusted: {error.verify_message}", "tls") from None
        except (ssl.SSLError, OSError) as error:
            raw.close()
            raise self._fail(f"TLS with {self.host}:{self.port} failed: {error}", "tls") from None
        return self.read_frame()

    def _fail(self, message: str, code: str) -> RegistrarError:
        self.broken = True
        self.close()
        return RegistrarError(message, kind=TEMPORARY, code=code)

    def send(self, data: bytes) -> None:
        if self.sock is None or self.broken:
            raise RegistrarError("the EPP connection is closed", code="closed")
        try:
            self.sock.sendall(HEADER.pack(len(data) + HEADER.size) + data)
        except TimeoutError:
            raise self._fail("sending to the EPP server timed out", "timeout") from None
        except OSError as error:
            raise self._fail(f"the EPP server closed the connection ({error})", "closed") from None

    def _read_exact(self, size: int, deadline: float) -> bytes:
        assert self.sock is not None
        buffer = bytearray()
        while len(buffer) < size:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                self.sock.settimeout(remaining)
                chunk = self.sock.recv(min(65536, size - len(buffer)))
            except TimeoutError:
                raise self._fail("the EPP server did not answer in time", "timeout") from None
            except OSError as error:
                raise self._fail(f"the EPP connection failed ({error})", "closed") from None
            if not chunk:
                raise self._fail("the EPP server closed the connection before answering", "closed")
            buffer += chunk
        return bytes(buffer)

    def read_frame(self) -> bytes:
        """One frame, whole, within the timeout: a server that trickles bytes cannot hold us longer."""
        if self.sock is None or self.broken:
            raise RegistrarError("the EPP connection is closed", code="closed")
        deadline = time.monotonic() + self.timeout
        (total,) = HEADER.unpack(self._read_exact(HEADER.size, deadline))
        if total <= HEADER.size:
            raise self._fail(f"the EPP server sent a frame length of {total}", "frame")
        if total - HEADER.size > self.max_frame:
            raise self._fail(
                f"the EPP server announced a frame of {total} bytes, over the limit of {self.max_frame}", "frame"
            )
        return self._read_exact(total - HEADER.size, deadline)

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
