"""Who may call an API endpoint: the Django permissions of the token's owner (the same as the staff
screen's), the token's scopes, and the throttle of wrong tokens per address. Checked here only."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from moorage.api.actions import api_auth_throttled
from moorage.api.models import AREAS, ApiToken
from moorage.core.errors import DomainError, PermissionDenied

log = logging.getLogger("moorage.security")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Throttled(DomainError):
    """Too many wrong API tokens from one address: refused for a while, whatever the token."""

    code = "throttled"
    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def max_failures() -> int:
    return int(getattr(settings, "MOORAGE_API_TOKEN_MAX_FAILURES", 10))


def block_seconds() -> int:
    return int(getattr(settings, "MOORAGE_API_TOKEN_BLOCK_SECONDS", 900))


def client_ip(request: HttpRequest) -> str:
    """The caller's address. Behind a proxy (MOORAGE_BEHIND_PROXY) the last X-Forwarded-For entry, the
    one the proxy itself appended; earlier entries come from the client and can be forged."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return forwarded.split(",")[-1].strip()[:64]
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]


def _key(ip: str) -> str:
    # An IPv6 client usually holds a whole /64: count it as one address.
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return f"moorage:api-token-failures:{ip}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"moorage:api-token-failures:{address.ipv4_mapped}"
        return f"moorage:api-token-failures:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"moorage:api-token-failures:{address}"


def _throttled() -> Throttled:
    seconds = block_seconds()
    return Throttled(
        f"too many wrong API tokens from your address; try again in {max(1, seconds // 60)} minutes",
        retry_after=seconds,
    )


def refuse_if_blocked(ip: str) -> None:
    """While an address is blocked even a right token is refused, so guessing learns nothing."""
    if (cache.get(_key(ip)) or 0) >= max_failures():
        raise _throttled()


def record_failure(ip: str, *, now: dt.datetime) -> None:
    """Count a wrong token from `ip` in a window of MOORAGE_API_TOKEN_BLOCK_SECONDS (Django's cache:
    shared by all processes when the cache is Redis, per process with the default local memory)."""
    key, limit = _key(ip), max_failures()
    cache.add(key, 0, timeout=block_seconds())
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=block_seconds())
        failures = 1
    if failures == limit:
        log.warning("API: %s wrong tokens from %s; refusing it for %ss", failures, ip, block_seconds())
        api_auth_throttled(ip=ip, failures=failures, now=now)
    if failures >= limit:
        raise _throttled()


def authorize(token: ApiToken, *, permissions: Sequence[str], area: str | None, method: str) -> None:
    """Refuse (403) unless the token's scopes allow the endpoint and its owner has every permission
    the matching staff screen needs. An endpoint that declares no permission is refused to all."""
    if not permissions or area not in AREAS:
        raise PermissionDenied("this endpoint declares no permission and is closed", code="forbidden")
    if token.read_only and method.upper() not in SAFE_METHODS:
        raise PermissionDenied("this API token is read-only", code="read_only_token")
    if token.areas and area not in token.areas:
        raise PermissionDenied(
            f"this API token is limited to: {', '.join(token.areas)}; this endpoint is in {area}",
            code="token_scope",
        )
    user = token.user
    missing = [p for p in permissions if not user.has_perm(p)]
    if missing:
        raise PermissionDenied(
            f"your staff account lacks the permission {missing[0]} (the same as in the staff area)",
            code="forbidden",
        )
