"""Reconciliation rows: each comparison of a panel with billing, and the mismatches it found."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.provisioning.models import AppConnection, ProvisioningJob
from moorage.services.models import Service


class ReconcileRun(models.Model):
    """One comparison of one app connection's panel with billing (`moorage reconcile`, Run now, daily)."""

    connection = models.ForeignKey(AppConnection, on_delete=models.CASCADE, related_name="reconcile_runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set when the run ends: accounts compared, findings seen; `error` when the panel could not be read.
    panel_users = models.PositiveIntegerField(default=0)
    accounts = models.PositiveIntegerField(default=0)
    findings = models.PositiveIntegerField(default=0)
    new_findings = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    packages_checked = models.BooleanField(default=False, help_text="False: the module cannot read packages")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-started_at", "-id"]
        permissions = [("run_reconciliation", "Can run a reconciliation of the panels")]

    def __str__(self) -> str:
        return f"{self.connection} {self.started_at:%Y-%m-%d %H:%M}"


class Finding(models.Model):
    """A mismatch between a panel and billing, open from its first sight until a run no longer sees it."""

    class Kind(models.TextChoices):
        UNKNOWN_PANEL_USER = "unknown_panel_user", _("Panel user billing does not know")
        MISSING_ACCOUNT = "missing_account", _("Account missing on the panel")
        STATE_MISMATCH = "state_mismatch", _("Suspended on one side, active on the other")
        PACKAGE_MISMATCH = "package_mismatch", _("Preset or limits differ from the product's")

    class Fix(models.TextChoices):
        ADOPT = "adopt", _("Adopt")
        RECREATE = "recreate", _("Re-create")
        SUSPEND = "suspend", _("Suspend")
        RESUME = "resume", _("Resume")
        REAPPLY = "reapply", _("Re-apply the package")

    connection = models.ForeignKey(AppConnection, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    username = models.CharField(max_length=64)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What was seen (panel state, billing status, {setting: [wanted, found]} …), as of the last run.
    details = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    first_run = models.ForeignKey(ReconcileRun, null=True, on_delete=models.SET_NULL, related_name="+")
    # Set by the first run that no longer sees it; a later sight opens a new finding.
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set once by the first fix staff ask for; a second ask returns the same job.
    fix = models.CharField(max_length=10, choices=Fix.choices, blank=True)
    fix_requested_at = models.DateTimeField(null=True, blank=True)
    fix_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fix_job = models.ForeignKey(ProvisioningJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Adopt: the service staff chose and the marker written on the panel (kept for a retry of the call).
    adopt_service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    adopt_marker = models.CharField(max_length=64, blank=True)
    fix_error = models.TextField(blank=True)
    # Set when the daily report told staff about it.
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["connection", "kind", "username"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "username"],
                condition=Q(resolved_at__isnull=True),
                name="finding_open_once",
            ),
        ]
        permissions = [("fix_finding", "Can fix a reconciliation finding")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username}@{self.connection}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class DailyReport(models.Model):
    """The automation run's once-a-day reconciliation: one row per business date."""

    date = models.DateField(unique=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    new_findings = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return str(self.date)
