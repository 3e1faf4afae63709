"""Metered prices of products, usage samples of services, and the usage sync state of each app connection."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from moorage.catalog.models import Product
from moorage.metering.resources import CHOICES, RESOURCES
from moorage.provisioning.models import AppConnection
from moorage.services.models import Service

QUANTITY = {"max_digits": 18, "decimal_places": 3}
UNIT_PRICE = {"max_digits": 14, "decimal_places": 6}  # per-unit prices finer than a cent (0.0005 per MiB)


class MeteredPrice(models.Model):
    """The price of one resource of a metered product: per billing unit, after an included quantity.

    Set by staff (product's metered prices); an invoice line copies what it used, so editing a price
    changes only periods billed afterwards.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="metered_prices")
    resource = models.CharField(max_length=20, choices=CHOICES)
    unit_price = models.DecimalField(
        **UNIT_PRICE, help_text="Per billing unit above the included quantity and beyond the last tier"
    )
    included = models.DecimalField(
        "Included quantity", **QUANTITY, default=Decimal(0), help_text="In billing units; free each period"
    )
    unit_size = models.DecimalField(
        **QUANTITY,
        default=Decimal(1),
        help_text="Measured units per billing unit: 1024 bills MiB per GiB; 1 for counts",
    )
    unit_label = models.CharField(
        "Billing unit", max_length=20, blank=True, help_text='Shown to clients: "GiB", "website" …'
    )

    class Meta:
        ordering = ["product", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "resource"], name="meteredprice_one_per_resource"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(included__gte=0) & Q(unit_size__gt=0),
                name="meteredprice_valid_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name}: {self.get_resource_display()}"

    @property
    def label(self) -> str:
        return RESOURCES[self.resource].label

    @property
    def billing_unit(self) -> str:
        return self.unit_label or RESOURCES[self.resource].unit


class MeteredTier(models.Model):
    """A graduated tier of a metered price: billable units up to `up_to` cost `unit_price` each."""

    price = models.ForeignKey(MeteredPrice, on_delete=models.CASCADE, related_name="tiers")
    up_to = models.DecimalField(
        **QUANTITY, null=True, blank=True, help_text="Cumulative billable units this tier reaches; empty = no limit"
    )
    unit_price = models.DecimalField(**UNIT_PRICE)

    class Meta:
        ordering = ["price", models.F("up_to").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["price", "up_to"], name="meteredtier_one_per_bound"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & (Q(up_to__isnull=True) | Q(up_to__gt=0)),
                name="meteredtier_valid_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"up to {self.up_to if self.up_to is not None else '∞'} at {self.unit_price}"


class UsageSample(models.Model):
    """One reading of one resource of a service, written by the usage job; never edited.

    `taken_at` is the collection moment cut to the hour, so one sample per (service, resource,
    hour) is a database fact however often the job runs. For bandwidth, `value` is the traffic since
    the previous sample and `counter` the panel's month-to-date reading it was derived from; for the
    other resources `value` is the level read and `counter` is empty.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="usage_samples")
    resource = models.CharField(max_length=20, choices=CHOICES)
    value = models.DecimalField(**QUANTITY)
    counter = models.DecimalField(**QUANTITY, null=True, blank=True)
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["service", "resource", "taken_at"]
        constraints = [
            models.UniqueConstraint(fields=["service", "resource", "taken_at"], name="usagesample_once_per_moment"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.resource} {self.value} @ {self.taken_at:%Y-%m-%d %H:%M}"


class FailedSample(models.Model):
    """A reading the panel sent that is no quantity (NaN, 1e30, negative, text …): kept with the
    reason, never stored as a number, so an invoice cannot bill it."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="failed_samples")
    resource = models.CharField(max_length=20)
    taken_at = models.DateTimeField()
    raw = models.CharField("what the panel sent", max_length=200)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["-taken_at", "service", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["service", "resource", "taken_at"], name="failedsample_once_per_moment"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.resource} @ {self.taken_at:%Y-%m-%d %H:%M}: {self.reason}"


class UsageSync(models.Model):
    """The usage job of one app connection: when it was last queued and run, and how it went."""

    connection = models.OneToOneField(AppConnection, on_delete=models.CASCADE, related_name="usage_sync")
    queued_at = models.DateTimeField(null=True, blank=True, help_text="Set by the automation step that queues it")
    finished_at = models.DateTimeField(null=True, blank=True)
    accounts = models.PositiveIntegerField(default=0, help_text="Accounts read in the last run")
    samples = models.PositiveIntegerField(default=0, help_text="Samples written in the last run")
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Usage sync of {self.connection}"
