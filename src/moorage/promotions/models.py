"""Promotional codes: percentage or fixed discounts, on the first invoice or recurring, with limits."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import MONEY, Product
from moorage.core.cycles import Cycle
from moorage.customers.models import Client

code_format = RegexValidator(
    r"^[A-Za-z0-9_-]{1,64}\Z", _("Letters A–Z, digits, dashes and underscores only (at most 64).")
)


def validate_cycles(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValidationError(_("A list of billing cycles."))
    known = {c.value for c in Cycle}
    unknown = [c for c in value if c not in known]
    if unknown:
        raise ValidationError(_("Unknown billing cycles: %(cycles)s") % {"cycles": ", ".join(unknown)})


class PromoCode(models.Model):
    """A promotional code the client enters in the cart ("Use promotional code").

    Staff set everything but `uses`; `uses` is counted by checkout (`promotions.checkout.redeem`) with
    a conditional UPDATE, so two checkouts at once never pass `max_uses`.
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage")
        FIXED = "fixed", _("Fixed amount")

    class Applies(models.TextChoices):
        FIRST_INVOICE = "first_invoice", _("First invoice only")
        RECURRING = "recurring", _("First invoice and every renewal")

    code = models.CharField(_("code"), max_length=64, validators=[code_format])
    description = models.CharField(_("staff note"), max_length=200, blank=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PERCENT)
    # A percentage (0 < value ≤ 100) or an amount in MOORAGE_CURRENCY per eligible item.
    value = models.DecimalField(_("value"), **MONEY)
    applies = models.CharField(_("applies to"), max_length=15, choices=Applies.choices, default=Applies.FIRST_INVOICE)
    products = models.ManyToManyField(
        Product, blank=True, related_name="promo_codes", help_text=_("Empty: every product.")
    )
    cycles = models.JSONField(
        _("billing cycles"), default=list, blank=True, validators=[validate_cycles], help_text=_("Empty: every cycle.")
    )
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True, help_text=_("Empty: unlimited."))
    max_uses_per_client = models.PositiveIntegerField(
        _("maximum uses per client"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    # Orders placed with the code; counted by checkout only.
    uses = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("The last day it applies."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("promotional code")
        verbose_name_plural = _("promotional codes")
        constraints = [
            models.UniqueConstraint(Lower("code"), name="promocode_code_unique_ci"),
            models.CheckConstraint(condition=Q(value__gt=0), name="promocode_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="promocode_percent_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="promocode_uses_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.value is not None and self.value <= 0:
            raise ValidationError({"value": _("The value must be more than zero.")})
        if self.kind == self.Kind.PERCENT and self.value is not None and self.value > 100:
            raise ValidationError({"value": _("A percentage is at most 100.")})
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The last day comes before the first.")})
        if self.code and PromoCode.objects.filter(code__iexact=self.code).exclude(pk=self.pk).exists():
            raise ValidationError({"code": _("A promotional code with this code exists (codes ignore case).")})


class Redemption(models.Model):
    """One order placed with a promotional code (written by checkout, with the order)."""

    promo_code = models.ForeignKey(PromoCode, on_delete=models.PROTECT, related_name="redemptions")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="promo_redemptions")
    # orders sit above promotions: a plain id.
    order_id = models.PositiveBigIntegerField(db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        constraints = [
            models.UniqueConstraint(fields=["promo_code", "order_id"], name="redemption_once_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.promo_code} on order {self.order_id}"
