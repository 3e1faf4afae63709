"""Contract templates (versioned terms), what a product requires, and the clients' acceptances."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import Product
from moorage.core.validators import multi_line, single_line
from moorage.customers.models import Client


class ContractTemplate(models.Model):
    """An agreement (hosting terms, a licence, the privacy policy) whose text is kept in versions.

    Staff create and rename templates; the text lives in `ContractVersion` rows. A template marked
    `terms` is the Terms of Service / Privacy Policy every new client accepts when registering.
    """

    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    # Stable key of the template: product export/import names the template by it.
    code = models.SlugField(_("code"), max_length=64, unique=True)
    terms = models.BooleanField(
        _("terms of service"),
        default=False,
        help_text=_("Accepted by every new client when registering (Terms of Service, Privacy Policy)."),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> ContractVersion | None:
        """The newest published version: what a client accepts now (None before the first is published)."""
        return self.versions.filter(published_at__isnull=False).order_by("-number").first()


class ContractVersion(models.Model):
    """One text of a contract template. Immutable once a client accepted it: a change is a new version."""

    template = models.ForeignKey(ContractTemplate, on_delete=models.CASCADE, related_name="versions")
    # 1, 2, 3, … per template, given by `contract_version_add`; never reused.
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"), max_length=200_000, validators=[multi_line])
    # Set when staff publish the version (then clients accept it); a draft has none.
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["template", "-number"]
        verbose_name = _("contract version")
        verbose_name_plural = _("contract versions")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="contractversion_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"


class ProductContract(models.Model):
    """The contract template a product's orders must accept (the product's "Contract template")."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="contract")
    template = models.ForeignKey(ContractTemplate, on_delete=models.PROTECT, related_name="products")

    class Meta:
        verbose_name = _("contract template")
        verbose_name_plural = _("contract template")

    def __str__(self) -> str:
        return f"{self.product} → {self.template}"


class Acceptance(models.Model):
    """A client accepted the exact version of a contract: when, from which address, with which order.

    Written by checkout (kind "contract", with the order) and by registration (kind "terms"); never
    changed afterwards.
    """

    class Kind(models.TextChoices):
        CONTRACT = "contract", _("Contract")
        TERMS = "terms", _("Terms of service")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contract_acceptances")
    version = models.ForeignKey(ContractVersion, on_delete=models.PROTECT, related_name="acceptances")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    accepted_at = models.DateTimeField(_("accepted at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The order placed with the acceptance (orders sit above contracts: a plain id, not a key).
    order_id = models.PositiveBigIntegerField(_("order id"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        verbose_name = _("contract acceptance")
        verbose_name_plural = _("contract acceptances")
        constraints = [
            models.UniqueConstraint(fields=["client", "version", "order_id"], name="acceptance_once_per_order"),
            models.UniqueConstraint(
                fields=["client", "version"],
                condition=Q(order_id__isnull=True),
                name="acceptance_once_without_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} accepted {self.version}"
