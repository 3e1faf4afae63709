"""Online payments: gateway settings, checkouts at a provider, the webhook idempotency log, saved
cards, payments held for staff, Service Auto Payment charges and refunds made through a gateway."""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.billing.models import Invoice, Payment
from moorage.core.crypto import decrypt, encrypt
from moorage.customers.models import Client

MONEY = {"max_digits": 12, "decimal_places": 2}


def new_reference() -> str:
    """Moorage's reference of one checkout: random, unguessable, safe in a URL."""
    return "co_" + secrets.token_urlsafe(18)


class GatewayConfig(models.Model):
    """A gateway's staff settings (Settings → Payment Gateways): on or off, its name at checkout, its
    place in the list, and its module settings as one encrypted JSON object. Set by staff only."""

    code = models.CharField(max_length=32, unique=True)
    enabled = models.BooleanField(default=False)
    display_name = models.CharField(
        max_length=100, blank=True, help_text="Shown to clients; empty = the module's name."
    )
    sort_order = models.PositiveIntegerField(default=0)
    settings_encrypted = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "payment gateway"

    def __str__(self) -> str:
        return self.display_name or self.code

    def get_settings(self) -> dict[str, str]:
        if not self.settings_encrypted:
            return {}
        data = json.loads(decrypt(self.settings_encrypted))
        return {str(k): str(v) for k, v in data.items()}

    def set_settings(self, values: dict[str, str]) -> None:
        self.settings_encrypted = encrypt(json.dumps({k: str(v) for k, v in values.items()}, sort_keys=True))


class Checkout(models.Model):
    """One attempt of a client to pay an invoice at a provider. Created by `checkout_start`; its
    status changes only from what the provider says (verified webhook or server-side fetch)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        ACTION_REQUIRED = "action_required", _("Authentication required")
        CANCELLED = "cancelled", _("Cancelled")
        HELD = "held", _("Held for staff")

    reference = models.CharField(max_length=64, unique=True, default=new_reference)
    gateway = models.CharField(max_length=32)
    provider_ref = models.CharField(max_length=255, blank=True, db_index=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="checkouts")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="checkouts")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    save_method = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    message = models.CharField(max_length=500, blank=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="checkout_positive")]

    def __str__(self) -> str:
        return self.reference


class WebhookEvent(models.Model):
    """The idempotency record of what a provider told us: one row per (gateway, provider event id),
    inserted before anything else is done with the event; never edited after its outcome is set."""

    gateway = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=20)
    raw_type = models.CharField(max_length=100, blank=True)
    provider_ref = models.CharField(max_length=255, blank=True)
    transaction_id = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_id}"


class SavedPaymentMethod(models.Model):
    """A card the provider keeps for the client, kept with the client's consent for Service Auto
    Payment. The provider's token is stored encrypted; the client may remove it (inactive)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="saved_payment_methods")
    gateway = models.CharField(max_length=32)
    token_encrypted = models.TextField()
    customer_ref = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=200)
    consent_at = models.DateTimeField()
    active = models.BooleanField(default=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label

    @property
    def token(self) -> str:
        return decrypt(self.token_encrypted)

    @token.setter
    def token(self, value: str) -> None:
        self.token_encrypted = encrypt(value)


class HeldPayment(models.Model):
    """Money a provider reports that does not match what the checkout asked (amount or currency, or a
    checkout no longer payable): held for staff, the invoice untouched, until Apply or Dismiss."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        APPLIED = "applied", "Applied to invoice"
        REFUNDED = "refunded", "Refunded"
        DISMISSED = "dismissed", "Dismissed"

    gateway = models.CharField(max_length=32)
    transaction_id = models.CharField(max_length=128)
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    checkout = models.ForeignKey(Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD, db_index=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "transaction_id"], name="held_payment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.transaction_id} {self.amount} {self.currency}"


class AutoCharge(models.Model):
    """Service Auto Payment by card: the one charge attempt of a renewal invoice on a saved method.
    Unique per invoice, so however often the renewal run or the task runs, it is charged once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CHARGING = "charging", _("Charging")
        # The provider took the charge but has not settled it (a held capture): its webhook completes it.
        AWAITING = "awaiting", _("Awaiting the provider")
        PAID = "paid", _("Paid")
        DECLINED = "declined", _("Declined")
        ERROR = "error", _("Error (look at the provider before retrying)")
        SKIPPED = "skipped", _("Skipped")

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="auto_charge")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    method = models.ForeignKey(SavedPaymentMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    gateway = models.CharField(max_length=32)
    reference = models.CharField(max_length=64, unique=True, default=new_reference)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    transaction_id = models.CharField(max_length=128, blank=True)
    message = models.CharField(max_length=500, blank=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    attempted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"auto charge of invoice {self.invoice_id}: {self.status}"


class GatewayRefund(models.Model):
    """Money given back through the provider for a payment: recorded once per (gateway, refund id).
    Staff refunds start as a row with an idempotency key before the provider is called."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PENDING = "pending", _("Pending at the provider")
        DONE = "done", _("Refunded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="gateway_refunds")
    gateway = models.CharField(max_length=32)
    refund_id = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_reference)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    message = models.CharField(max_length=500, blank=True)
    recorded = models.BooleanField(default=False, help_text="The refund is in the client's ledger.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "refund_id"], condition=~Q(refund_id=""), name="gateway_refund_once"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="gateway_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.refund_id or self.idempotency_key} {self.amount} {self.currency}"
