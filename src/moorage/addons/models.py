"""Add-ons: a catalog of extras (dedicated IP, extra disk) assigned to products and billed with their parent service."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import MONEY, Product
from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.core.models import User
from moorage.services.models import Service, ServiceComponent

# A panel limit an add-on may raise is a name like "limit_quota" with a positive whole addition.
MAX_LIMIT_ADDITION = 10**9


def validate_limits(value: object) -> None:
    """Limits are {"limit_name": positive int}: the module adds them to the package's limits."""
    if not isinstance(value, dict):
        raise ValidationError(_('Limits must be an object such as {"limit_quota": 10240}.'))
    for name, extra in value.items():
        if not isinstance(name, str) or not name.startswith("limit_") or len(name) > 64:
            raise ValidationError(_("%(name)s is not a limit name (limit_…)") % {"name": str(name)[:64]})
        if isinstance(extra, bool) or not isinstance(extra, int) or not 0 < extra <= MAX_LIMIT_ADDITION:
            raise ValidationError(_("%(name)s must add a positive whole number") % {"name": name})


class Addon(models.Model):
    """An add-on of the catalog (dedicated IP, extra disk space): its own prices, the panel limits it
    raises and the products it is assigned to (Assign addon(s)). Edited by staff only."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=50, unique=True, help_text=_("Stable name used by import/export."))
    description = models.TextField(_("description"), blank=True)
    visible = models.BooleanField(_("visible"), default=True, help_text=_("Offered to clients when ordering."))
    # Added to the service's package limits while the add-on is active (module field names).
    limits = models.JSONField(
        _("limits"),
        default=dict,
        blank=True,
        validators=[validate_limits],
        help_text=_('Panel limits it adds, e.g. {"limit_quota": 10240} (MiB).'),
    )
    # Work the panel module cannot do (e.g. assign a dedicated IP): shown to staff as a task when the
    # add-on starts, until someone marks it done.
    staff_task = models.CharField(
        _("staff task"),
        max_length=300,
        blank=True,
        help_text=_("What staff must do by hand when it starts, e.g. assign a dedicated IP address."),
    )
    products = models.ManyToManyField(
        Product, related_name="addons", blank=True, verbose_name=_("products"), help_text=_("Assign addon(s)")
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "name", "id"]
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        """The ServiceComponent source of this add-on."""
        return f"addon:{self.pk}"


class AddonPrice(models.Model):
    """A price of an add-on for parents on one billing cycle (or one-time, for any parent)."""

    addon = models.ForeignKey(Addon, on_delete=models.CASCADE, related_name="prices")
    cycle = models.CharField(_("cycle"), max_length=16, choices=[(c.value, _(CYCLE_LABELS[c])) for c in Cycle])
    amount = models.DecimalField(_("price"), **MONEY)
    setup_fee = models.DecimalField(_("setup fee"), **MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["addon", "id"]
        constraints = [
            models.UniqueConstraint(fields=["addon", "cycle"], name="addonprice_one_row_per_cycle"),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(setup_fee__gte=0), name="addonprice_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.addon.name} {self.get_cycle_display()} {self.amount}"

    @property
    def recurring(self) -> bool:
        return self.cycle != Cycle.ONE_TIME


class ServiceAddon(models.Model):
    """An add-on of a client's service: which catalog add-on its ServiceComponent (the billed and
    limit-raising record) is, how it was bought, and its cancellation.

    Written by the add-on actions: at checkout (`origin` order) or later from the service page, when
    `invoice` is its own pro-rated invoice. The component's status says where it is: pending (that
    invoice unpaid), active, ended.
    """

    class Origin(models.TextChoices):
        ORDER = "order", _("Ordered with the service")
        LATER = "later", _("Added later")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="addon_rows")
    addon = models.ForeignKey(Addon, on_delete=models.PROTECT, related_name="service_rows")
    component = models.OneToOneField(ServiceComponent, on_delete=models.CASCADE, related_name="service_addon")
    origin = models.CharField(max_length=10, choices=Origin.choices)
    # The price per cycle when bought (kept when a cancellation stops the component's renewals).
    recurring_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # Bought later: its own invoice (pro-rated part of the running period, setup fee) and its total.
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="service_addons"
    )
    amount_charged = models.DecimalField(**MONEY, default=Decimal("0.00"))
    created_at = models.DateTimeField()
    # Cancelled: renewals no longer bill it; it ends (limits removed) on this day, the first one not paid.
    ends_on = models.DateField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The add-on's staff task (e.g. assign an IP), done when set.
    staff_task_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service", "id"]

    def __str__(self) -> str:
        return f"{self.addon.name} of service {self.service_id}"

    @property
    def status(self) -> str:
        if self.component.status == ServiceComponent.Status.ACTIVE and self.ends_on:
            return "cancelled"
        return self.component.status

    @property
    def status_label(self) -> str:
        if self.status == "cancelled":
            return str(_("Ends on %(date)s")) % {"date": self.ends_on}
        return str(self.component.get_status_display())

    @property
    def staff_task_pending(self) -> bool:
        return bool(self.addon.staff_task) and self.staff_task_done_at is None and self.status != "ended"
