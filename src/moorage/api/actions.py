"""API token use cases."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from moorage.api.models import ApiToken, IdempotencyKey, hash_token
from moorage.core.actions import audit
from moorage.core.errors import Conflict, DomainError
from moorage.core.models import User
from moorage.customers.models import Client
from moorage.orders.actions import CartItem, checkout
from moorage.orders.models import Order

TOKEN_PREFIX = "mrg_"


@transaction.atomic(durable=True)
def api_token_create(*, user: User, now: dt.datetime, actor: User | None, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for a staff user; returns the row and the token (shown once, stored hashed)."""
    if not user.is_staff or not user.is_active:
        raise DomainError(f"{user.email} is not an active staff user", field="email", code="not_staff")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name, prefix=token[:10], token_hash=hash_token(token), created_at=now)
    audit(actor=actor, action="api_token_create", obj=row, now=now, message=name)
    return row, token


def api_token_authenticate(token: str) -> User | None:
    """The staff user of a valid, unrevoked token, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token), revoked=False).first()
    if row is None or not row.user.is_active or not row.user.is_staff:
        return None
    return row.user


def request_fingerprint(*, method: str, path: str, user: User, body: Any) -> str:
    """What makes two requests "the same" for an Idempotency-Key: method, path, user and the body as
    validated (keys sorted, defaults filled), hashed."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=True)
    return hashlib.sha256(f"{method}\n{path}\n{user.pk}\n{canonical}".encode()).hexdigest()


def _claim_key(*, user: User, key: str, request_hash: str, now: dt.datetime) -> tuple[IdempotencyKey, bool]:
    """The key's row, inserted now (True) or found (False). Of two simultaneous requests the unique
    key lets one insert; the other waits for its commit and then finds the row and its order."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, request_hash=request_hash, created_at=now), True
    except IntegrityError:
        return IdempotencyKey.objects.select_related("order").get(user=user, key=key), False


@transaction.atomic(durable=True)
def api_order_place(
    *,
    user: User,
    client: Client,
    items: list[CartItem],
    now: dt.datetime,
    notes: str = "",
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> tuple[Order, bool]:
    """Place an order through the API. Returns (order, replayed).

    With an Idempotency-Key the same request again returns the first order (replayed=True); the same
    key with another request is refused (409 idempotency_key_reused). The key row and the order
    commit together: a refused checkout leaves the key free for a corrected retry.
    """
    if idempotency_key is None:
        return checkout(client=client, items=items, now=now, actor=user, notes=notes), False
    row, created = _claim_key(user=user, key=idempotency_key, request_hash=request_hash, now=now)
    if not created:
        if row.request_hash != request_hash:
            raise Conflict(
                "this Idempotency-Key was already used with a different request; "
                "send a new key for a new order, or the first request unchanged to get its result",
                field="Idempotency-Key",
                code="idempotency_key_reused",
            )
        if row.order is None:
            raise Conflict(
                "the order placed with this Idempotency-Key has been deleted",
                field="Idempotency-Key",
                code="idempotency_key_used",
            )
        return row.order, True
    order = checkout(client=client, items=items, now=now, actor=user, notes=notes)
    row.order = order
    row.save(update_fields=["order"])
    return order, False


# How long a retry with the same Idempotency-Key returns the first order; older keys may be pruned.
IDEMPOTENCY_KEY_DAYS = 30


@transaction.atomic(durable=True)
def api_idempotency_keys_prune(*, now: dt.datetime, days: int = IDEMPOTENCY_KEY_DAYS) -> int:
    """Forget Idempotency-Keys older than `days` (their orders stay); returns how many were removed."""
    if days < 1:
        raise DomainError("keep keys for at least one day", field="days")
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - dt.timedelta(days=days)).delete()
    return deleted
