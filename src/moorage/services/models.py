"""A client's hosting service (one ordered product) and the history of its status."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from moorage.catalog.models import MONEY, Product
from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.customers.models import Client

# The billing cycles' names for the translation catalogs (core/cycles.py is pure and imports no Django).
CYCLE_NAMES = [
    gettext_noop("One time"),
    gettext_noop("Daily"),
    gettext_noop("Weekly"),
    gettext_noop("Monthly"),
    gettext_noop("Quarterly"),
    gettext_noop("Semi-annually"),
    gettext_noop("Annually"),
    gettext_noop("Biennially"),
    gettext_noop("Triennially"),
]


class Service(models.Model):
    """A hosting service of a client: what was ordered, its cycle, its dates and status."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")
        CANCELLED = "cancelled", _("Cancelled")
        FRAUD = "fraud", _("Fraud")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="services")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="services")
    # Copied from the price row at order time: later catalog edits do not change a running service.
    cycle = models.CharField(max_length=16, choices=[(c.value, _(CYCLE_LABELS[c])) for c in Cycle])
    recurring_amount = models.DecimalField(**MONEY)
    label = models.CharField(max_length=100, blank=True, help_text="Shown next to the service (Change Label)")
    hostname = models.CharField(max_length=253, blank=True)

    # Set by the lifecycle function only.
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    # Why the service is suspended ("overdue" is lifted automatically on payment; others are not).
    status_reason = models.CharField(max_length=200, blank=True)

    created_at = models.DateTimeField()
    # Set when the first invoice is paid (service_activate); start_date moves with Adjust Initial Period.
    start_date = models.DateField(null=True, blank=True)
    # Periods are counted from anchor_date on anchor_day: the n-th due date is anchor + n cycles.
    anchor_date = models.DateField(null=True, blank=True)
    anchor_day = models.PositiveSmallIntegerField(null=True, blank=True)
    # The day the next unpaid period starts; advanced once per paid (or issued) period.
    next_due_date = models.DateField(null=True, blank=True, db_index=True)
    auto_renew = models.BooleanField(default=True)
    notes = models.TextField(blank=True, help_text="Service Notes shown to the client")
    admin_notes = models.TextField(blank=True, help_text="Staff only")
    # New Direct Link: set (and rotated) by service_direct_link only; `/s/<token>/` opens the page for
    # the signed-in owner. Unique, so a token names one service.
    direct_link_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_due_date"])]

    def __str__(self) -> str:
        name = self.hostname or self.label or self.product.name
        return f"#{self.pk} {self.product.name} ({name})" if name != self.product.name else f"#{self.pk} {name}"

    @property
    def expiry_date(self) -> dt.date | None:
        """The last paid day: the day before the next due date."""
        if self.next_due_date is None:
            return None
        return self.next_due_date - dt.timedelta(days=1)

    @property
    def is_recurring(self) -> bool:
        return self.cycle != Cycle.ONE_TIME


class ServiceStatusChange(models.Model):
    """One transition of a service's status; inserted by the lifecycle function, never edited."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12)
    to_status = models.CharField(max_length=12)
    reason = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class CancellationRequest(models.Model):
    """A request to cancel a service (client or staff): immediately or at the end of the billing period."""

    class Type(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediate")
        END_OF_PERIOD = "end_of_period", _("End of billing period")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cancellation_requests")
    type = models.CharField(max_length=16, choices=Type.choices)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"], condition=models.Q(status="pending"), name="cancellationrequest_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} cancellation of {self.service_id}"


class ServiceTransfer(models.Model):
    """Change Ownership: a client asks to move a service to another client (by the new owner's email).

    Done at once when MOORAGE_SERVICE_TRANSFER_DIRECT allows it and the email names an active client,
    otherwise pending until staff approve or reject it. Invoices already issued stay with the old
    owner; the panel account stays, with a new password (the faces queue it after the move)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="transfers")
    from_client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    # The client the email named when the request was made (None: no such active client; staff see it).
    to_client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_email = models.EmailField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    # Set once, when the request leaves "pending" (done, rejected or withdrawn).
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why it was rejected (shown to the client)")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"], condition=models.Q(status="pending"), name="servicetransfer_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"Transfer of service {self.service_id} to {self.to_email} ({self.status})"


class ServiceComponent(models.Model):
    """Something sold with a service besides its plan: a priced order-form answer, an add-on, a
    recurring promotional discount.

    Written by the component that sold it (orderforms, addons, promotions) at checkout or later;
    billing's renewal step bills every active component's `recurring_amount` on the parent's renewal
    invoice, for the parent's period (so it renews on the parent's due date); the provisioning runner
    hands the active components' `limits` to the module as additions to the package's limits. Ended by
    the service's lifecycle when the service is terminated or cancelled.
    """

    class Kind(models.TextChoices):
        OPTION = "option", _("Order form option")
        ADDON = "addon", _("Add-on")
        DISCOUNT = "discount", _("Discount")

    class Status(models.TextChoices):
        # Bought mid-period: waiting for its own (pro-rated) invoice to be paid; not billed, no limits.
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="components")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Who sold it and what: "form:<field id>", "addon:<addon id>", "promo:<code id>". One live row per
    # source and service (the constraint below): the same add-on ordered twice at once is refused.
    source = models.CharField(max_length=100)
    description = models.CharField(max_length=300)
    # Per cycle of the parent service, in MOORAGE_CURRENCY; negative for a discount. Set by the selling
    # component; changed only by that component's actions (Edit Forms, an add-on's upgrade).
    recurring_amount = models.DecimalField(**MONEY, default=0)
    # Panel limits this component adds to the package: {"limit_quota": 1024, ...} (integers, the
    # module's field names); applied through provisioning jobs, never by a direct panel call.
    limits = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "source"],
                condition=~models.Q(status="ended"),
                name="servicecomponent_one_live_per_source",
            ),
        ]

    def __str__(self) -> str:
        return self.description
