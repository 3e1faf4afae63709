"""Sending one Web Push message to every active device of a client (outside any transaction)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from django.db.models import F
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from moorage.push import vapid
from moorage.push.models import PushSubscription

log = logging.getLogger(__name__)

# How long a push service keeps a message for a device that is offline (seconds).
TTL = 24 * 3600
TIMEOUT = 10  # seconds per push service request
GONE = {404, 410}  # the push service forgot this subscription: stop using it


@dataclass
class PushOutcome:
    devices: int = 0  # active devices tried
    delivered: int = 0  # accepted by their push service
    gone: int = 0  # unsubscribed (404/410): deactivated
    errors: list[str] = field(default_factory=list)


def _session() -> requests.Session:
    session = requests.Session()
    # The endpoint came from a browser: follow no redirect it might lead somewhere else with.
    session.max_redirects = 0
    return session


def _vapid() -> tuple[Vapid, str]:
    keys = vapid.keys()
    return Vapid.from_string(private_key=keys.private_key), keys.subject


def push_to_client(*, client_id: int, payload: dict[str, Any], now: dt.datetime) -> PushOutcome:
    """Encrypt and send `payload` (JSON) to each active device of the client; record each device's
    success or failure; deactivate the ones the push service no longer knows."""
    outcome = PushOutcome()
    subscriptions = list(PushSubscription.objects.filter(client_id=client_id, active=True).order_by("pk"))
    if not subscriptions:
        return outcome
    signer, subject = _vapid()
    data = json.dumps(payload, ensure_ascii=False)
    session = _session()
    for sub in subscriptions:
        outcome.devices += 1
        try:
            webpush(
                subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                data=data,
                vapid_private_key=signer,
                vapid_claims={"sub": subject},
                ttl=TTL,
                timeout=TIMEOUT,
                headers={"Urgency": "normal"},
                requests_session=session,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in GONE:
                outcome.gone += 1
                error = f"{sub.device_name}: unsubscribed ({status}), removed"
                PushSubscription.objects.filter(pk=sub.pk).update(active=False, last_error=error)
            else:
                error = f"{sub.device_name}: push service answered {status or 'nothing'}: {exc.message}"[:500]
                PushSubscription.objects.filter(pk=sub.pk).update(failures=F("failures") + 1, last_error=error)
            outcome.errors.append(error)
        except (requests.RequestException, OSError, ValueError) as exc:
            error = f"{sub.device_name}: {type(exc).__name__}: {exc}"[:500]
            PushSubscription.objects.filter(pk=sub.pk).update(failures=F("failures") + 1, last_error=error)
            outcome.errors.append(error)
        else:
            outcome.delivered += 1
            PushSubscription.objects.filter(pk=sub.pk).update(last_success_at=now, failures=0, last_error="")
    return outcome


def allowed_endpoint(endpoint: str) -> bool:
    """Only the push services configured in MOORAGE_PUSH_SERVICES: Moorage posts to this URL, so a
    hostile one must not point it at an internal address."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        return False
    host = parts.hostname.lower()
    for service in settings.MOORAGE_PUSH_SERVICES:
        try:
            allowed = urlsplit(service)
            allowed_port = allowed.port
        except ValueError:
            continue
        if allowed.scheme != parts.scheme or (allowed_port or None) != (port or None):
            continue
        pattern = (allowed.hostname or "").lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False
