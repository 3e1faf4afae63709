"""Test data built through the same actions the product uses."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from moorage.catalog.actions import PREMADE_SHARED4, order_page_create
from moorage.catalog.models import OrderPage, Price, Product
from moorage.core.models import User
from moorage.customers.actions import client_register
from moorage.customers.models import Client

_seq = itertools.count(1)
DEFAULT_NOW = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)
PASSWORD = "Corr3ct-Horse-Battery"


def staff_user(email: str = "staff@example.com", password: str = PASSWORD) -> User:
    return User.objects.create_superuser(email=email, password=password, first_name="Staff")


def client(*, now: dt.datetime = DEFAULT_NOW, email: str | None = None, **profile) -> Client:  # noqa: ANN003
    email = email or f"client{next(_seq)}@example.com"
    profile = {"first_name": "Jane", "last_name": "Doe", **profile}
    return client_register(email=email, password=PASSWORD, profile=profile, now=now)


def shared_page(*, now: dt.datetime = DEFAULT_NOW, name: str = "Shared Hosting") -> OrderPage:
    return order_page_create(name=name, now=now, actor=None, premade=PREMADE_SHARED4)


def product(
    page: OrderPage,
    *,
    name: str = "Plan",
    prices: dict[str, str] | None = None,
    setup_fee: str = "0.00",
    **fields,
) -> Product:  # noqa: ANN003
    """A product on `page` with prices {cycle: amount}; recurring monthly 10.00 unless told."""
    prices = {"monthly": "10.00"} if prices is None else prices
    obj = Product.objects.create(order_page=page, name=name, **fields)
    for cycle, amount in prices.items():
        Price.objects.create(product=obj, cycle=cycle, amount=Decimal(amount), setup_fee=Decimal(setup_fee))
    return obj


# --- Scenario helpers: checkout, payment, and reading back what the money state is. ---


def checkout(
    client_obj: Client,
    product_obj: Product,
    *,
    cycle: str = "monthly",
    hostname: str = "example.com",
    now: dt.datetime = DEFAULT_NOW,
    actor: User | None = None,
):
    """Order one product through the real checkout action."""
    from moorage.orders.actions import CartItem, order_checkout

    return order_checkout(client=client_obj, items=[CartItem(product_obj.pk, cycle, hostname)], now=now, actor=actor)


def pay(
    invoice,
    amount: str,
    *,
    transaction_id: str,
    now: dt.datetime = DEFAULT_NOW,
    gateway: str = "bank_transfer",
    actor: User | None = None,
):
    """Record a bank transfer for `invoice` through the real payment action."""
    from moorage.payments.actions import payment_record

    return payment_record(
        invoice_id=invoice.pk,
        amount=amount,
        gateway=gateway,
        transaction_id=transaction_id,
        now=now,
        actor=actor,
    )


def paid_service(
    client_obj: Client,
    product_obj: Product,
    *,
    now: dt.datetime = DEFAULT_NOW,
    hostname: str = "example.com",
    cycle: str = "monthly",
):
    """Order one product and pay its first invoice in full (real actions); returns the service."""
    order = checkout(client_obj, product_obj, cycle=cycle, hostname=hostname, now=now)
    pay(order.invoice, str(order.invoice.total), transaction_id=f"T-{order.pk}", now=now)
    return order.items.get().service


def ledger_rows(client_obj: Client) -> list[tuple[str, str, str, int | None]]:
    """The client's ledger as (account, kind, amount, invoice number), oldest first."""
    from moorage.billing.models import LedgerEntry

    return [
        (e.account, e.kind, str(e.amount), e.invoice.number if e.invoice_id else None)
        for e in LedgerEntry.objects.filter(client=client_obj).select_related("invoice").order_by("id")
    ]


def invoice_lines(invoice) -> list[tuple]:
    """An invoice's lines as (kind, description, amount, cycle, period start, period end)."""
    return [
        (
            line.kind,
            line.description,
            str(line.amount),
            line.cycle,
            line.period_start,
            line.period_end,
        )
        for line in invoice.lines.order_by("id")
    ]


def expected_balance(client_obj: Client) -> Decimal:
    """Invoiced − paid − credits, from the documents rather than the ledger."""
    from moorage.billing.models import Invoice, LedgerEntry, Payment

    invoiced = sum(
        (i.total for i in Invoice.objects.filter(client=client_obj).exclude(status="cancelled")),
        Decimal("0.00"),
    )
    paid = sum((p.amount for p in Payment.objects.filter(client=client_obj)), Decimal("0.00"))
    credits = sum(
        (
            e.amount
            for e in LedgerEntry.objects.filter(client=client_obj, account="credit", kind="credit_added", invoice=None)
        ),
        Decimal("0.00"),
    )
    return invoiced - paid - credits


def snapshot() -> dict[str, list[tuple]]:
    """Every domain row, for "nothing changed" assertions after a refused action."""
    from django.apps import apps

    labels = [
        "core.User",
        "core.AuditEntry",
        "core.Sequence",
        "customers.Client",
        "catalog.Product",
        "catalog.Price",
        "orders.Order",
        "orders.OrderItem",
        "services.Service",
        "services.ServiceStatusChange",
        "billing.Invoice",
        "billing.InvoiceLine",
        "billing.Payment",
        "billing.LedgerEntry",
    ]
    return {label: list(apps.get_model(label).objects.order_by("pk").values_list()) for label in labels}
