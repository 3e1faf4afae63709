"""The money side of a processed cancellation request, written once per request."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from moorage.billing.models import CreditNote, Invoice
from moorage.catalog.models import MONEY, PRORATION_CHOICES
from moorage.services.models import CancellationRequest, Service


class CancellationSettlement(models.Model):
    """What Pro-rate cancellations did for one request: the credit note (pre-paid, immediate) or the
    invoice for the used part (post-paid). One row per request: the unique key is what makes a
    re-processed request never credit or bill twice. Inserted by the processing step, never edited
    after that transaction."""

    class Kind(models.TextChoices):
        CREDIT = "credit", _("Unused part credited")
        INVOICE = "invoice", _("Used part invoiced")

    request = models.OneToOneField(CancellationRequest, on_delete=models.PROTECT, related_name="settlement")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="cancellation_settlements")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    unit = models.CharField("Pro-rata unit", max_length=8, choices=PRORATION_CHOICES)
    # The share of the period pro-rated: unused (credit) or used (invoice), full precision.
    fraction = models.DecimalField(max_digits=20, decimal_places=12, default=Decimal("0"))
    amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="cancellation_settlements"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="cancellation_settlements"
    )
    explanation = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} (request {self.request_id})"
