"""The payment-received flow: payment → invoice paid → order fulfilled (services started)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from moorage.addons.actions import apply_paid_addons
from moorage.billing.actions import (
    apply_credit,
    apply_payment,
    clean_amount,
    lock_client,
    lock_invoice,
    lock_open_invoices,
)
from moorage.billing.models import Invoice, InvoiceLine, Payment
from moorage.catalog.models import BillingDefaults, product_setting
from moorage.core.actions import audit
from moorage.core.clock import business_tz, local_date
from moorage.core.errors import Conflict, DomainError, NotFound
from moorage.core.models import User
from moorage.domains.actions import invoice_paid as domain_invoice_paid
from moorage.orderforms.actions import apply_paid_form_edits
from moorage.orders.actions import fulfil_paid_order
from moorage.orders.models import Order
from moorage.payments import registry
from moorage.provisioning.actions import request_job
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.provisioning.notices import notify_service
from moorage.services import lifecycle
from moorage.services.actions import advance_due_date, lock_service
from moorage.services.locks import lock_row, lock_rows
from moorage.services.models import Service
from moorage.upgrades.actions import apply_paid_change
from moorage.upgrades.models import UpgradeRequest

OVERDUE = "overdue"


def _service_ids(invoice_ids: list[int]) -> set[int]:
    """The services that paying these invoices may touch: those they bill, those of the orders they
    settle, and those whose change waits for them."""
    ids = set(
        InvoiceLine.objects.filter(invoice_id__in=invoice_ids, service__isnull=False).values_list(
            "service_id", flat=True
        )
    )
    ids |= set(
        Order.objects.filter(invoice_id__in=invoice_ids, items__service__isnull=False).values_list(
            "items__service_id", flat=True
        )
    )
    ids |= set(UpgradeRequest.objects.filter(invoice_id__in=invoice_ids).values_list("service_id", flat=True))
    return ids


def lock_for_payment(invoice_ids: list[int]) -> list[Invoice]:
    """Inner step: lock what settling these invoices touches, in the money lock order
    (`services/locks.py`): the orders they settle, their services, the changes waiting for them,
    then the invoices.

    The services are read before any lock is held; should an invoice have gained another service
    meanwhile, the caller is told to try again rather than lock it out of order."""
    lock_rows(Order, Order.objects.filter(invoice_id__in=invoice_ids).values_list("pk", flat=True))
    service_ids = _service_ids(invoice_ids)
    lock_rows(Service, service_ids)
    waiting = UpgradeRequest.objects.filter(invoice_id__in=invoice_ids, status=UpgradeRequest.Status.PENDING_PAYMENT)
    lock_rows(UpgradeRequest, waiting.values_list("pk", flat=True))
    # The invoices paid and the services' other unpaid ones (a change applied on payment may reprice
    # an issued renewal), together by pk.
    lock_open_invoices(service_ids, also=invoice_ids)
    invoices = [lock_invoice(pk) for pk in sorted(set(invoice_ids))]
    if not _service_ids(invoice_ids) <= service_ids:
        raise Conflict(_("the invoice changed while it was being paid; try again"), field="invoice", code="retry")
    return invoices


def after_invoice_paid(invoice: Invoice, *, now: dt.datetime, actor: User | None) -> None:
    """Inner step: what follows a settled invoice. An order's first invoice starts its services; a
    renewal moves the service's next due date on (renew after payment) and lifts an overdue
    suspension once nothing of the service is overdue any more (Automatic Unsuspension)."""
    domain_invoice_paid(invoice, now=now, actor=actor)  # a domain ordered alone, or a domain renewal
    found = Order.objects.filter(invoice=invoice).values_list("pk", flat=True).first()
    order = lock_row(Order, found) if found is not None else None  # held already: the orders come first
    if order is not None:
        fulfil_paid_order(order, now=now, paid_on=invoice.paid_date or local_date(now), actor=actor)
        return
    if invoice.kind == Invoice.Kind.UPGRADE:
        apply_paid_change(invoice, now=now, actor=actor)  # Automatic Upgrades: after receiving payment
        apply_paid_addons(invoice, now=now, actor=actor)  # an add-on bought later starts when paid
        apply_paid_form_edits(invoice, now=now, actor=actor)  # an Edit Forms change applies when paid
    defaults = BillingDefaults.load()
    today = local_date(now)
    service_ids = sorted(set(invoice.lines.filter(service__isnull=False).values_list("service_id", flat=True)))
    for service_id in service_ids:
        service = lock_service(service_id)
        for line in invoice.lines.filter(service=service, kind=InvoiceLine.Kind.SERVICE).order_by("period_start"):
            if product_setting(service.product, "renew_on", defaults) == "payment":
                advance_due_date(service, period_start=line.period_start)
        unsuspend_if_settled(service, today=today, now=now, actor=actor, defaults=defaults)


def unsuspend_if_settled(
    service: Service, *, today: dt.date, now: dt.datetime, actor: User | None, defaults: BillingDefaults
) -> bool:
    """Inner step: a service suspended for non-payment, with no overdue invoice left, is unsuspended
    (through the panel when it has an account there). A manual suspension stays. True if asked."""
    if service.status != Service.Status.SUSPENDED or service.status_reason != OVERDUE:
        return False
    if not product_setting(service.product, "unsuspend_enabled", defaults):
        return False
    if overdue_invoices(service, today=today).exists():
        return False
    account = PanelAccount.objects.filter(service=service, exists_on_panel=True).first()
    if account is not None:
        request_job(
            service=service,
            operation=ProvisioningJob.Operation.UNSUSPEND,
            now=now,
            actor=actor,
            key=f"unsuspend-paid:{service.status_changes.filter(to_status='suspended').count()}",
            reason="overdue invoices paid",
        )
    else:
        lifecycle.transition(service, Service.Status.ACTIVE, now=now, actor=actor, reason="overdue invoices paid")
        notify_service(service, "account_unsuspended", now=now, key=f"unsuspended:{service.pk}:{now.isoformat()}")
    return True


def overdue_invoices(service: Service, *, today: dt.date):  # noqa: ANN201
    """Unpaid invoices billing this service whose due date has passed."""
    return Invoice.objects.filter(status=Invoice.Status.UNPAID, due_date__lt=today, lines__service=service).distinct()


def _existing(gateway: str, transaction_id: str, invoice: Invoice, amount: Decimal) -> Payment:
    existing = Payment.objects.get(gateway=gateway, transaction_id=transaction_id)
    if existing.invoice_id != invoice.pk or existing.amount != amount:
        raise Conflict(
            _(
                "transaction %(transaction_id)s of %(gateway)s was already recorded (invoice %(invoice)s, "
                "amount %(amount)s)"
            )
            % {
                "transaction_id": transaction_id,
                "gateway": gateway,
                "invoice": existing.invoice.display_number if existing.invoice else "-",
                "amount": existing.amount,
            },
            field="transaction_id",
            code="duplicate_transaction",
        )
    return existing


TRANSACTION_ID_MAX: int = Payment._meta.get_field("transaction_id").max_length  # type: ignore[assignment]
NOTE_MAX: int = Payment._meta.get_field("note").max_length  # type: ignore[assignment]


def clean_text(value: str, *, field: str, limit: int) -> str:
    """Text for a column of `limit` characters that every database stores (PostgreSQL refuses NUL)."""
    if len(value) > limit:
        raise DomainError(
            _("%(field)s has at most %(limit)s characters") % {"field": field, "limit": limit},
            field=field,
            code="too_long",
        )
    if "\x00" in value:
        raise DomainError(_("%(field)s must not contain NUL characters") % {"field": field}, field=field)
    return value


class InvalidValue(DomainError):
    """A value that is well formed but not acceptable (422, like the API's own validation)."""

    status = 422


def _received_moment(value: dt.datetime | dt.date | None, *, now: dt.datetime) -> dt.datetime:
    """When the money was received, as an aware moment; never after `now` (the business clock)."""
    if value is None:
        return now
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=business_tz())
    else:
        moment = dt.datetime.combine(value, dt.time(0), tzinfo=business_tz())
    if moment > now:
        raise InvalidValue("the money cannot have been received in the future", field="received_at", code="in_future")
    return moment


@transaction.atomic(durable=True)
def payment_record(
    *,
    invoice_id: int,
    amount: Decimal | str,
    gateway: str,
    transaction_id: str,
    now: dt.datetime,
    actor: User | None,
    note: str = "",
    currency: str | None = None,
    received_at: dt.datetime | dt.date | None = None,
) -> tuple[Payment, bool]:
    """Record money received for an invoice by hand (staff, API: a manual gateway such as bank
    transfer). Returns (payment, created).

    The same (gateway, transaction id) with the same invoice and amount returns the first payment
    and changes nothing; with other details it is refused. A `currency`, when given, must be the
    invoice's. `received_at` (default `now`) is when the money arrived, such as a bank transfer's
    value date: a date reads as the start of that day in the business time zone; it may not be after
    `now` nor before the invoice's issue date, and its date becomes the invoice's paid date.
    """
    recordable = registry.manual_gateways()
    if gateway not in recordable:
        raise DomainError(f"unknown gateway {gateway!r}; use one of: {', '.join(recordable)}", field="gateway")
    return record_payment(
        invoice_id=invoice_id,
        amount=amount,
        gateway=gateway,
        transaction_id=transaction_id,
        now=now,
        actor=actor,
        note=note,
        currency=currency,
        received_at=received_at,
    )


def record_payment(
    *,
    invoice_id: int,
    amount: Decimal | str,
    gateway: str,
    transaction_id: str,
    now: dt.datetime,
    actor: User | None,
    note: str = "",
    currency: str | None = None,
    received_at: dt.datetime | dt.date | None = None,
) -> tuple[Payment, bool]:
    """Inner step of `payment_record` and of the online gateways (`payments/online.py`): record the
    payment of any known gateway inside the caller's transaction, idempotent on (gateway,
    transaction id); the invoice and what it touches are locked in the money lock order."""
    amount = clean_amount(amount)
    received = _received_moment(received_at, now=now)
    transaction_id = clean_text((transaction_id or "").strip(), field="transaction_id", limit=TRANSACTION_ID_MAX)
    if not transaction_id:
        raise DomainError(_("the gateway's transaction id is required"), field="transaction_id", code="required")
    note = clean_text(note or "", field="note", limit=NOTE_MAX)
    if not Invoice.objects.filter(pk=invoice_id).exists():
        raise NotFound(_("no invoice with id %(invoice_id)s") % {"invoice_id": invoice_id}, field="invoice")
    (invoice,) = lock_for_payment([invoice_id])
    if currency is not None and currency != invoice.currency:
        raise DomainError(
            _("invoice %(display_number)s is in %(currency)s, not %(currency2)s")
            % {"display_number": invoice.display_number, "currency": invoice.currency, "currency2": currency},
            field="currency",
            code="currency_mismatch",
        )
    if Payment.objects.filter(gateway=gateway, transaction_id=transaction_id).exists():
        return _existing(gateway, transaction_id, invoice, amount), False
    if invoice.status == Invoice.Status.CANCELLED:
        raise DomainError(
            _("invoice %(display_number)s is cancelled and cannot be paid")
            % {"display_number": invoice.display_number},
            field="invoice",
            code="invoice_cancelled",
        )
    if invoice.status == Invoice.Status.PAID:
        raise DomainError(
            _("invoice %(display_number)s is already paid") % {"display_number": invoice.display_number},
            field="invoice",
            code="invoice_paid",
        )
    if local_date(received) < invoice.issue_date:
        raise InvalidValue(
            f"the money cannot have been received before invoice {invoice.display_number} was issued "
            f"({invoice.issue_date})",
            field="received_at",
            code="received_before_invoice",
        )
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                client=invoice.client,
                invoice=invoice,
                gateway=gateway,
                transaction_id=transaction_id,
                amount=amount,
                currency=invoice.currency,
                received_at=received,
                note=note,
                recorded_by=actor if actor is not None and actor.pk else None,
            )
    except IntegrityError:
        # Another process recorded the same transaction a moment ago.
        return _existing(gateway, transaction_id, invoice, amount), False
    audit(
        actor=actor,
        action="payment_record",
        obj=payment,
        now=now,
        data={"invoice": invoice.number, "amount": str(amount), "gateway": registry.display_name(gateway)},
    )
    if apply_payment(invoice=invoice, payment=payment, now=now, paid_on=local_date(received), actor=actor):
        after_invoice_paid(invoice, now=now, actor=actor)
    return payment, True


@transaction.atomic(durable=True)
def invoice_pay_from_credit(*, invoice_id: int, now: dt.datetime, actor: User | None) -> Decimal:
    """Pay an invoice from the client's credit balance (all of it if enough, else part). Returns the amount."""
    if not Invoice.objects.filter(pk=invoice_id).exists():
        raise NotFound(_("no invoice with id %(invoice_id)s") % {"invoice_id": invoice_id}, field="invoice")
    (invoice,) = lock_for_payment([invoice_id])
    if invoice.status != Invoice.Status.UNPAID:
        raise DomainError(
            _("invoice %(display_number)s is %(lower)s")
            % {"display_number": invoice.display_number, "lower": invoice.get_status_display().lower()},
            field="invoice",
            code=f"invoice_{invoice.status}",
        )
    used = apply_credit(invoice=invoice, now=now, paid_on=local_date(now), actor=actor)
    if used <= 0:
        raise DomainError(_("there is no credit balance to apply"), field="gateway", code="no_credit")
    audit(actor=actor, action="invoice_pay_from_credit", obj=invoice, now=now, data={"amount": str(used)})
    if invoice.status == Invoice.Status.PAID:
        after_invoice_paid(invoice, now=now, actor=actor)
    return used


def apply_client_credit(*, client_id: int, now: dt.datetime, today: dt.date) -> Decimal:
    """Inner step (Apply credit automatically, automation step 3): the client's credit pays their
    unpaid invoices, oldest due first. Locks in order: the invoices' services and waiting changes,
    the invoices, then the client (its credit). Returns the amount applied."""
    ids = list(Invoice.objects.filter(client_id=client_id, status=Invoice.Status.UNPAID).values_list("pk", flat=True))
    invoices = lock_for_payment(ids)
    lock_client(client_id)
    used = Decimal("0.00")
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.number)):
        if invoice.status != Invoice.Status.UNPAID:
            continue
        amount = apply_credit(invoice=invoice, now=now, paid_on=today)
        if amount <= 0:
            break
        used += amount
        if invoice.status == Invoice.Status.PAID:
            after_invoice_paid(invoice, now=now, actor=None)
    return used
