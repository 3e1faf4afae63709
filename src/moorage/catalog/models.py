"""The catalog: order pages (and sub-categories), products and their prices."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.catalog import client_functions
from moorage.catalog.hostname import RULE_LABELS, HostnameRule
from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.core.errors import PermissionDenied

MONEY = {"max_digits": 12, "decimal_places": 2}


def validate_reminders(value: object) -> None:
    """Custom reminders: a list of {"days": N > 0, "when": "before" | "after"}."""
    _validate_day_list(value, extra=())


def validate_expiration_notices(value: object) -> None:
    """Expiration notifications: a list of {"days": N >= 0, "when": "before" | "after", "template": event,
    "variant": the name of one of that event's notification templates (optional)}."""
    from django.core.exceptions import ValidationError

    from moorage.notifications.models import NotificationTemplate

    _validate_day_list(value, extra=("template", "variant"), allow_zero=True)
    for i, item in enumerate(value or []):
        variant = item.get("variant")
        if variant is None:
            continue
        event = item.get("template") or "service_expiration"
        if not isinstance(variant, str) or not NotificationTemplate.objects.filter(event=event, name=variant).exists():
            raise ValidationError(f"item {i + 1}: {event} has no notification template named {variant!r}")


def _validate_day_list(value: object, *, extra: tuple[str, ...], allow_zero: bool = False) -> None:
    from django.core.exceptions import ValidationError

    from moorage.notifications.events import EVENTS

    if value is None:
        return
    if not isinstance(value, list):
        raise ValidationError('must be a list, e.g. [{"days": 3, "when": "after"}]')
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) - {"days", "when", *extra}:
            raise ValidationError(f"item {i + 1}: use the keys days, when" + "".join(f", {e}" for e in extra))
        days = item.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or days < (0 if allow_zero else 1):
            raise ValidationError(f"item {i + 1}: days must be a whole number of at least {0 if allow_zero else 1}")
        if item.get("when", "after") not in ("before", "after"):
            raise ValidationError(f"item {i + 1}: when must be before or after")
        if "template" in item and item["template"] not in EVENTS:
            raise ValidationError(f"item {i + 1}: unknown template {item['template']!r}")


PRORATION_CHOICES = [("seconds", "Seconds"), ("hours", "Hours"), ("days", "Days")]
DOWNGRADE_CREDIT_CHOICES = [
    ("no", "No, do not credit customer pro-rated amount on package downgrade"),
    ("yes", "Yes, credit customer pro-rated amount on package downgrade"),
    (
        "after_unpaid",
        "Yes, credit pro-rated amount only after client doesn't have unpaid invoices (credit downgrade queue)",
    ),
]
CANCELLATION_CHOICES = [
    ("yes", "Yes, client can cancel service using this product"),
    ("after_days", "Yes, client can cancel service after/for X days since account creation"),
    ("no", "No, client cannot cancel service with this product"),
]
PRORATE_CANCEL_CHOICES = [
    ("no", "No"),
    ("prepaid", "Yes, for pre-paid services (for immediate cancellations)"),
    ("postpaid", "Yes, for post-paid services"),
]
RENEW_CHOICES = [
    ("payment", "Renew account automatically after receiving payment"),
    ("invoice_issued", "When renewal invoice is issued"),
]
UPGRADE_CHOICES = [("on_order", "When the order is placed"), ("after_payment", "After receiving payment")]


class OrderPage(models.Model):
    """An order page of the client area (Settings → Products & Services), or a sub-category of one."""

    class Contains(models.TextChoices):
        PRODUCTS = "products", "Products"
        SUBCATEGORIES = "subcategories", "Subcategories"

    class OrderType(models.TextChoices):
        SHARED = "shared", "Shared Accounts"

    name = models.CharField(max_length=200)
    slug = models.SlugField("Order page URL", max_length=200, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subcategories",
        help_text="Set for a sub-category: the order page it belongs to",
    )
    contains = models.CharField(
        "This category will contain", max_length=20, choices=Contains.choices, default=Contains.PRODUCTS
    )
    order_type = models.CharField(max_length=20, choices=OrderType.choices, default=OrderType.SHARED)
    description = models.TextField(blank=True)
    visible = models.BooleanField(default=True, help_text="Hidden pages are not shown in the client area")
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


def default_client_functions() -> list[str]:
    return list(client_functions.DEFAULT_ENABLED)


class Product(models.Model):
    """A product (hosting plan) offered on an order page."""

    class PriceType(models.TextChoices):
        FREE = "free", "Free"
        ONE_TIME = "one_time", "One time"
        RECURRING = "recurring", "Recurring"
        METERED = "metered", "Metered"

    class BillingType(models.TextChoices):
        PREPAID = "prepaid", "Pre-paid"
        POSTPAID = "postpaid", "Post-paid"
        HYBRID = "hybrid", "Hybrid"

    class AutoCreate(models.TextChoices):
        ON_ORDER = "on_order", "When the order is placed"
        ON_PAYMENT = "on_payment", "When the first payment is received"
        CRON = "cron", "After payment received, process by cron"
        MANUAL = "manual", "Do not create automatically"

    class Layout(models.TextChoices):
        LEFT = "left", "Left menu"
        RIGHT = "right", "Right menu"
        TOP = "top", "Top menu"

    order_page = models.ForeignKey(OrderPage, on_delete=models.PROTECT, related_name="products")
    name = models.CharField("Product name", max_length=200)
    code = models.CharField("Product code", max_length=64, blank=True, help_text="Internal code, staff only")
    description = models.TextField("Product description", blank=True)
    tags = models.CharField(max_length=255, blank=True, help_text="Comma separated, staff only")
    visible = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)

    price_type = models.CharField(max_length=12, choices=PriceType.choices, default=PriceType.RECURRING)
    billing_type = models.CharField(max_length=10, choices=BillingType.choices, default=BillingType.PREPAID)

    # Stock: when enabled, `stock` is how many more can be sold (decremented at checkout).
    stock_enabled = models.BooleanField(default=False)
    stock = models.PositiveIntegerField(default=0)
    limit_per_customer = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="One customer is allowed to order X products of this type",
    )

    hostname_required = models.BooleanField("Require hostname for this product", default=True)
    hostname_validation = models.CharField(
        max_length=10,
        choices=[(r.value, RULE_LABELS[r]) for r in HostnameRule],
        default=HostnameRule.DOMAIN,
    )

    # Provisioning module name ("" = no module: the service is active when paid).
    module = models.CharField(max_length=64, blank=True)

    # Automation settings; null means "use the system default" (Settings → Automation).
    auto_create = models.CharField(max_length=12, choices=AutoCreate.choices, default=AutoCreate.ON_PAYMENT)
    adjust_initial_period = models.BooleanField(null=True, blank=True)
    first_invoice_due_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="First invoice due date set to X days after order",
    )
    invoice_generate_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Generate invoices X days before the due date",
    )
    invoice_due_before_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Invoice is expected to be paid X days before the due date",
    )
    invoice_due_move_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Move due date X days into future for recurring invoices",
    )
    full_month_billing = models.BooleanField(default=False)
    # Client Functions tab: the codes (catalog/client_functions.py) of the actions clients get on this
    # product's services, set by staff; and the Client area Layout of the service page's action menu.
    client_functions = models.JSONField(default=default_client_functions, blank=True)
    client_area_layout = models.CharField(
        "Client area Layout", max_length=5, choices=Layout.choices, default=Layout.LEFT
    )
    # Automation tab, continued (null = the system default of Settings → Automation).
    renew_on = models.CharField("Automatic Renew", max_length=16, choices=RENEW_CHOICES, null=True, blank=True)
    auto_upgrade = models.CharField("Automatic Upgrades", max_length=16, choices=UPGRADE_CHOICES, null=True, blank=True)
    suspend_enabled = models.BooleanField("Automatic Suspension", null=True, blank=True)
    suspend_days = models.PositiveIntegerField("Autosuspend after X days past due date", null=True, blank=True)
    unsuspend_enabled = models.BooleanField("Automatic Unsuspension", null=True, blank=True)
    terminate_enabled = models.BooleanField("Automatic Termination", null=True, blank=True)
    terminate_days = models.PositiveIntegerField("Terminate after X days past due date", null=True, blank=True)
    terminate_cancel_invoices = models.BooleanField(
        "Automatically cancel related unpaid invoices", null=True, blank=True
    )
    cancel_unpaid_orders_enabled = models.BooleanField("Auto-cancel unpaid orders", null=True, blank=True)
    cancel_unpaid_orders_days = models.PositiveIntegerField(
        "Cancel unpaid orders X days since creation", null=True, blank=True
    )
    process_cancellation_requests = models.BooleanField(
        "Automatic Cancellation Requests Processing", null=True, blank=True
    )
    reminders_enabled = models.BooleanField("Send payment reminder emails", null=True, blank=True)
    reminder_before_days = models.PositiveIntegerField(
        "Unpaid invoice reminder X days before due (0 = off)", null=True, blank=True
    )
    overdue_reminder_1_days = models.PositiveIntegerField(
        "1st overdue reminder X days after due (0 = off)", null=True, blank=True
    )
    overdue_reminder_2_days = models.PositiveIntegerField(
        "2nd overdue reminder X days after due (0 = off)", null=True, blank=True
    )
    overdue_reminder_3_days = models.PositiveIntegerField(
        "3rd overdue reminder X days after due (0 = off)", null=True, blank=True
    )
    custom_reminders = models.JSONField(
        validators=[validate_reminders],
        null=True,
        blank=True,
        help_text='More reminders: [{"days": 10, "when": "after"}]',
    )
    late_fee_enabled = models.BooleanField("Add Late Fee", null=True, blank=True)
    late_fee_percent = models.DecimalField("Late fee %", max_digits=6, decimal_places=2, null=True, blank=True)
    late_fee_days = models.PositiveIntegerField("Late fee Y days after the due date", null=True, blank=True)
    expiration_notices = models.JSONField(
        validators=[validate_expiration_notices],
        null=True,
        blank=True,
        help_text='Expiration notifications: [{"days": 7, "when": "before", "template": "service_expiration"}]',
    )

    # Other tab: upgrades and cancellations (null = the system default).
    upgrade_proration = models.CharField(
        "Upgrade pro-rata", max_length=8, choices=PRORATION_CHOICES, null=True, blank=True
    )
    queue_prorata = models.BooleanField("Queue Pro-rata Charges", null=True, blank=True)
    credit_on_downgrade = models.CharField(
        "Credit on Downgrade",
        max_length=16,
        choices=DOWNGRADE_CREDIT_CHOICES,
        null=True,
        blank=True,
        help_text="Empty: use system billing settings",
    )
    credit_note_on_downgrade = models.BooleanField(
        "Credit note on Downgrade", null=True, blank=True, help_text="Unknown: use system billing settings"
    )
    out_of_stock_upgrade = models.BooleanField(
        "Out-of-stock Upgrade", default=False, help_text="Allow upgrades to this product even when it is out of stock"
    )
    allow_cancellations = models.CharField(
        "Allow Cancellations", max_length=12, choices=CANCELLATION_CHOICES, null=True, blank=True
    )
    cancellation_after_days = models.PositiveIntegerField(
        "Cancel after/for X days since account creation", null=True, blank=True
    )
    cancellation_immediate = models.BooleanField("Allowed Cancellation Types: Immediate", null=True, blank=True)
    cancellation_end_of_period = models.BooleanField(
        "Allowed Cancellation Types: End of billing period", null=True, blank=True
    )
    prorate_cancellations = models.CharField(
        "Pro-rate cancellations", max_length=10, choices=PRORATE_CANCEL_CHOICES, null=True, blank=True
    )

    available_upgrades = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="+")
    # Other services: products offered on this product's configure page, each placed as a separate
    # order with its own invoice and service (docs/other-services.md).
    other_products = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="offered_with",
        verbose_name="Other services",
        help_text="Products offered with this one at checkout; each is placed as a separate order",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_page", "sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def client_function_refusal(self, code: str) -> str | None:
        """Why a client may not use Client Function `code` on this product's services, or None: the one
        question the client area, the API and the service page's menu ask."""
        return client_functions.refusal(self.client_functions, code)

    def require_client_function(self, code: str) -> None:
        """Raise PermissionDenied (403, code `function_disabled`) with the reason when the function is refused."""
        reason = self.client_function_refusal(code)
        if reason is not None:
            raise PermissionDenied(reason, field="function", code="function_disabled")

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]

    @property
    def in_stock(self) -> bool:
        return not self.stock_enabled or self.stock > 0

    @property
    def is_postpaid(self) -> bool:
        """Periods are billed after they end: post-paid products, and metered ones by nature."""
        return self.billing_type == self.BillingType.POSTPAID or self.price_type == self.PriceType.METERED


class Price(models.Model):
    """One price row of a product: a cycle with its price, setup fee and upgrade fee."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    cycle = models.CharField(max_length=16, choices=[(c.value, _(CYCLE_LABELS[c])) for c in Cycle])
    amount = models.DecimalField("Price", **MONEY)
    setup_fee = models.DecimalField(**MONEY, default=Decimal("0.00"))
    upgrade_fee = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["product", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "cycle"], name="price_one_row_per_cycle"),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(setup_fee__gte=0) & Q(upgrade_fee__gte=0),
                name="price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.get_cycle_display()} {self.amount}"


class BillingDefaults(models.Model):
    """System-wide defaults (Settings → Automation / Billing) that a product may override.

    One row (pk=1); `BillingDefaults.load()` returns it, creating it with the defaults.
    """

    adjust_initial_period = models.BooleanField(default=False)
    first_invoice_due_days = models.PositiveIntegerField(default=0)
    invoice_generate_days = models.PositiveIntegerField(default=14)
    invoice_due_before_days = models.PositiveIntegerField(default=0)
    invoice_due_move_days = models.PositiveIntegerField(default=0)
    renew_on = models.CharField("Automatic Renew", max_length=16, choices=RENEW_CHOICES, default="payment")
    auto_upgrade = models.CharField(
        "Automatic Upgrades", max_length=16, choices=UPGRADE_CHOICES, default="after_payment"
    )
    suspend_enabled = models.BooleanField("Automatic Suspension", default=True)
    suspend_days = models.PositiveIntegerField("Autosuspend after X days past due date", default=7)
    unsuspend_enabled = models.BooleanField("Automatic Unsuspension (after receiving due payment)", default=True)
    terminate_enabled = models.BooleanField("Automatic Termination", default=False)
    terminate_days = models.PositiveIntegerField("Terminate after X days past due date", default=30)
    terminate_cancel_invoices = models.BooleanField("Automatically cancel related unpaid invoices", default=True)
    cancel_unpaid_orders_enabled = models.BooleanField("Auto-cancel unpaid orders", default=False)
    cancel_unpaid_orders_days = models.PositiveIntegerField("Cancel unpaid orders X days since creation", default=14)
    process_cancellation_requests = models.BooleanField("Automatic Cancellation Requests Processing", default=True)
    reminders_enabled = models.BooleanField("Send payment reminder emails", default=True)
    reminder_before_days = models.PositiveIntegerField("Unpaid invoice reminder X days before due (0 = off)", default=7)
    overdue_reminder_1_days = models.PositiveIntegerField("1st overdue reminder X days after due (0 = off)", default=1)
    overdue_reminder_2_days = models.PositiveIntegerField("2nd overdue reminder X days after due (0 = off)", default=3)
    overdue_reminder_3_days = models.PositiveIntegerField("3rd overdue reminder X days after due (0 = off)", default=5)
    custom_reminders = models.JSONField(
        validators=[validate_reminders],
        default=list,
        blank=True,
        help_text='More reminders: [{"days": 10, "when": "after"}]',
    )
    late_fee_enabled = models.BooleanField("Add Late Fee", default=False)
    late_fee_percent = models.DecimalField("Late fee %", max_digits=6, decimal_places=2, default=Decimal("10.00"))
    late_fee_days = models.PositiveIntegerField("Late fee Y days after the due date", default=5)
    expiration_notices = models.JSONField(
        validators=[validate_expiration_notices],
        default=list,
        blank=True,
        help_text='Expiration notifications: [{"days": 7, "when": "before", "template": "service_expiration"}]',
    )
    # System-only settings.
    apply_credit_automatically = models.BooleanField("Apply credit balance to new invoices automatically", default=True)
    upgrade_proration = models.CharField("Upgrade pro-rata", max_length=8, choices=PRORATION_CHOICES, default="days")
    queue_prorata = models.BooleanField("Queue Pro-rata Charges", default=False)
    credit_on_downgrade = models.CharField(
        "Credit on Downgrade", max_length=16, choices=DOWNGRADE_CREDIT_CHOICES, default="yes"
    )
    credit_note_on_downgrade = models.BooleanField("Credit note on Downgrade", default=False)
    allow_cancellations = models.CharField(
        "Allow Cancellations", max_length=12, choices=CANCELLATION_CHOICES, default="yes"
    )
    cancellation_after_days = models.PositiveIntegerField("Cancel after/for X days since account creation", default=0)
    cancellation_immediate = models.BooleanField("Allowed Cancellation Types: Immediate", default=True)
    cancellation_end_of_period = models.BooleanField("Allowed Cancellation Types: End of billing period", default=True)
    prorate_cancellations = models.CharField(
        "Pro-rate cancellations", max_length=10, choices=PRORATE_CANCEL_CHOICES, default="no"
    )

    class Meta:
        verbose_name = verbose_name_plural = "billing defaults"

    def __str__(self) -> str:
        return "Billing defaults"

    @classmethod
    def load(cls) -> BillingDefaults:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


def product_setting(product: Product, name: str, defaults: BillingDefaults | None = None):  # noqa: ANN201
    """The product's own value of a setting, or the system default when the product has none."""
    value = getattr(product, name)
    if value is None:
        return getattr(defaults or BillingDefaults.load(), name)
    return value
