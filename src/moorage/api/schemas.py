"""Request and response shapes of API v1; amounts travel as decimal strings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class ClientIn(Schema):
    email: str
    password: str | None = None
    status: str = "active"
    group: str | None = Field(None, description="Client group name")
    first_name: str = ""
    last_name: str = ""
    organization: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    country: str = ""
    phone: str = ""
    account_type: str = ""
    custom_fields: dict[str, Any] = Field(default_factory=dict, description="Answers to custom registration fields")


class ClientOut(Schema):
    id: int
    email: str
    status: str
    group: str | None
    first_name: str
    last_name: str
    organization: str
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str
    country: str
    phone: str
    account_type: str
    custom_fields: dict[str, Any]
    credit_balance: str
    created_at: dt.datetime


class PriceOut(Schema):
    cycle: str
    amount: str
    setup_fee: str
    upgrade_fee: str


class OrderPageOut(Schema):
    id: int
    name: str
    slug: str
    parent_id: int | None
    contains: str
    order_type: str
    description: str
    visible: bool


class ProductOut(Schema):
    id: int
    order_page_id: int
    name: str
    code: str
    description: str
    tags: list[str]
    visible: bool
    price_type: str
    billing_type: str
    stock_enabled: bool
    stock: int
    limit_per_customer: int | None
    hostname_required: bool
    hostname_validation: str
    prices: list[PriceOut]


class OrderItemIn(Schema):
    product_id: int
    cycle: str = ""
    hostname: str = ""


class OrderIn(Schema):
    client_id: int
    items: list[OrderItemIn]
    notes: str = ""


class ServiceOut(Schema):
    id: int
    client_id: int
    product_id: int
    product: str
    status: str
    status_reason: str
    cycle: str
    recurring_amount: str
    hostname: str
    created_at: dt.datetime
    start_date: dt.date | None
    next_due_date: dt.date | None
    expiry_date: dt.date | None
    anchor_day: int | None


class InvoiceLineOut(Schema):
    id: int
    kind: str
    description: str
    amount: str
    service_id: int | None
    cycle: str
    period_start: dt.date | None
    period_end: dt.date | None


class InvoiceOut(Schema):
    id: int
    number: str
    client_id: int
    kind: str
    status: str
    currency: str
    issue_date: dt.date
    due_date: dt.date
    paid_date: dt.date | None
    total: str
    amount_paid: str
    amount_due: str
    lines: list[InvoiceLineOut]


class OrderItemOut(Schema):
    id: int
    product_id: int
    cycle: str
    hostname: str
    amount: str
    setup_fee: str
    service: ServiceOut


class OrderOut(Schema):
    id: int
    number: str
    client_id: int
    status: str
    created_at: dt.datetime
    items: list[OrderItemOut]
    invoice: InvoiceOut | None


class PaymentIn(Schema):
    amount: str = Field(..., description='Decimal string, e.g. "10.00"')
    gateway: str = "bank_transfer"
    transaction_id: str
    note: str = ""


class PaymentOut(Schema):
    id: int
    invoice_id: int | None
    gateway: str
    transaction_id: str
    amount: str
    currency: str
    received_at: dt.datetime
    created: bool
    invoice: InvoiceOut


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None
