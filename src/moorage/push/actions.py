"""A client's devices: allow mobile notifications on one (subscribe) and remove one."""

from __future__ import annotations

import binascii
import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from django.db import IntegrityError, transaction

from moorage.core.actions import audit
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import User
from moorage.customers.models import Client
from moorage.push.models import PushSubscription
from moorage.push.sender import allowed_endpoint
from moorage.push.vapid import b64url_decode

ENDPOINT_MAX = PushSubscription._meta.get_field("endpoint").max_length


def _key(value: Any, field: str, *, size: int) -> str:
    if not isinstance(value, str) or not value or len(value) > 100:
        raise DomainError(f"keys.{field} is missing or not a string.", field=f"keys.{field}")
    try:
        raw = b64url_decode(value)
    except (binascii.Error, ValueError):
        raise DomainError(f"keys.{field} is not base64url.", field=f"keys.{field}") from None
    if len(raw) != size:
        raise DomainError(f"keys.{field} must be {size} bytes.", field=f"keys.{field}")
    return value.rstrip("=")


def parse_subscription(data: Any) -> tuple[str, str, str]:
    """(endpoint, p256dh, auth) from a browser's PushSubscription JSON; DomainError for anything else."""
    if not isinstance(data, dict):
        raise DomainError("Send the subscription as a JSON object.")
    endpoint, keys = data.get("endpoint"), data.get("keys")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        raise DomainError("endpoint is missing or too long.", field="endpoint")
    if not allowed_endpoint(endpoint):
        raise DomainError("endpoint is not a known push service.", field="endpoint")
    if not isinstance(keys, dict):
        raise DomainError("keys is missing.", field="keys")
    p256dh = _key(keys.get("p256dh"), "p256dh", size=65)
    auth = _key(keys.get("auth"), "auth", size=16)
    try:  # a point on P-256, or encrypting to it fails at every send
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
    except ValueError:
        raise DomainError("keys.p256dh is not a P-256 public key.", field="keys.p256dh") from None
    return endpoint, p256dh, auth


def push_subscribe(*, client: Client, data: Any, user_agent: str, now: dt.datetime, actor: User) -> PushSubscription:
    """Allow mobile notifications on the device that sent `data` (its PushSubscription JSON).

    The same endpoint sent again (the browser renewed it, or another client signed in on this device)
    is updated and belongs to the client who sent it last."""
    endpoint, p256dh, auth = parse_subscription(data)
    fields = {"client": client, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300], "active": True}
    try:
        with transaction.atomic(durable=True):
            sub = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
            if sub is None:
                sub = PushSubscription.objects.create(endpoint=endpoint, created_at=now, **fields)
            else:
                for name, value in fields.items():
                    setattr(sub, name, value)
                sub.failures, sub.last_error = 0, ""
                sub.save()
            audit(actor=actor, action="push_subscribe", obj=sub, now=now, message=sub.device_name)
    except IntegrityError:  # the same device subscribed twice at once: the other request saved it
        return PushSubscription.objects.get(endpoint=endpoint)
    return sub


def push_unsubscribe(*, client: Client, subscription_id: int, now: dt.datetime, actor: User) -> None:
    """Remove one of the client's own devices (another client's is not found)."""
    with transaction.atomic(durable=True):
        sub = PushSubscription.objects.select_for_update().filter(pk=subscription_id, client=client).first()
        if sub is None:
            raise NotFound("No such device.")
        audit(actor=actor, action="push_unsubscribe", obj=sub, now=now, message=sub.device_name)
        sub.delete()
