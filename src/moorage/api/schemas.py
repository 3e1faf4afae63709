"""Request and response shapes of API v1; amounts travel as decimal strings.

Every input is bounded here, before any action runs: text is no longer than its database column and
holds no NUL character or unpaired surrogate (PostgreSQL refuses both, SQLite stores them), ids fit
a bigint, amounts fit a money column. A refusal is a 422 naming the field, never a 500.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db import models
from ninja import Field, Header, Schema
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from moorage.api.models import IdempotencyKey
from moorage.automation.models import AutomationRun
from moorage.billing.models import Invoice, Payment
from moorage.cancellations.actions import MAX_REASON as CANCELLATION_REASON_MAX
from moorage.core.clock import business_tz
from moorage.core.models import User
from moorage.customers.models import Client, ClientGroup, RegistrationField
from moorage.notifications.models import Notification
from moorage.orderforms.answers import MAX_TEXTAREA as ANSWER_MAX_TEXTAREA
from moorage.orders.models import OrderItem
from moorage.services.models import CancellationRequest, Service
from moorage.upgrades.models import UpgradeRequest

# Text columns without a size (TextField) still get a bound in the API.
NOTES_MAX_LENGTH = 10_000
# Answers to custom registration fields are stored as JSON; bounded like a long text input.
CUSTOM_ANSWER_MAX_LENGTH = 1_000
CUSTOM_FIELDS_MAX = 100
ORDER_ITEMS_MAX = 100
# Bounds of an order item's components (a hostile payload is refused before checkout reads it).
FORM_ANSWERS_MAX = 100
FORM_ANSWER_MAX_LENGTH = ANSWER_MAX_TEXTAREA
ADDONS_MAX = 50
OTHER_PRODUCTS_MAX = 20
DOMAIN_NAME_MAX = 253
AUTH_CODE_MAX = 255
PROMO_CODE_MAX = 64
# Django hashes any password length; the bound only stops a multi-megabyte password from costing CPU.
PASSWORD_MAX_LENGTH = 1_024
# Database ids are positive bigints.
ID_MAX = 2**63 - 1


def column_size(model: type[models.Model], name: str) -> int:
    """The max_length of a model's text column: the API refuses longer text before the database sees it."""
    size = model._meta.get_field(name).max_length  # type: ignore[union-attr]
    assert size, f"{model.__name__}.{name} has no max_length"
    return size


def bad_text_reason(value: str) -> str | None:
    """Why a string cannot be stored as text (PostgreSQL refuses it), or None."""
    if "\x00" in value:
        return "must not contain NUL characters (\\u0000)"
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "must not contain unpaired surrogates (invalid Unicode)"
    return None


def _storable(value: str) -> str:
    reason = bad_text_reason(value)
    if reason:
        raise PydanticCustomError("unstorable_text", reason)
    return value


def _first_bad_text(value: Any) -> str | None:
    """The reason of the first unstorable string inside nested dicts and lists (iterative: the
    body parser has bounded the depth, but no recursion is needed either)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            reason = bad_text_reason(item)
            if reason:
                return reason
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return None


def Text(max_length: int, *, min_length: int | None = None, **field: Any) -> Any:  # noqa: N802 (reads as a type)
    """A string of at most `max_length` characters that a database can store (no NUL, no lone surrogate)."""
    return Annotated[str, Field(max_length=max_length, min_length=min_length, **field), AfterValidator(_storable)]


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Makes a retried POST safe: 1 to 64 visible ASCII characters, unique per request",
        min_length=1,
        max_length=column_size(IdempotencyKey, "key"),
        pattern=r"^[!-~]+$",
    ),
]

Id = Annotated[int, Field(ge=1, le=ID_MAX, description="A database id (1 to 2^63-1)")]

_AMOUNT_FIELD = Payment._meta.get_field("amount")
AMOUNT_PLACES: int = _AMOUNT_FIELD.decimal_places  # type: ignore[attr-defined]
AMOUNT_INTEGER_DIGITS: int = _AMOUNT_FIELD.max_digits - AMOUNT_PLACES  # type: ignore[attr-defined]
AMOUNT_PATTERN = rf"^[0-9]{{1,{AMOUNT_INTEGER_DIGITS}}}(\.[0-9]{{1,{AMOUNT_PLACES}}})?$"
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)


def _amount(value: str) -> str:
    text = value.strip()
    # ASCII digits and one point only: no exponent ("1e5"), NaN, Infinity, sign, "_" or other scripts' digits.
    if not _AMOUNT_RE.match(text):
        raise PydanticCustomError(
            "amount",
            "must be a decimal string with at most {digits} digits before the point and {places} after, "
            'such as "12.50"',
            {"digits": AMOUNT_INTEGER_DIGITS, "places": AMOUNT_PLACES},
        )
    if Decimal(text) <= 0:
        raise PydanticCustomError("amount", "must be more than 0")
    return text


Amount = Annotated[
    str,
    Field(
        description=f"Decimal string, more than 0, at most {AMOUNT_INTEGER_DIGITS} digits before the point and "
        f'{AMOUNT_PLACES} after, e.g. "10.00"',
        json_schema_extra={"pattern": AMOUNT_PATTERN},
        examples=["10.00"],
    ),
    AfterValidator(_amount),
]


class Input(Schema):
    """Base of every request body: no string anywhere in it, nested ones included, is unstorable."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_unstorable_text(cls, value: Any) -> Any:
        if isinstance(value, Schema):
            return value  # validated by its own class
        reason = _first_bad_text(value)
        if reason:
            raise PydanticCustomError("unstorable_text", reason)
        return value


def _storable_key(value: Any) -> Any:
    return _storable(value) if isinstance(value, str) else value


# Keys are registration field keys (slugs); unknown keys are ignored, so nothing else is useful.
CustomKey = Annotated[
    str,
    BeforeValidator(_storable_key),
    Field(max_length=column_size(RegistrationField, "key"), pattern=r"^[-a-zA-Z0-9_]+$"),
]


def _custom_answer(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, int) and -(2**31) <= value <= 2**31):
        return value
    if isinstance(value, str):
        if len(value) > CUSTOM_ANSWER_MAX_LENGTH:
            raise PydanticCustomError("too_long", "has at most {limit} characters", {"limit": CUSTOM_ANSWER_MAX_LENGTH})
        return _storable(value)
    raise PydanticCustomError("custom_answer", "must be text, true/false or a whole number")


# One validator rather than a union, so an error names the field and not the union member.
CustomAnswer = Annotated[
    Any,
    AfterValidator(_custom_answer),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": CUSTOM_ANSWER_MAX_LENGTH},
                {"type": "boolean"},
                {"type": "integer", "minimum": -(2**31), "maximum": 2**31},
            ]
        }
    ),
]


# The languages Moorage ships (settings.LANGUAGES): a client's pages and emails are in one of them.
LanguageCode = Literal[tuple(code for code, _name in settings.LANGUAGES)]  # type: ignore[valid-type]


class ClientIn(Input):
    email: Text(column_size(User, "email"))
    password: Text(PASSWORD_MAX_LENGTH) | None = None
    status: Text(column_size(Client, "status")) = "active"
    group: Text(column_size(ClientGroup, "name")) | None = Field(None, description="Client group name")
    first_name: Text(column_size(Client, "first_name")) = ""
    last_name: Text(column_size(Client, "last_name")) = ""
    organization: Text(column_size(Client, "organization")) = ""
    address1: Text(column_size(Client, "address1")) = ""
    address2: Text(column_size(Client, "address2")) = ""
    city: Text(column_size(Client, "city")) = ""
    state: Text(column_size(Client, "state")) = ""
    zip_code: Text(column_size(Client, "zip_code")) = ""
    country: Text(column_size(Client, "country")) = ""
    phone: Text(column_size(Client, "phone")) = ""
    account_type: Text(column_size(Client, "account_type")) = ""
    language: LanguageCode = Field("en", description="Language of the client's pages and emails")
    custom_fields: dict[CustomKey, CustomAnswer] = Field(
        default_factory=dict,
        max_length=CUSTOM_FIELDS_MAX,
        description="Answers to custom registration fields, by field key",
    )


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
    language: str
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


FormCode = Annotated[
    str, BeforeValidator(_storable_key), Field(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
]


def _form_answer(value: Any) -> str:
    """An order-form answer as the form reads it: text, or true/false (a checkbox), or a whole number."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) and 0 <= value <= 10**9:
        return str(value)
    if isinstance(value, str):
        if len(value) > FORM_ANSWER_MAX_LENGTH:
            raise PydanticCustomError("too_long", "has at most {limit} characters", {"limit": FORM_ANSWER_MAX_LENGTH})
        return _storable(value)
    raise PydanticCustomError("form_answer", "must be text, true/false or a whole number from 0")


FormAnswer = Annotated[
    Any,
    AfterValidator(_form_answer),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": FORM_ANSWER_MAX_LENGTH},
                {"type": "boolean"},
                {"type": "integer", "minimum": 0, "maximum": 10**9},
            ]
        }
    ),
]


class DomainIn(Input):
    """How the item's domain is provided (docs/domains.md); `auth_code` is write-only."""

    action: Literal["register", "transfer", "own", "subdomain"]
    name: Text(DOMAIN_NAME_MAX, min_length=1) = Field(description="The domain (or the subdomain's label and parent)")
    years: int | None = Field(None, ge=1, le=10, description="Registration or transfer years (register/transfer)")
    auth_code: Text(AUTH_CODE_MAX) = Field("", description="Transfer authorization code; never shown back")
    parent: Text(DOMAIN_NAME_MAX) = Field("", description="The offered parent domain of a subdomain")


class OtherProductIn(Input):
    product_id: Id
    cycle: Text(column_size(OrderItem, "cycle")) = ""


class OrderItemIn(Input):
    product_id: Id
    cycle: Text(column_size(OrderItem, "cycle")) = ""
    hostname: Text(column_size(OrderItem, "hostname")) = ""
    form: dict[FormCode, FormAnswer] = Field(
        default_factory=dict,
        max_length=FORM_ANSWERS_MAX,
        description="The product's order form: field code → answer (GET /products/{id}/components)",
    )
    addons: list[Id] = Field(default_factory=list, max_length=ADDONS_MAX, description="Chosen add-on ids")
    domain: DomainIn | None = None
    other_products: list[OtherProductIn] = Field(
        default_factory=list,
        max_length=OTHER_PRODUCTS_MAX,
        description="Other services offered with the product; each becomes an order of its own",
    )


class OrderIn(Input):
    client_id: Id
    items: list[OrderItemIn] = Field(..., max_length=ORDER_ITEMS_MAX)
    notes: Text(NOTES_MAX_LENGTH) = ""
    promo_code: Text(PROMO_CODE_MAX) = ""
    accept_contracts: bool = Field(
        False, description="The client accepted the contracts of the ordered products (GET /products/{id}/components)"
    )


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


class PlacedOrderOut(Schema):
    id: int
    number: str
    client_id: int
    status: str
    created_at: dt.datetime
    items: list[OrderItemOut]
    invoice: InvoiceOut | None


class OrderOut(PlacedOrderOut):
    other_orders: list[PlacedOrderOut] = Field(
        description="The orders of other services placed with this one, each with its own invoice"
    )


class FormOptionOut(Schema):
    value: str
    label: str
    one_time_price: str
    recurring_price: str


class FormFieldOut(Schema):
    code: str
    label: str
    type: str
    required: bool
    help: str
    default: str
    min_value: int | None
    max_value: int | None
    one_time_price: str
    recurring_price: str
    options: list[FormOptionOut]


class AddonPriceOut(Schema):
    cycle: str
    amount: str
    setup_fee: str


class AddonOut(Schema):
    id: int
    name: str
    code: str
    description: str
    prices: list[AddonPriceOut]


class OtherProductOut(Schema):
    id: int
    name: str
    price_type: str
    hostname_required: bool
    prices: list[PriceOut]


class TldOut(Schema):
    name: str
    register_price: str
    transfer_price: str
    renew_price: str


class DomainOptionsOut(Schema):
    enabled: bool
    allow_own_domain: bool
    only_registered_with_us: bool
    offer_subdomain: bool
    subdomain_parents: list[str]
    tlds: list[TldOut]


class ContractOut(Schema):
    template: str
    code: str
    version: int


class ProductComponentsOut(Schema):
    product_id: int
    form: list[FormFieldOut]
    addons: list[AddonOut]
    other_products: list[OtherProductOut]
    domain: DomainOptionsOut | None
    contracts: list[ContractOut] = Field(description="Contracts to accept (`accept_contracts: true`) when ordering")


class FormAnswerOut(Schema):
    code: str
    label: str
    value: str


class ServiceAddonOut(Schema):
    id: int
    addon_id: int
    name: str
    status: str
    recurring_amount: str


class ServiceComponentsOut(Schema):
    service_id: int
    form: list[FormAnswerOut]
    addons: list[ServiceAddonOut]


def _received_at(value: Any) -> dt.date | dt.datetime | None:
    """A date (YYYY-MM-DD) or an ISO date-time; one without an offset is in the business time zone."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("received_at", "must be a date (YYYY-MM-DD) or an ISO 8601 date-time")
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=business_tz())
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise PydanticCustomError(
            "received_at", "must be a date (YYYY-MM-DD) or an ISO 8601 date-time such as 2026-01-15T10:00:00Z"
        ) from exc


ReceivedAt = Annotated[
    Any,
    BeforeValidator(_received_at),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "format": "date-time"},
                {"type": "null"},
            ],
            "description": "When the money was received: a date or a date-time, not in the future and not before "
            "the invoice's issue date; default now. It becomes the invoice's paid date.",
        }
    ),
]


class PaymentIn(Input):
    amount: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = Field(
        None, description="If sent, it must be the invoice's currency (ISO 4217 code)"
    )
    gateway: Text(column_size(Payment, "gateway")) = "bank_transfer"
    transaction_id: Text(column_size(Payment, "transaction_id"))
    note: Text(column_size(Payment, "note")) = ""
    received_at: ReceivedAt = None


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


# --- Lists (cursor-paginated) -------------------------------------------------------------------


def _choice(choices: type[models.TextChoices]) -> Any:
    """A filter that takes only the model's own values: anything else is a 422, not an empty page."""
    return Literal[tuple(choices.values)]  # type: ignore[valid-type]


ClientStatus = _choice(Client.Status)
ServiceStatus = _choice(Service.Status)
InvoiceStatus = _choice(Invoice.Status)
NotificationStatus = _choice(Notification.Status)
AutomationRunStatus = _choice(AutomationRun.Status)
EmailFilter = Text(column_size(User, "email"), min_length=1)
EventFilter = Text(column_size(Notification, "template"), min_length=1)


class Page(Schema):
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last page")


class ClientPage(Page):
    items: list[ClientOut]


class ServicePage(Page):
    items: list[ServiceOut]


class InvoicePage(Page):
    items: list[InvoiceOut]


class NotificationOut(Schema):
    id: int
    client_id: int | None
    audience: str
    event: str
    to_email: str
    subject: str
    status: str
    attempts: int
    last_error: str
    service_id: int | None
    invoice_id: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


class NotificationPage(Page):
    items: list[NotificationOut]


class AutomationRunOut(Schema):
    id: int
    run_date: dt.date
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    summary: dict[str, Any]
    host: str


class AutomationRunPage(Page):
    items: list[AutomationRunOut]


# --- A service's changes: upgrades, cancellation, usage ----------------------------------------


class UpgradeOptionOut(Schema):
    product_id: int
    product: str
    cycle: str
    price: str
    upgrade_fee: str
    possible: bool
    refusal: str | None = Field(description="Why the change is not possible now, when it is not")
    kind: str | None = Field(description="upgrade, downgrade or cycle_change")
    charge: str | None = Field(description="Pro-rata charge now (negative: a downgrade credit), fee included")
    settlement: str | None
    applies_now: bool | None
    period_start: dt.date | None
    period_end: dt.date | None = Field(description="The next due date: the first day after the period")


class UpgradeIn(Input):
    product_id: Id = Field(description="The product to change to; the service's own product to change the cycle")
    cycle: Text(column_size(UpgradeRequest, "to_cycle"), min_length=1)


class UpgradeRequestOut(Schema):
    id: int
    service_id: int
    kind: str
    status: str
    settlement: str
    from_product_id: int
    from_cycle: str
    to_product_id: int
    to_cycle: str
    charge: str
    invoice_id: int | None
    created_at: dt.datetime
    applied_at: dt.datetime | None


class CancellationIn(Input):
    type: Literal[tuple(CancellationRequest.Type.values)]  # type: ignore[valid-type]
    reason: Text(CANCELLATION_REASON_MAX, min_length=1)


class CancellationOut(Schema):
    id: int
    service_id: int
    type: str
    reason: str
    status: str
    created_at: dt.datetime
    processed_at: dt.datetime | None


class MeteredUsageOut(Schema):
    resource: str
    label: str
    basis: str
    unit: str
    measured: bool
    usage: str
    included: str
    billable: str
    unit_price: str
    estimate: str


class ReadingOut(Schema):
    resource: str
    label: str
    unit: str
    value: str
    taken_at: dt.datetime


class UsageOut(Schema):
    service_id: int
    period_start: dt.date
    period_end: dt.date = Field(description="The period's last day")
    recurring_amount: str
    estimate: str = Field(description="The recurring amount plus the metered estimates so far")
    metered: list[MeteredUsageOut]
    latest: list[ReadingOut]
