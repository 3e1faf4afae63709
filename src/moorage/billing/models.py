"""Invoices and their lines, payments, and the ledger that explains every balance."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import MONEY
from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.customers.models import Client
from moorage.services.models import Service


class Invoice(models.Model):
    """An invoice: numbered when issued, never renumbered; corrected by new lines or credit notes."""

    class Status(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        ORDER = "order", _("New order")
        RENEWAL = "renewal", _("Renewal")
        UPGRADE = "upgrade", _("Upgrade")
        MANUAL = "manual", _("Manual")

    number = models.PositiveBigIntegerField(unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNPAID, db_index=True)
    currency = models.CharField(max_length=3)
    issue_date = models.DateField()
    due_date = models.DateField(db_index=True)
    paid_date = models.DateField(null=True, blank=True)
    cancelled_date = models.DateField(null=True, blank=True)
    # The sum of the rounded lines; written by the action that adds a line, in the same transaction.
    total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self) -> str:
        return f"Invoice {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"{self.number:06d}"


class InvoiceLine(models.Model):
    """A line of an invoice: it copies the price, cycle and period it bills."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service period")
        SETUP = "setup", _("Setup fee")
        ONE_TIME = "one_time", _("One-time price")
        UPGRADE = "upgrade", _("Upgrade")
        LATE_FEE = "late_fee", _("Late fee")
        OTHER = "other", _("Other")
        # Sold with a service (services.ServiceComponent, domains): billed for the service's period.
        OPTION = "option", _("Order form option")
        ADDON = "addon", _("Add-on")
        DOMAIN = "domain", _("Domain")
        # A promotional code's discount: a negative amount.
        DISCOUNT = "discount", _("Discount")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=300)
    amount = models.DecimalField(**MONEY)
    cycle = models.CharField(max_length=16, blank=True, choices=[(c.value, CYCLE_LABELS[c]) for c in Cycle])
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True, help_text="Last day of the billed period (inclusive)")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["invoice", "id"]
        constraints = [
            # Never two invoices for the same period of a service.
            models.UniqueConstraint(
                fields=["service", "period_start"],
                condition=Q(kind="service"),
                name="invoiceline_one_per_service_period",
            ),
            # One late fee per invoice (an invoice-level line: no service, so not keyed by it).
            models.UniqueConstraint(fields=["invoice"], condition=Q(kind="late_fee"), name="invoiceline_one_late_fee"),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class CreditNote(models.Model):
    """A numbered credit note: money the provider owes back, credited to the client's balance."""

    number = models.PositiveBigIntegerField(unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey(
        "Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        help_text="The invoice it corrects, if any",
    )
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=300)
    issue_date = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="creditnote_positive")]

    def __str__(self) -> str:
        return f"Credit note {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"CN-{self.number:06d}"


class Payment(models.Model):
    """Money received through a gateway; applied once per (gateway, transaction id)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=32)
    transaction_id = models.CharField(max_length=128)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "transaction_id"], name="payment_once_per_transaction"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.transaction_id} {self.amount} {self.currency}"


class LedgerEntry(models.Model):
    """One change of a client's money state; balances are sums of these rows, never edited.

    Two accounts: `receivable` (what the client owes on invoices; + when invoiced, − when paid or
    cancelled) and `credit` (the client's credit balance; + when credited, − when spent).
    """

    class Account(models.TextChoices):
        RECEIVABLE = "receivable", _("Receivable")
        CREDIT = "credit", _("Credit balance")

    class Kind(models.TextChoices):
        INVOICE_ISSUED = "invoice_issued", _("Invoice issued")
        INVOICE_LINE_ADDED = "invoice_line_added", _("Line added to invoice")
        INVOICE_CANCELLED = "invoice_cancelled", _("Invoice cancelled")
        PAYMENT = "payment", _("Payment received")
        OVERPAYMENT = "overpayment", _("Overpayment to credit")
        CREDIT_APPLIED = "credit_applied", _("Credit applied to invoice")
        CREDIT_ADDED = "credit_added", _("Credit added")
        CREDIT_REMOVED = "credit_removed", _("Credit removed")
        REFUND = "refund", _("Refund")
        CREDIT_NOTE = "credit_note", _("Credit note")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="ledger_entries")
    account = models.CharField(max_length=10, choices=Account.choices)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    memo = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["client", "account"]), models.Index(fields=["invoice", "account"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"
