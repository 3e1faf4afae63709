"""API token use cases."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction

from moorage.api.models import ApiToken, hash_token
from moorage.core.actions import audit
from moorage.core.errors import DomainError
from moorage.core.models import User

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
