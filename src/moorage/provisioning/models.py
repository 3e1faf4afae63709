"""Provisioning rows: active modules, app connections, product app settings, panel accounts, jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import MONEY, Product
from moorage.core.crypto import EncryptedTextField
from moorage.services.models import Service


class ModuleState(models.Model):
    """Whether a provisioning module found through the `moorage.modules` entry points is active."""

    name = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({'active' if self.active else 'inactive'})"


class ServerGroup(models.Model):
    """A group of app connections of one module; new accounts go to its least-loaded member."""

    module = models.CharField(max_length=64)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AppConnection(models.Model):
    """A panel server Moorage talks to (Settings → Apps Connections)."""

    module = models.CharField("Application", max_length=64)
    name = models.CharField(max_length=100, unique=True, help_text="Visible to staff only")
    hostname = models.CharField(max_length=253, blank=True)
    ip_address = models.CharField("IP address", max_length=64)
    max_accounts = models.PositiveIntegerField(
        "Max no. of accounts", null=True, blank=True, help_text="Empty means no limit"
    )
    username = models.CharField(max_length=100)
    password = EncryptedTextField()
    api_port = models.PositiveIntegerField("API port", default=1500)
    path = models.CharField(max_length=300, blank=True, help_text="Panel URL; empty means https://IP:PORT/ispmgr")
    verify_tls = models.BooleanField("Verify TLS certificate", default=True)
    tls_fingerprint = models.CharField(
        "Pinned certificate SHA-256 fingerprint",
        max_length=120,
        blank=True,
        help_text="For a self-signed panel certificate: hex SHA-256, with or without colons",
    )
    timeout = models.PositiveIntegerField("Timeout (seconds)", default=30)
    panel_generation = models.CharField(
        "Panel generation",
        max_length=8,
        blank=True,
        choices=[("", "Not detected yet"), ("5", "ispmanager 5"), ("6", "ispmanager 6")],
        help_text="Detected and stored by Test Configuration; empty: the module asks the panel when it needs to",
    )
    nameservers = models.JSONField(default=list, blank=True, help_text='[{"name": "ns1.example.com", "ip": "…"}]')
    monthly_cost = models.DecimalField(**MONEY, default=0)
    group = models.ForeignKey(ServerGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="connections")
    active = models.BooleanField(default=True, help_text="Inactive connections get no new accounts")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return self.path or f"https://{self.ip_address}:{self.api_port}/ispmgr"


class ProductApp(models.Model):
    """A product's App tab: which connection or group, and the module's product fields."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="app")
    connection = models.ForeignKey(AppConnection, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(ServerGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Values of the module's declared product fields (preset, limit overrides, username pattern …).
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(connection__isnull=True) | Q(group__isnull=True), name="productapp_connection_or_group"
            ),
        ]

    def __str__(self) -> str:
        return f"App of {self.product}"


class PanelAccount(models.Model):
    """The account of a service on a panel: where, under which username, and its last known state."""

    service = models.OneToOneField(Service, on_delete=models.PROTECT, related_name="panel_account")
    connection = models.ForeignKey(AppConnection, on_delete=models.PROTECT, related_name="accounts")
    # Reserved before the first create call, so a retried create can find (adopt) the account.
    username = models.CharField(max_length=64)
    password = EncryptedTextField(blank=True)
    # A random token set at reservation, never shown to the client; the create writes it on the panel
    # account (ispmanager: its comment). Only an account carrying it is adopted, changed or deleted.
    panel_marker = models.CharField(max_length=64, blank=True)
    exists_on_panel = models.BooleanField(default=False)
    panel_state = models.CharField(max_length=20, blank=True, help_text="active / suspended / deleted, as last seen")
    created_at = models.DateTimeField()
    synced_at = models.DateTimeField(null=True, blank=True)
    disk_used_mib = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    disk_limit_mib = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "username"], name="panelaccount_username_per_server"),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.connection}"


class ProvisioningJob(models.Model):
    """One remote action on a panel for a service: a visible row with attempts and an outcome.

    Outcomes: done; failed (permanent, no retry); errored (transient, retried with backoff);
    unknown (the request may have reached the panel: look before retrying).
    """

    class Operation(models.TextChoices):
        CREATE = "create", _("Create")
        SUSPEND = "suspend", _("Suspend")
        UNSUSPEND = "unsuspend", _("Unsuspend")
        TERMINATE = "terminate", _("Terminate")
        CHANGE_PACKAGE = "change_package", _("Change package")
        CHANGE_PASSWORD = "change_password", _("Change password")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        ERRORED = "errored", _("Errored (will retry)")
        UNKNOWN = "unknown", _("Unknown (will check)")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.QUEUED, Status.RUNNING, Status.ERRORED, Status.UNKNOWN)

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="provisioning_jobs")
    operation = models.CharField(max_length=20, choices=Operation.choices)
    # Makes "never twice" a database fact: one job per (service, operation, key).
    idempotency_key = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    params = models.JSONField(default=dict, blank=True, help_text="Operation details (never a password)")
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=20)  # about a day with the capped backoff
    next_attempt_at = models.DateTimeField(db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True, help_text="Lease of the worker running it")
    last_error = models.TextField(blank=True)
    panel_error_type = models.CharField(max_length=50, blank=True)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was asked for (e.g. overdue)")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "operation", "idempotency_key"], name="provisioningjob_once_per_key"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.service_id} ({self.status})"


class JobAttempt(models.Model):
    """One try of a job: when, how long, and what the panel said. Append-only."""

    job = models.ForeignKey(ProvisioningJob, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=10)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.outcome}"
