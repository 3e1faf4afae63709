"""EPP namespaces, the RFC 5734 frame, and safe parsing (no DTDs, no entities) for the stand-in."""

from __future__ import annotations

import socket
import struct
import xml.etree.ElementTree as ET  # noqa: S405 - building only; parsing goes through defusedxml

from defusedxml.ElementTree import fromstring

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
HOST = "urn:ietf:params:xml:ns:host-1.0"
SECDNS = "urn:ietf:params:xml:ns:secDNS-1.1"

# EPP as the default namespace (attributes such as code="1000" stay unqualified, which
# ElementTree's default_namespace option would refuse); the object namespaces with their usual prefixes.
for _prefix, _uri in (("", EPP), ("domain", DOMAIN), ("contact", CONTACT), ("host", HOST)):
    ET.register_namespace(_prefix, _uri)

HEADER = struct.Struct(">I")


class FrameError(Exception):
    pass


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def parse(data: bytes) -> ET.Element:
    return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)  # type: ignore[no-any-return]


def serialize(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)  # type: ignore[no-any-return]


def read_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(65536, size - len(chunks)))
        if not chunk:
            raise FrameError("connection closed")
        chunks += chunk
    return bytes(chunks)


def read_frame(sock: socket.socket, limit: int) -> bytes:
    (total,) = HEADER.unpack(read_exact(sock, HEADER.size))
    if total <= HEADER.size or total - HEADER.size > limit:
        raise FrameError(f"bad frame length {total}")
    return read_exact(sock, total - HEADER.size)


def frame(data: bytes) -> bytes:
    return HEADER.pack(len(data) + HEADER.size) + data
