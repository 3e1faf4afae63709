"""Staff API tokens: only a hash is stored; the token is shown once when created."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token that lets a staff user call the REST API v1."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for")
    prefix = models.CharField(max_length=12, editable=False, help_text="First characters, to recognise it")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` an API user sent with an order: the request it came with and the order it placed.

    Unique per user, so the database lets one of two simultaneous requests through; another user's
    key of the same text is another row, and never shows this user's order.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    # sha256 of method, path, user and the validated body: the same key with another request is refused.
    request_hash = models.CharField(max_length=64)
    # Set in the same transaction as the key; empty only if the order was deleted since.
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_once_per_user")]
        verbose_name = "API idempotency key"

    def __str__(self) -> str:
        return f"{self.key} ({self.user})"
