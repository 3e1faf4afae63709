"""The catalog: order pages (and sub-categories), products and their prices."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.catalog.hostname import RULE_LABELS, HostnameRule

MONEY = {"max_digits": 12, "decimal_places": 2}


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
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="subcategories",
        help_text="Set for a sub-category: the order page it belongs to",
    )
    contains = models.CharField("This category will contain", max_length=20, choices=Contains.choices,
                                default=Contains.PRODUCTS)
    order_type = models.CharField(max_length=20, choices=OrderType.choices, default=OrderType.SHARED)
    description = models.TextField(blank=True)
    visible = models.BooleanField(default=True, help_text="Hidden pages are not shown in the client area")
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


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
        null=True, blank=True, help_text="One customer is allowed to order X products of this type",
    )

    hostname_required = models.BooleanField("Require hostname for this product", default=True)
    hostname_validation = models.CharField(
        max_length=10, choices=[(r.value, RULE_LABELS[r]) for r in HostnameRule], default=HostnameRule.DOMAIN,
    )

    # Provisioning module name ("" = no module: the service is active when paid).
    module = models.CharField(max_length=64, blank=True)

    # Automation settings; null means "use the system default" (Settings → Automation).
    auto_create = models.CharField(max_length=12, choices=AutoCreate.choices, default=AutoCreate.ON_PAYMENT)
    adjust_initial_period = models.BooleanField(null=True, blank=True)
    first_invoice_due_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="First invoice due date set to X days after order",
    )
    invoice_generate_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Generate invoices X days before the due date",
    )
    invoice_due_before_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Invoice is expected to be paid X days before the due date",
    )
    invoice_due_move_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Move due date X days into future for recurring invoices",
    )
    full_month_billing = models.BooleanField(default=False)

    available_upgrades = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_page", "sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]

    @property
    def in_stock(self) -> bool:
        return not self.stock_enabled or self.stock > 0


class Price(models.Model):
    """One price row of a product: a cycle with its price, setup fee and upgrade fee."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    cycle = models.CharField(max_length=16, choices=[(c.value, CYCLE_LABELS[c]) for c in Cycle])
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

    class Meta:
        verbose_name = verbose_name_plural = "billing defaults"

    def __str__(self) -> str:
        return "Billing defaults"

    @classmethod
    def load(cls) -> BillingDefaults:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


def product_setting(product: Product, name: str, defaults: BillingDefaults | None = None):  # noqa: ANN201
    """The product's own value of a setting, or the system default when the product has none."""
    value = getattr(product, name)
    if value is None:
        return getattr(defaults or BillingDefaults.load(), name)
    return value
