"""Orders: what a client checked out, item by item, with the services and invoice it created."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from moorage.billing.models import Invoice
from moorage.catalog.models import MONEY, Product
from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.customers.models import Client
from moorage.services.models import Service


class Order(models.Model):
    """A checked-out cart: numbered, with its items and first invoice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")
        FRAUD = "fraud", _("Fraud")

    number = models.PositiveBigIntegerField(unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    invoice = models.OneToOneField(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="order")
    notes = models.TextField(blank=True, help_text="Notes / additional information from the client")
    created_at = models.DateTimeField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Set by order_delete when the accounts must be terminated on the panel first; the order is
    # removed once every terminate job is done.
    delete_requested_at = models.DateTimeField(null=True, blank=True)
    # The client's checkout attempt (a form token, an API Idempotency-Key): one order per key.
    checkout_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # Set on an order placed for another service chosen with a product (Other services): the order the
    # client checked out, in the same checkout. Such an order has no checkout_key of its own; the
    # parent's key makes the whole set once. Deleting the parent leaves them standing (own invoices).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="separate_orders", editable=False
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["client", "checkout_key"], name="order_once_per_checkout_key"),
        ]

    def __str__(self) -> str:
        return f"Order {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"{self.number:06d}"


class OrderItem(models.Model):
    """One ordered product of an order, and the service it became."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    cycle = models.CharField(max_length=16, choices=[(c.value, _(CYCLE_LABELS[c])) for c in Cycle])
    hostname = models.CharField(max_length=253, blank=True)
    amount = models.DecimalField(**MONEY)
    setup_fee = models.DecimalField(**MONEY)
    service = models.OneToOneField(Service, on_delete=models.PROTECT, related_name="order_item")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.product.name} ({self.get_cycle_display()})"
