"""Order forms: a product's form fields, their priced options, and the answers stored with a service."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import MONEY, Product
from moorage.services.models import Service


class FormField(models.Model):
    """A field of a product's order form (Components tab: Add new form field, Import, Copy from product).

    Written by staff (the product page, the import and copy actions). A field's own prices and limits are
    per unit: a number field's quantity, a ticked checkbox, a filled text field, a hidden field's value.
    Select and radio fields are priced by their options instead.
    """

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        TEXTAREA = "textarea", _("Text area")
        SELECT = "select", _("Select")
        RADIO = "radio", _("Radio buttons")
        CHECKBOX = "checkbox", _("Checkbox")
        NUMBER = "number", _("Number (quantity)")
        HIDDEN = "hidden", _("Hidden")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="form_fields")
    # The answer's key in carts, the API and the provisioning options; stable once services use it.
    code = models.SlugField(max_length=50)
    label = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)
    required = models.BooleanField(default=False)
    client_editable = models.BooleanField(
        default=False, help_text=_("The client may change the answer later (Edit Forms).")
    )
    help = models.CharField(max_length=500, blank=True)
    sort = models.IntegerField(default=0)
    # Used when the client gives no answer; the only value a hidden field ever has. For a select or
    # radio field it is an option's value; for a checkbox "1" or "0".
    default = models.CharField(max_length=500, blank=True)
    # Number fields: the quantity allowed (min defaults to 0).
    min_value = models.PositiveIntegerField(null=True, blank=True)
    max_value = models.PositiveIntegerField(null=True, blank=True)
    one_time_price = models.DecimalField(**MONEY, default=0, help_text=_("Per unit, on the first invoice only."))
    recurring_price = models.DecimalField(**MONEY, default=0, help_text=_("Per unit and billing cycle."))
    # Panel limits added per unit, e.g. {"limit_quota": 1024}: integers, the module's field names.
    limits = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["product", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["product", "code"], name="formfield_code_per_product")]

    def __str__(self) -> str:
        return self.label


class FormFieldOption(models.Model):
    """A choice of a select or radio field, with what choosing it costs and adds to the panel limits."""

    field = models.ForeignKey(FormField, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=200)
    value = models.CharField(max_length=100)
    sort = models.IntegerField(default=0)
    one_time_price = models.DecimalField(**MONEY, default=0)
    recurring_price = models.DecimalField(**MONEY, default=0)
    limits = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["field", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["field", "value"], name="formfieldoption_value_per_field")]

    def __str__(self) -> str:
        return self.label


class ServiceFormAnswer(models.Model):
    """The client's answer to one field of the order form, kept with the service.

    Written at checkout (orderforms.checkout.place) and by Edit Forms (orderforms.actions). The label
    is copied so the answer still reads right when staff rename or delete the field.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="form_answers")
    field = models.ForeignKey(FormField, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers")
    code = models.SlugField(max_length=50)
    label = models.CharField(max_length=200)
    value = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["service", "id"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="serviceformanswer_code_per_service")]

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"


class PendingFormEdit(models.Model):
    """An Edit Forms change that waits for its invoice (a higher price, a one-time price): the new
    answers apply when that invoice is paid (`orderforms.actions.apply_paid_form_edits`).

    Written by `service_form_edit` (pending), closed by the payment (applied), by the client or staff
    withdrawing it, or when its invoice is found cancelled (cancelled). One pending change per service.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        APPLIED = "applied", _("Applied")
        CANCELLED = "cancelled", _("Cancelled")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="pending_form_edits")
    # The product whose form the answers belong to; a service moved to another product meanwhile
    # does not take them.
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    # The new answers, field code → value (checked when submitted, checked again when applied).
    answers = models.JSONField(default=dict)
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="pending_form_edits"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    by_staff = models.BooleanField(default=False)
    # The last day the invoice bills the new price for (the running period, or a later one already
    # invoiced); a period billed after it at the old price gets the difference when the change applies.
    covered_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    # Set once, when the status leaves pending.
    applied_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["service", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(status="pending"),
                name="pendingformedit_one_pending_per_service",
            )
        ]

    def __str__(self) -> str:
        return f"Form change of service {self.service_id} ({self.status})"
