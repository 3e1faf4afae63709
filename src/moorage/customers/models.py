"""Clients, their groups, and the registration form's field configuration."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientGroup(models.Model):
    """A group of clients (Group on the client profile; None is the default)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    """A customer account (Clients → Register New Client); logs in as its user's email."""

    class AccountType(models.TextChoices):
        PRIVATE = "private", _("Private")
        ORGANIZATION = "organization", _("Organization")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        CLOSED = "closed", _("Closed")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    organization = models.CharField(max_length=200, blank=True)
    address1 = models.CharField("Address 1", max_length=200, blank=True)
    address2 = models.CharField("Address 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("State/Region", max_length=100, blank=True)
    zip_code = models.CharField("Zip code", max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    phone = models.CharField("Phone number", max_length=40, blank=True)
    # Blank means "Optional — leave blank" of the registration form.
    account_type = models.CharField(max_length=20, choices=AccountType.choices, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    group = models.ForeignKey(ClientGroup, null=True, blank=True, on_delete=models.SET_NULL)
    # Answers to custom registration fields, keyed by RegistrationField.key.
    custom_fields = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True, help_text="Staff notes, not shown to the client")
    # The language of the client's pages and emails (one of settings.LANGUAGES).
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.display_name}"

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.organization or self.user.email


class RegistrationField(models.Model):
    """One field of the registration form (Clients → Registration Fields): built-in or custom."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        SELECT = "select", _("Select")
        CHECKBOX = "checkbox", _("Checkbox")

    key = models.SlugField(max_length=50, unique=True, help_text="Name of the field in forms and the API")
    label = models.CharField(max_length=100)
    builtin = models.BooleanField(default=False, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    options = models.TextField(blank=True, help_text="For select fields: one option per line")
    shown = models.BooleanField(default=True)
    required = models.BooleanField(default=False)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def option_list(self) -> list[str]:
        return [o.strip() for o in self.options.splitlines() if o.strip()]
