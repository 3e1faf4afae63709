"""The registration form's fields: which built-in fields are shown and required, and custom ones."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from moorage.core.errors import DomainError
from moorage.customers.models import Client, RegistrationField

# Built-in profile fields, in form order: (key, label, kind, options, shown, required).
# The labels are stored in English (staff may rename them) and translated where a form shows them.
BUILTIN_FIELDS: list[tuple[str, str, str, str, bool, bool]] = [
    ("first_name", gettext_noop("First Name"), "text", "", True, True),
    ("last_name", gettext_noop("Last Name"), "text", "", True, True),
    ("organization", gettext_noop("Organization"), "text", "", True, False),
    ("address1", gettext_noop("Address 1"), "text", "", True, False),
    ("address2", gettext_noop("Address 2"), "text", "", True, False),
    ("city", gettext_noop("City"), "text", "", True, False),
    ("state", gettext_noop("State/Region"), "text", "", True, False),
    ("zip_code", gettext_noop("Zip Code"), "text", "", True, False),
    ("country", gettext_noop("Country"), "text", "", True, False),
    ("phone", gettext_noop("Phone Number"), "text", "", True, False),
    ("account_type", gettext_noop("Account type"), "select", "private\norganization", True, False),
]
BUILTIN_KEYS = [f[0] for f in BUILTIN_FIELDS]
MAX_LENGTHS = {f.name: f.max_length for f in Client._meta.get_fields() if getattr(f, "max_length", None)}


def ensure_builtin_fields() -> None:
    """Create the rows of the built-in fields once, so staff can hide them or make them required.

    Cheap when they exist (one count); two first requests at once cannot both insert a row.
    """
    if RegistrationField.objects.filter(builtin=True).count() >= len(BUILTIN_FIELDS):
        return
    existing = set(RegistrationField.objects.filter(builtin=True).values_list("key", flat=True))
    for order, (key, label, kind, options, shown, required) in enumerate(BUILTIN_FIELDS):
        if key in existing:
            continue
        try:
            with transaction.atomic():
                RegistrationField.objects.get_or_create(
                    key=key,
                    defaults={
                        "label": label,
                        "kind": kind,
                        "options": options,
                        "shown": shown,
                        "required": required,
                        "builtin": True,
                        "sort_order": order * 10,
                    },
                )
        except IntegrityError:
            pass  # created by a concurrent request a moment ago


def form_fields() -> list[RegistrationField]:
    """The shown fields of the registration form, in order."""
    ensure_builtin_fields()
    return list(RegistrationField.objects.filter(shown=True))


def clean_profile(data: dict[str, Any], *, enforce_required: bool = True) -> tuple[dict[str, str], dict[str, Any]]:
    """Check submitted profile values against the field configuration.

    Returns (built-in values, custom values). Raises DomainError naming the first field at fault.
    Hidden fields are ignored; unknown keys are ignored.
    """
    builtin: dict[str, str] = {}
    custom: dict[str, Any] = {}
    for field in form_fields():
        raw = data.get(field.key)
        if field.kind == RegistrationField.Kind.CHECKBOX:
            value: Any = raw in (True, "on", "true", "1", 1, "yes")
            if field.required and enforce_required and not value:
                raise DomainError(
                    _("%(label)s must be checked") % {"label": field.label}, field=field.key, code="required"
                )
        else:
            value = "" if raw is None else str(raw).strip()
            if field.required and enforce_required and not value:
                raise DomainError(_("%(label)s is required") % {"label": field.label}, field=field.key, code="required")
            if value and field.kind == RegistrationField.Kind.SELECT and value not in field.option_list:
                choices = ", ".join(field.option_list)
                raise DomainError(
                    _("%(label)s must be one of: %(choices)s") % {"label": field.label, "choices": choices},
                    field=field.key,
                    code="choice",
                )
        if field.key in BUILTIN_KEYS:
            value = str(value)
            limit = MAX_LENGTHS.get(field.key)
            if limit and len(value) > limit:
                raise DomainError(
                    _("%(label)s has at most %(limit)s characters") % {"label": field.label, "limit": limit},
                    field=field.key,
                    code="too_long",
                )
            if field.key == "country" and value:
                value = value.upper()
                if len(value) != 2 or not value.isalpha():
                    raise DomainError(
                        _("Country must be a two-letter ISO code, such as DE"), field="country", code="invalid"
                    )
            builtin[field.key] = value
        else:
            custom[field.key] = value
    if (
        builtin.get("account_type") == Client.AccountType.ORGANIZATION
        and "organization" in builtin
        and not builtin["organization"]
    ):
        raise DomainError(
            _("Organization is required for an organization account"), field="organization", code="required"
        )
    return builtin, custom
