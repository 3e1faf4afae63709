"""The registry of every notification event Moorage sends: its code, label, audience, channels,
the variables its templates may use and the sample data the staff editor previews them on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

CLIENT, STAFF = "client", "staff"

# Variables shared by several events (name → description shown beside the editor).
COMMON_VARS = {
    "company": _("Your company name (MOORAGE_COMPANY_NAME)"),
    "site_url": _("The client area's address (MOORAGE_SITE_URL)"),
}
CLIENT_VARS = {
    "client.name": _("The client's name (or company)"),
    "client.first_name": _("First name"),
    "client.last_name": _("Last name"),
    "client.company": _("Organization"),
    "client.email": _("Email address"),
    "client.id": _("Client number"),
}
SERVICE_VARS = {
    "service.id": _("Service number"),
    "service.name": _("Hostname, or the product name when there is none"),
    "service.hostname": _("Hostname"),
    "service.label": _("The client's label of the service"),
    "service.product": _("Product name"),
    "service.cycle": _("Billing cycle"),
    "service.price": _("Recurring amount per cycle"),
    "service.currency": _("Currency"),
    "service.status": _("Status"),
    "service.next_due_date": _("Next due date (use |date)"),
    "service.expiry_date": _("Expiry date: the last day of the paid period (use |date)"),
    "service.url": _("The service's page in the client area"),
}
INVOICE_VARS = {
    "invoice.number": _("Invoice number"),
    "invoice.total": _("Total"),
    "invoice.currency": _("Currency"),
    "invoice.status": _("Status"),
    "invoice.issue_date": _("Issue date (use |date)"),
    "invoice.due_date": _("Due date (use |date)"),
    "invoice.paid_date": _("Date paid (use |date)"),
    "invoice.url": _("The invoice's page in the client area"),
    "invoice.lines": _("The lines: a list of {description, amount} for {% for %}"),
}
ORDER_VARS = {
    "order.number": _("Order number"),
    "order.date": _("Order date (use |date)"),
    "order.items": _("The items: a list of {product, hostname, cycle, amount, setup_fee} for {% for %}"),
    "order.invoice": _("The order's invoice, with the invoice.* fields (empty for a free order)"),
}
PAYMENT_VARS = {
    "payment.amount": _("Amount paid"),
    "payment.currency": _("Currency"),
    "payment.gateway": _("Payment method"),
    "payment.transaction_id": _("The gateway's transaction id"),
    "payment.date": _("Date received (use |date)"),
    "payment.invoice": _("Number of the invoice it pays"),
}
DOMAIN_VARS = {
    "domain.name": _("Domain name"),
    "domain.status": _("Status"),
    "domain.expires_on": _("Expiry date (use |date)"),
    "domain.auto_renew": _("True when it renews automatically"),
    "domain.nameservers": _("Name servers: a list for {% for %}"),
}
STAFF_VARS = {"staff.name": _("The staff member's name"), "staff.email": _("The staff member's email")}

_DAY = dt.date(2026, 3, 1)
SAMPLE_CLIENT = {
    "id": 1042,
    "name": "Anna Petrova",
    "first_name": "Anna",
    "last_name": "Petrova",
    "company": "Petrova Studio",
    "email": "anna@example.com",
}
SAMPLE_SERVICE = {
    "id": 5678,
    "name": "shop.example.com",
    "hostname": "shop.example.com",
    "label": "Shop",
    "product": "Business Hosting",
    "product_id": 0,
    "cycle": "Monthly",
    "price": Decimal("12.00"),
    "currency": "USD",
    "status": "Active",
    "next_due_date": _DAY,
    "expiry_date": _DAY - dt.timedelta(days=1),
    "url": "https://billing.example.com/services/5678/",
}
SAMPLE_INVOICE = {
    "id": 88,
    "number": "000088",
    "total": Decimal("12.00"),
    "currency": "USD",
    "status": "Unpaid",
    "issue_date": _DAY - dt.timedelta(days=7),
    "due_date": _DAY,
    "paid_date": None,
    "url": "https://billing.example.com/invoices/88/",
    "lines": [{"description": "Business Hosting - shop.example.com", "amount": Decimal("12.00")}],
}
SAMPLE_ORDER = {
    "id": 31,
    "number": "000031",
    "date": _DAY - dt.timedelta(days=7),
    "items": [
        {
            "product": "Business Hosting",
            "hostname": "shop.example.com",
            "cycle": "Monthly",
            "amount": Decimal("12.00"),
            "setup_fee": Decimal("0.00"),
        }
    ],
    "invoice": SAMPLE_INVOICE,
}
SAMPLE_PAYMENT = {
    "id": 7,
    "amount": Decimal("12.00"),
    "currency": "USD",
    "gateway": "Card (Stripe)",
    "transaction_id": "pi_3Qx0000000000000",
    "date": _DAY - dt.timedelta(days=2),
    "invoice": "000088",
}
SAMPLE_LOGIN = {"panel_url": "https://panel.example.com:1500/", "username": "anna1042", "password": "s3cret-Pa55"}
SAMPLE_DOMAIN = {
    "name": "petrova-studio.com",
    "status": "Active",
    "expires_on": _DAY + dt.timedelta(days=30),
    "auto_renew": True,
    "nameservers": ["ns1.example-hosting.net", "ns2.example-hosting.net"],
}
SAMPLE_STAFF = {"name": "Ivan Admin", "email": "admin@example.com"}
SAMPLE_COMMON = {"company": "Moorage Hosting", "site_url": "https://billing.example.com"}


@dataclass(frozen=True)
class Event:
    """One kind of notification: what staff see in the editor and what the templates get."""

    code: str
    label: Any  # lazy translation
    audience: str
    variables: dict[str, Any]
    sample: dict[str, Any]
    mobile: bool = False  # also sent to the client's phone (Web Push): a title and a text
    per_product: bool = False  # a product may choose its own template ("Emails" of the product)
    description: Any = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def all_variables(self) -> dict[str, Any]:
        return {**COMMON_VARS, **self.variables}

    def sample_context(self) -> dict[str, Any]:
        return {**SAMPLE_COMMON, **self.sample}


def _client(
    code: str,
    label: Any,
    variables: dict[str, Any],
    sample: dict[str, Any],
    *,
    per_product: bool = True,
    mobile: bool = False,
    description: Any = "",
) -> Event:
    return Event(
        code=code,
        label=label,
        audience=CLIENT,
        variables={**CLIENT_VARS, **variables},
        sample={"client": SAMPLE_CLIENT, **sample},
        per_product=per_product,
        mobile=mobile,
        description=description,
    )


def _staff(code: str, label: Any, variables: dict[str, Any], sample: dict[str, Any], description: Any = "") -> Event:
    return Event(
        code=code,
        label=label,
        audience=STAFF,
        variables={**STAFF_VARS, "client.name": _("The client's name"), **variables},
        sample={"staff": SAMPLE_STAFF, "client": SAMPLE_CLIENT, **sample},
        description=description,
    )


_S = {"service": SAMPLE_SERVICE}
_I = {"invoice": SAMPLE_INVOICE}
_REASON = {"reason": _("Why (e.g. “unpaid invoice 000088”); may be empty")}
_UPGRADE_VARS = {"upgrade.from": _("The previous product"), "upgrade.to": _("The new product")}
_UPGRADE = {"upgrade": {"from": "Starter Hosting", "to": "Business Hosting"}}

EVENTS: dict[str, Event] = {
    e.code: e
    for e in [
        _client(
            "initial_order",
            _("Initial Order"),
            ORDER_VARS | INVOICE_VARS,
            {"order": SAMPLE_ORDER, "invoice": SAMPLE_INVOICE},
            description=_("Sent when the client places an order."),
        ),
        _client(
            "account_created",
            _("Account created"),
            SERVICE_VARS
            | {
                "login.panel_url": _("Control panel address"),
                "login.username": _("Control panel username"),
                "login.password": _("Control panel password (think twice before emailing it)"),
            },
            {**_S, "login": SAMPLE_LOGIN},
            mobile=True,
            description=_("Sent when the service's hosting account is ready; also a mobile notification."),
        ),
        _client(
            "account_suspended", _("Account suspended"), SERVICE_VARS | _REASON, {**_S, "reason": "unpaid invoice"}
        ),
        _client("account_unsuspended", _("Account unsuspended"), SERVICE_VARS, _S),
        _client(
            "account_terminated", _("Account terminated"), SERVICE_VARS | _REASON, {**_S, "reason": "unpaid invoice"}
        ),
        _client(
            "service_expiration",
            _("Reminder of the service expiration"),
            SERVICE_VARS | {"expiry": _("The expiry date (use |date)")},
            {**_S, "expiry": SAMPLE_SERVICE["expiry_date"]},
        ),
        _client(
            "upgrade_success",
            _("Successful upgrade"),
            SERVICE_VARS | _UPGRADE_VARS,
            {**_S, **_UPGRADE},
        ),
        _client(
            "invoice_created",
            _("Invoice created"),
            INVOICE_VARS,
            _I,
            description=_("Sent when an invoice is issued to the client."),
        ),
        _client("invoice_reminder", _("Unpaid invoice reminder"), INVOICE_VARS, _I),
        _client("invoice_overdue_1", _("First overdue notice"), INVOICE_VARS, _I),
        _client("invoice_overdue_2", _("Second overdue notice"), INVOICE_VARS, _I),
        _client("invoice_overdue_3", _("Third overdue notice"), INVOICE_VARS, _I),
        _client("invoice_custom_reminder", _("Custom invoice reminder"), INVOICE_VARS, _I),
        _client(
            "late_fee_added",
            _("Late fee added"),
            INVOICE_VARS | {"fee": _("The late fee")},
            {**_I, "fee": Decimal("1.20")},
        ),
        _client(
            "payment_received",
            _("Payment received"),
            PAYMENT_VARS | INVOICE_VARS,
            {"payment": SAMPLE_PAYMENT, "invoice": {**SAMPLE_INVOICE, "status": "Paid", "paid_date": _DAY}},
        ),
        _client(
            "payment_declined",
            _("Auto payment declined"),
            INVOICE_VARS | {"reason": _("The card issuer's reason")},
            {**_I, "reason": "Your card was declined."},
            description=_("Service Auto Payment: charging the saved card for a renewal invoice failed."),
        ),
        _client(
            "payment_refunded",
            _("Payment refunded"),
            PAYMENT_VARS | {"amount": _("The amount refunded")},
            {"payment": SAMPLE_PAYMENT, "amount": Decimal("12.00")},
        ),
        _client("order_cancelled", _("Order cancelled"), ORDER_VARS, {"order": SAMPLE_ORDER}),
        _client(
            "password_reset",
            _("Password reset"),
            {"reset_url": _("The link that sets a new password (works once)"), "valid_minutes": _("Minutes it works")},
            {"reset_url": "https://billing.example.com/password-reset/MQ/abc-123/", "valid_minutes": 60},
            per_product=False,
        ),
        _staff(
            "staff_upgrade_success",
            _("Success Upgrade"),
            SERVICE_VARS | _UPGRADE_VARS,
            {**_S, **_UPGRADE},
        ),
        _staff(
            "staff_upgrade_failed",
            _("Failed Upgrade"),
            SERVICE_VARS | _UPGRADE_VARS | {"error": _("What went wrong")},
            {**_S, **_UPGRADE, "error": "panel refused the preset"},
        ),
        _staff(
            "staff_provisioning_failed",
            _("Provisioning failed"),
            SERVICE_VARS | {"operation": _("Create, Suspend, …"), "error": _("What went wrong")},
            {**_S, "operation": "Create", "error": "connection refused"},
        ),
        _staff(
            "staff_auto_create_skipped",
            _("Account not created"),
            SERVICE_VARS | {"error": _("Why")},
            {**_S, "error": "the ispmanager module is not active"},
        ),
        _client(
            "domain_registered",
            _("Domain registered or transferred"),
            DOMAIN_VARS,
            {"domain": SAMPLE_DOMAIN},
            per_product=False,
        ),
        _client("domain_renewed", _("Domain renewed"), DOMAIN_VARS, {"domain": SAMPLE_DOMAIN}, per_product=False),
        _client(
            "domain_expiry",
            _("Domain expiry reminder"),
            DOMAIN_VARS | {"days": _("Days left before expiry")},
            {"domain": SAMPLE_DOMAIN, "days": 30},
            per_product=False,
            description=_("Sent 30, 7 and 1 days before a domain expires (MOORAGE_DOMAIN_REMINDER_DAYS)."),
        ),
        _client("domain_expired", _("Domain expired"), DOMAIN_VARS, {"domain": SAMPLE_DOMAIN}, per_product=False),
        _staff(
            "staff_domain_job_failed",
            _("Domain registrar call failed"),
            DOMAIN_VARS | {"operation": _("Register, Transfer, …"), "error": _("What went wrong")},
            {"domain": SAMPLE_DOMAIN, "operation": "Register", "error": "2302 object exists"},
        ),
        _staff(
            "staff_reconcile_findings",
            _("Panels differ from billing"),
            {
                "date": _("The business date of the daily reconciliation (use |date)"),
                "count": _("How many new findings"),
                "findings": _("The new findings: a list of {connection, kind, username, service, fix} for {% for %}"),
                "more": _("Findings beyond the listed ones"),
                "errors": _("Panels that could not be read, with the panel's error (a list of texts)"),
            },
            {
                "date": _DAY,
                "count": 1,
                "findings": [
                    {
                        "connection": "panel-1",
                        "kind": "Suspended on one side, active on the other",
                        "username": "shop",
                        "service": 5678,
                        "fix": "Resume",
                    }
                ],
                "more": 0,
                "errors": ["panel-2: connection refused"],
            },
            description=_(
                "The automation run's daily reconciliation found mismatches first seen since the last report, "
                "or could not read a panel."
            ),
        ),
        _staff(
            "staff_payment_held",
            _("Payment held for review"),
            PAYMENT_VARS | INVOICE_VARS | {"reason": _("Why it was not applied")},
            {"payment": SAMPLE_PAYMENT, **_I, "reason": "amount 10.00 USD does not match the invoice (12.00 USD)"},
            description=_("A gateway payment whose amount or currency does not match its invoice."),
        ),
    ]
}


def get(code: str) -> Event:
    try:
        return EVENTS[code]
    except KeyError:
        raise ValueError(f"unknown notification event {code!r}") from None


def choices(audience: str | None = None) -> list[tuple[str, Any]]:
    return [(e.code, e.label) for e in EVENTS.values() if audience is None or e.audience == audience]
