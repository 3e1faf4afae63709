"""Staff API tokens: only a hash is stored; the token is shown once when created."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

# What a token may be limited to. "read" allows only reading (GET); an area name allows only the
# endpoints of that area. No scope at all means the full rights of the token's owner.
READ = "read"
AREAS = {
    "clients": "Clients",
    "orders": "Orders",
    "billing": "Invoices and payments",
    "catalog": "Order pages and products",
    "services": "Services",
}
SCOPES = {READ: "Read only (GET)", **AREAS}


def hash_token(token: str) -> str:
    # A token has 256 random bits: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token that lets a staff user call the REST API v1, with at most the user's rights."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for")
    prefix = models.CharField(max_length=12, editable=False, help_text="First characters, to recognise it")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Space-separated names from SCOPES, set at creation and never changed (create a new token).
    scopes = models.CharField(max_length=200, blank=True, editable=False, help_text="Empty: all areas, read and write")
    created_at = models.DateTimeField()
    # Written by authentication at most once a minute (not a write per request).
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def read_only(self) -> bool:
        return READ in self.scope_list

    @property
    def areas(self) -> list[str]:
        """The areas the token is limited to; empty means every area."""
        return [s for s in self.scope_list if s in AREAS]


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
