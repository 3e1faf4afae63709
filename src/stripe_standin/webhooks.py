"""Webhook signing (Stripe's scheme) and delivery over HTTP.

Stripe signs `f"{timestamp}.{body}"` with HMAC-SHA256 under the endpoint's `whsec_` secret and sends
`Stripe-Signature: t=<timestamp>,v1=<hex digest>`; the receiver recomputes it and checks the timestamp
is recent. This module implements the sender's half on its own (it does not use the stripe package),
so a receiver that verifies with the SDK really checks the scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event: dict[str, Any]) -> bytes:
    return json.dumps(event, indent=2).encode("utf-8")


def signed_request(event: dict[str, Any], secret: str, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers Stripe would POST for this event."""
    body = event_body(event)
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": signature_header(body, secret, ts),
    }
    return body, headers


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver an event, as Stripe's dashboard lists them."""

    event_id: str
    event_type: str
    url: str
    status: int  # HTTP status, 0 when the endpoint could not be reached
    response: str  # the start of the endpoint's answer, or the connection error


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - configured URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(500).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(500).decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        return 0, str(exc)
