"""A local stand-in for a browser's push service (RFC 8030 with VAPID, RFC 8292, and aes128gcm,
RFC 8291): it checks each request's VAPID JWT against the key it names and decrypts the message
with the device's private key, as the browser on the device would. Free port, no internet."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A browser's push subscription: its own P-256 key pair and auth secret, as a real one makes."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    answer: int = 201  # what the push service answers for it (410 once unsubscribed …)
    received: list[dict] = field(default_factory=list)

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )


@dataclass
class Received:
    device: str
    payload: dict
    claims: dict
    vapid_key: str
    headers: dict


class VapidError(Exception):
    pass


def verify_vapid(header: str, audience: str) -> tuple[dict, str]:
    """The claims of a valid `vapid t=<JWT>, k=<public key>` header, signed ES256 by that key."""
    if not header.startswith("vapid "):
        raise VapidError("not a vapid Authorization header")
    params = dict(part.strip().split("=", 1) for part in header[len("vapid ") :].split(","))
    token, key = params["t"], params["k"]
    signing_input, _, signature = token.rpartition(".")
    head = json.loads(unb64url(signing_input.split(".")[0]))
    if head.get("alg") != "ES256":
        raise VapidError("JWT alg is not ES256")
    raw = unb64url(signature)
    if len(raw) != 64:
        raise VapidError("ES256 signature is not 64 bytes")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise VapidError("bad JWT signature") from None
    claims = json.loads(unb64url(signing_input.split(".")[1]))
    if claims.get("aud") != audience:
        raise VapidError(f"aud {claims.get('aud')!r} is not {audience!r}")
    if not time.time() < int(claims.get("exp", 0)) <= time.time() + 24 * 3600:
        raise VapidError("exp is not within 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise VapidError("sub is not a mailto: or https: contact")
    return claims, key


class PushService:
    def __init__(self):
        self.devices: dict[str, Device] = {}
        self.received: list[Received] = []
        self.refused: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # noqa: ANN002, ANN201
                pass

            def do_POST(self):  # noqa: ANN201, N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, text = service.handle(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # a free port chosen at run time
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> PushService:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_device(self) -> Device:
        device = Device(
            token=secrets.token_urlsafe(16),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=secrets.token_bytes(16),
        )
        self.devices[device.token] = device
        return device

    def endpoint(self, device: Device) -> str:
        return f"{self.origin}/push/{device.token}"

    def subscription_json(self, device: Device) -> dict:
        """What `PushSubscription.toJSON()` gives in the browser."""
        return {
            "endpoint": self.endpoint(device),
            "expirationTime": None,
            "keys": {"p256dh": device.p256dh, "auth": b64url(device.auth)},
        }

    def handle(self, path: str, headers: dict, body: bytes) -> tuple[int, bytes]:
        """One push request; `headers` have lower-case names (HTTP header names are case-insensitive)."""
        device = self.devices.get(path.rsplit("/", 1)[-1])
        if device is None or not path.startswith("/push/"):
            return 404, b"no such subscription"
        try:
            claims, key = verify_vapid(headers.get("authorization", ""), self.origin)
        except (VapidError, KeyError, ValueError) as exc:
            self.refused.append(str(exc))
            return 401, f"VAPID: {exc}".encode()
        if headers.get("content-encoding") != "aes128gcm" or "ttl" not in headers:
            self.refused.append("encoding or TTL")
            return 400, b"aes128gcm and TTL required"
        if device.answer >= 300:
            return device.answer, b"refused by the test"
        plain = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm")
        message = Received(device.token, json.loads(plain), claims, key, headers)
        self.received.append(message)
        device.received.append(message.payload)
        return 201, b""
