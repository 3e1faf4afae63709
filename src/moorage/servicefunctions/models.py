"""Service Notes, Status Updates, Downloads and the client's per-service switches (auto renewal,
auto payment)."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import Product
from moorage.provisioning.models import ServerGroup
from moorage.services.models import CancellationRequest, Service


class ServiceOptions(models.Model):
    """The client's switches on one service. A missing row means the defaults (both off)."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="function_options")
    # Service Auto Payment: renewal invoices are paid from the credit balance when issued.
    auto_payment = models.BooleanField(default=False)
    # Service Auto Renewal turned off by the client: the end-of-period cancellation request it made
    # (withdrawn again when the client turns renewal back on before the period ends).
    renewal_off_request = models.OneToOneField(
        CancellationRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"options of service {self.service_id}"


class ServiceNote(models.Model):
    """A note staff wrote on a service; the client sees it only when marked visible."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="function_notes")
    body = models.TextField(max_length=5000)
    visible_to_client = models.BooleanField(default=False, help_text="Shown on the client's service page")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"note #{self.pk} on service {self.service_id}"


class StatusUpdate(models.Model):
    """A maintenance, incident or information update for the services of some products or of the
    app connections of some server groups, shown to their clients while it is current."""

    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        MAINTENANCE = "maintenance", _("Maintenance")
        INCIDENT = "incident", _("Incident")

    title = models.CharField(max_length=200)
    body = models.TextField(max_length=10000, blank=True)
    severity = models.CharField(max_length=12, choices=Severity.choices, default=Severity.INFO)
    starts_at = models.DateTimeField(help_text="Shown to clients from this moment")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Hidden after this moment; empty: until edited")
    products = models.ManyToManyField(Product, blank=True, related_name="status_updates")
    server_groups = models.ManyToManyField(ServerGroup, blank=True, related_name="status_updates")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="statusupdate_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_current(self, now: dt.datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


class DownloadsStorage(FileSystemStorage):
    """Files of Downloads: under MOORAGE_DATA_DIR/media/downloads (read at each use, so a changed
    setting applies), with no URL: they are served only by the client area's permission-checked view."""

    @property
    def base_location(self) -> str:
        return str(Path(settings.DATA_DIR) / "media" / "downloads")

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self) -> None:  # type: ignore[override]
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Downloads have no public URL")


def downloads_storage() -> FileSystemStorage:
    return DownloadsStorage()


def _upload_to(instance: ProductDownload, filename: str) -> str:
    # Only a directory per product and a random part: the client's name of the file is kept in
    # `filename` (sanitised) and sent in Content-Disposition, never used as a path.
    return f"product-{instance.product_id}/{secrets.token_hex(16)}"


class ProductDownload(models.Model):
    """A file staff attached to a product (Downloads): clients with an active service of the product
    may download it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="downloads")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    file = models.FileField(upload_to=_upload_to, storage=downloads_storage, max_length=255)
    filename = models.CharField(max_length=150, help_text="The name the client's browser saves it under")
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title
