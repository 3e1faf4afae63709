"""A request to change a service's product or billing cycle, with the money it moved."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.billing.models import CreditNote, Invoice, InvoiceLine, LedgerEntry
from moorage.catalog.models import MONEY, Product
from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.provisioning.models import ProvisioningJob
from moorage.services.models import Service

CYCLES = [(c.value, _(CYCLE_LABELS[c])) for c in Cycle]


class UpgradeRequest(models.Model):
    """An upgrade, downgrade or billing cycle change of a service (client or staff), priced pro-rata.

    Written by `service_change_package`; its status moves forward only:
    pending_payment → applied | cancelled | failed (the upgrade invoice is paid, cancelled, or the
    change can no longer be made), queued → applied (the service already changed; its pro-rata
    charge waits for the next renewal invoice, or its downgrade credit for the client to have no
    unpaid invoices).
    """

    class Kind(models.TextChoices):
        UPGRADE = "upgrade", _("Upgrade")
        DOWNGRADE = "downgrade", _("Downgrade")
        CYCLE_CHANGE = "cycle_change", _("Change Billing Cycle")

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
        QUEUED = "queued", _("Applied, money queued")
        APPLIED = "applied", _("Applied")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class Settlement(models.TextChoices):
        """How the charge is settled (decided when the request is made, from the product's settings)."""

        NOTHING = "nothing", _("Nothing to pay")
        INVOICE = "invoice", _("Upgrade invoice")
        NEXT_INVOICE = "next_invoice", _("Added to the next renewal invoice")
        CREDIT = "credit", _("Credited at once")
        CREDIT_QUEUE = "credit_queue", _("Credited when no invoice is unpaid")
        NO_CREDIT = "no_credit", _("Not credited")

    # Deleting an order (staff "Delete order") removes its services with their requests.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="upgrade_requests")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    settlement = models.CharField(max_length=12, choices=Settlement.choices)

    # What the service was and becomes (the price rows' amounts copied: later catalog edits do not
    # change a request).
    from_product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    from_cycle = models.CharField(max_length=16, choices=CYCLES)
    from_price = models.DecimalField(**MONEY)
    to_product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    to_cycle = models.CharField(max_length=16, choices=CYCLES)
    to_price = models.DecimalField(**MONEY)
    upgrade_fee = models.DecimalField(**MONEY, default=Decimal("0.00"))

    # The pro-rata: the current paid period [period_start, period_end) and its cycle, the change
    # moment, the unit, the unused share, and the charge (> 0 owed, < 0 a downgrade credit).
    change_at = models.DateTimeField()
    period_start = models.DateField()
    period_end = models.DateField(help_text="The next due date: the first day after the period")
    period_cycle = models.CharField(max_length=16, choices=CYCLES)
    proration_unit = models.CharField(max_length=8)
    remaining = models.DecimalField(max_digits=13, decimal_places=12)
    charge = models.DecimalField(**MONEY)
    # Netting (issue #10): of a downgrade credit, the part that settled the service's queued charges
    # and unpaid charges for changes already made (only the rest was spendable); of a queued
    # charge, the part a downgrade credit settled (only the rest is billed). Set once, when settled.
    netted = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # Credit note on Downgrade, as the product said when the request was made.
    credit_note_wanted = models.BooleanField(default=False)

    # The documents it made: the upgrade invoice (or the renewal invoice a queued charge joined) and
    # its line, the downgrade credit's ledger entry, the credit note, the panel's change job. One
    # line and one credit entry per request: a queued charge or credit is never settled twice.
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    invoice_line = models.OneToOneField(
        InvoiceLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="upgrade_request"
    )
    credit_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="upgrade_request"
    )
    credit_note = models.ForeignKey(CreditNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    job = models.ForeignKey(ProvisioningJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()
    # When the service took the new product / cycle (None while waiting for payment).
    applied_at = models.DateTimeField(null=True, blank=True)
    # When the queued money was settled (line added or credit given).
    settled_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="Why it was cancelled or failed")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open change per service: a second request waits until the first is paid or cancelled.
            models.UniqueConstraint(
                fields=["service"], condition=Q(status="pending_payment"), name="upgraderequest_one_open_per_service"
            ),
        ]
        indexes = [models.Index(fields=["status", "settlement"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of service #{self.service_id}: {self.from_product} → {self.to_product}"

    @property
    def credit_amount(self) -> Decimal:
        """The downgrade credit owed (0 for charges)."""
        return -self.charge if self.charge < 0 else Decimal("0.00")
