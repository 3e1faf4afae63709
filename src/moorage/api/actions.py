"""API token use cases: create (shown once, stored hashed), revoke, authenticate, and the audit
entry of a throttled address."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from moorage.api.models import SCOPES, ApiToken, IdempotencyKey, hash_token
from moorage.core.actions import audit
from moorage.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from moorage.core.models import AuditEntry, User
from moorage.customers.models import Client
from moorage.orders.actions import CartItem, checkout
from moorage.orders.models import Order

TOKEN_PREFIX = "mrg_"
# last_used_at is written when it is older than this: a hint for staff, not a write per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def clean_scopes(scopes: Iterable[str] | str | None) -> str:
    """The stored form of a token's scopes (sorted, space-separated); refuses unknown names."""
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    names = sorted({s.strip().lower() for s in scopes or () if s.strip()})
    unknown = [s for s in names if s not in SCOPES]
    if unknown:
        raise DomainError(
            f"unknown scope {unknown[0]!r}; choose from: {', '.join(SCOPES)}", field="scopes", code="invalid"
        )
    return " ".join(names)


def _may_manage(actor: User | None, owner_id: int) -> bool:
    """A staff member manages their own tokens; a superuser everyone's; None is the server's CLI."""
    return actor is None or actor.is_superuser or actor.pk == owner_id


@transaction.atomic(durable=True)
def api_token_create(
    *,
    user: User,
    now: dt.datetime,
    actor: User | None,
    name: str = "",
    scopes: Iterable[str] | str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for a staff user; returns the row and the token (shown once, stored hashed)."""
    if not _may_manage(actor, user.pk):
        raise PermissionDenied("only a superuser creates tokens for another user", code="forbidden")
    if not user.is_staff or not user.is_active:
        raise DomainError(f"{user.email} is not an active staff user", field="email", code="not_staff")
    stored_scopes = clean_scopes(scopes)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=token[:10],
        token_hash=hash_token(token),
        scopes=stored_scopes,
        created_at=now,
    )
    audit(actor=actor, action="api_token_create", obj=row, now=now, message=name, data={"scopes": stored_scopes})
    return row, token


@transaction.atomic(durable=True)
def api_token_revoke(*, token_id: int, now: dt.datetime, actor: User | None) -> ApiToken:
    """Revoke a token (its owner or a superuser); revoking it again changes nothing."""
    row = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if row is None or not _may_manage(actor, row.user_id):
        # Another user's token is "not found" for a non-superuser: ids of tokens are not revealed.
        raise NotFound(f"no API token with id {token_id}", field="token")
    if row.revoked:
        return row
    row.revoked, row.revoked_at = True, now
    row.save(update_fields=["revoked", "revoked_at"])
    audit(actor=actor, action="api_token_revoke", obj=row, now=now, message=row.name)
    return row


def api_token_authenticate(token: str, *, now: dt.datetime | None = None) -> ApiToken | None:
    """The valid, unrevoked token of an active staff user, or None; notes when it was last used."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token), revoked=False).first()
    if row is None or not row.user.is_active or not row.user.is_staff:
        return None
    if now is not None and (row.last_used_at is None or row.last_used_at < now - LAST_USED_RESOLUTION):
        # A conditional UPDATE: two requests at once write it once; no transaction needed.
        ApiToken.objects.filter(pk=row.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        row.last_used_at = now
    return row


@transaction.atomic(durable=True)
def api_auth_throttled(*, ip: str, failures: int, now: dt.datetime) -> AuditEntry:
    """Record that an address sent too many wrong API tokens and is refused for a while."""
    return AuditEntry.objects.create(
        created_at=now,
        actor=None,
        action="api_token_throttled",
        object_type="ip",
        object_id=ip[:64],
        message=f"{failures} wrong API tokens from {ip}; refused with 429 for a while",
        data={"failures": failures},
    )


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
    promo_code: str = "",
    accept_contracts: bool = False,
) -> tuple[Order, bool]:
    """Place an order through the API. Returns (order, replayed).

    With an Idempotency-Key the same request again returns the first order (replayed=True); the same
    key with another request is refused (409 idempotency_key_reused). The key row and the order
    commit together: a refused checkout leaves the key free for a corrected retry.
    """
    extras = {"promo_code": promo_code, "accept_contracts": accept_contracts}
    if idempotency_key is None:
        return checkout(client=client, items=items, now=now, actor=user, notes=notes, **extras), False
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
    order = checkout(client=client, items=items, now=now, actor=user, notes=notes, **extras)
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
