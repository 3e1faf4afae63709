"""Domains: TLD prices, domain orders, registrations and transfers through registrar modules, yearly renewals."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import Product
from moorage.core.crypto import EncryptedTextField, decrypt, encrypt
from moorage.customers.models import Client
from moorage.services.models import Service

MONEY = {"max_digits": 12, "decimal_places": 2}


class Tld(models.Model):
    """A top-level domain Moorage sells (".com"): which registrar module serves it, with which settings,
    and its prices per year. Set by staff only."""

    name = models.CharField(
        "TLD", max_length=63, unique=True, help_text=_("Without the leading dot, lower case: com, co.uk")
    )
    registrar = models.CharField(max_length=64, help_text=_("The registrar module's code (e.g. epp)"))
    # The module's settings (host, login, password, default name servers …) as one encrypted JSON object.
    registrar_settings_encrypted = models.TextField(blank=True, default="", editable=False)
    register_price = models.DecimalField(_("Register price per year"), **MONEY)
    transfer_price = models.DecimalField(_("Transfer price per year"), **MONEY)
    renew_price = models.DecimalField(_("Renew price per year"), **MONEY)
    min_years = models.PositiveSmallIntegerField(default=1)
    max_years = models.PositiveSmallIntegerField(default=10)
    visible = models.BooleanField(default=True, help_text=_("Hidden TLDs cannot be ordered"))

    class Meta:
        ordering = ["name"]
        verbose_name = "TLD"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_years__gte=1) & Q(max_years__gte=models.F("min_years")) & Q(max_years__lte=10),
                name="tld_years_range",
            ),
            models.CheckConstraint(
                condition=Q(register_price__gte=0) & Q(transfer_price__gte=0) & Q(renew_price__gte=0),
                name="tld_prices_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f".{self.name}"

    def get_settings(self) -> dict[str, Any]:
        if not self.registrar_settings_encrypted:
            return {}
        return dict(json.loads(decrypt(self.registrar_settings_encrypted)))

    def set_settings(self, values: dict[str, Any]) -> None:
        self.registrar_settings_encrypted = encrypt(json.dumps(values, sort_keys=True))

    def price(self, action: str) -> Decimal:
        return {"register": self.register_price, "transfer": self.transfer_price, "renew": self.renew_price}[action]


class Domain(models.Model):
    """A client's domain registered (or being registered, transferred) through Moorage.

    `status` is set by the domain actions and jobs only; `expires_on` by the registrar's answer after a
    registration, transfer or renewal; `next_due_date` is the day its next renewal is due (= expiry).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        TRANSFERRING = "transferring", _("Transferring")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    LIVE = (Status.PENDING, Status.ACTIVE, Status.EXPIRED, Status.TRANSFERRING)

    class Origin(models.TextChoices):
        REGISTER = "register", _("Registration")
        TRANSFER = "transfer", _("Transfer")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="domains")
    name = models.CharField(max_length=253, help_text=_("Lower case, punycode for international names"))
    tld = models.ForeignKey(Tld, on_delete=models.PROTECT, related_name="domains")
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.REGISTER)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    years = models.PositiveSmallIntegerField(default=1, help_text=_("Years ordered at registration or transfer"))
    registered_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True, db_index=True)
    next_due_date = models.DateField(null=True, blank=True)
    # The transfer's auth code: write-only (never shown back), encrypted at rest.
    auth_code = EncryptedTextField(blank=True, default="")
    nameservers = models.JSONField(default=list, blank=True)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="domains")
    auto_renew = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(status__in=["pending", "active", "expired", "transferring"]),
                name="domain_name_unique_live",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DomainInvoice(models.Model):
    """What an invoice pays for a domain: its registration, transfer (a domain ordered alone) or one
    renewal. One row per (domain, kind, period): a renewal is invoiced once per expiry date."""

    class Kind(models.TextChoices):
        REGISTER = "register", _("Registration")
        TRANSFER = "transfer", _("Transfer")
        RENEW = "renew", _("Renewal")

    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="invoices")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    years = models.PositiveSmallIntegerField(default=1)
    # For a renewal, the expiry date it renews from (ISO); "" for a registration or transfer.
    period_key = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "kind", "period_key"], name="domaininvoice_once_per_period"),
        ]


class DomainJob(models.Model):
    """One registrar call for a domain: a visible row with attempts and an outcome (like provisioning
    jobs). Written in the action's transaction; the registrar is called outside any transaction by a
    worker; the answer is recorded after."""

    class Operation(models.TextChoices):
        REGISTER = "register", _("Register")
        TRANSFER = "transfer", _("Transfer")
        RENEW = "renew", _("Renew")
        SET_NS = "set_ns", _("Set name servers")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        ERRORED = "errored", _("Errored (will retry)")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.QUEUED, Status.RUNNING, Status.ERRORED)

    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="jobs")
    operation = models.CharField(max_length=10, choices=Operation.choices)
    # "Never twice" as a database fact: one job per (domain, operation, key).
    idempotency_key = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    params = models.JSONField(default=dict, blank=True, help_text="Operation details (never an auth code)")
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=20)
    next_attempt_at = models.DateTimeField(db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "operation", "idempotency_key"], name="domainjob_once_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.domain_id} ({self.status})"


class ProductDomainOptions(models.Model):
    """A product's domain options (Components tab): registration/transfer, own domain, subdomain, and
    the auto-generated hostname. Set by staff only."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="domain_options")
    enabled = models.BooleanField(_("Enable domain options"), default=False)
    tlds = models.ManyToManyField(Tld, blank=True, related_name="+", help_text=_("Empty: every visible TLD"))
    allow_own_domain = models.BooleanField(_("Allow using own domain"), default=True)
    only_registered_with_us = models.BooleanField(_("Only if domain was/will be registered with us"), default=False)
    offer_subdomain = models.BooleanField(_("Offer subdomain"), default=False)
    subdomain_parents = models.TextField(
        _("Subdomain parent domains"), blank=True, help_text=_("One per line, e.g. example-hosting.net")
    )
    auto_hostname = models.BooleanField(_("Auto-generate hostname"), default=False)
    hostname_pattern = models.CharField(
        _("Hostname pattern"),
        max_length=200,
        blank=True,
        default="{client_id}-{random}.example-hosting.net",
        help_text=_("Placeholders: {client_id} {service_id} {random} {product_code}"),
    )

    class Meta:
        verbose_name = "domain options"
        verbose_name_plural = "domain options"

    def __str__(self) -> str:
        return f"Domain options of {self.product}"

    @property
    def parents(self) -> list[str]:
        return [p.strip().lower().strip(".") for p in self.subdomain_parents.splitlines() if p.strip()]
