"""Service Auto Payment by card: a renewal invoice still unpaid after credit is charged once on the
client's saved card, by a task, outside any transaction, with an idempotency key; a decline tells
the client and leaves the invoice to the normal reminders."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from moorage.billing.models import Invoice
from moorage.billing.queries import invoice_outstanding
from moorage.core.actions import audit
from moorage.notifications.actions import notify
from moorage.payments import registry
from moorage.payments.interface import PAID, PENDING, PERMANENT, ChargeRequest, GatewayError, GatewayEvent, SavedMethod
from moorage.payments.models import AutoCharge, SavedPaymentMethod
from moorage.payments.online import gateway_event_apply

log = logging.getLogger(__name__)


def auto_charge_queue(*, invoice: Invoice, now: dt.datetime) -> AutoCharge | None:
    """Inner step (the renewal run, after credit was applied): an unpaid renewal invoice of a client
    with an active saved card is to be charged once; the charge runs in a task after the commit."""
    if invoice.status != Invoice.Status.UNPAID:
        return None
    method = _usable_method(invoice.client_id)
    if method is None:
        return None
    try:
        with transaction.atomic():
            charge, created = AutoCharge.objects.get_or_create(
                invoice=invoice,
                defaults={
                    "client_id": invoice.client_id,
                    "method": method,
                    "gateway": method.gateway,
                    "created_at": now,
                },
            )
    except IntegrityError:
        return None
    if created:
        transaction.on_commit(lambda: _enqueue_charge(charge.pk))
    return charge


def _usable_method(client_id: int) -> SavedPaymentMethod | None:
    for method in SavedPaymentMethod.objects.filter(client_id=client_id, active=True).order_by("-created_at", "-id"):
        cls = registry.module_class(method.gateway)
        if cls is not None and cls.supports_saved_methods and registry.is_enabled(method.gateway, cls=cls):
            return method
    return None


def _enqueue_charge(charge_id: int) -> None:
    from moorage.payments.tasks import run_auto_charge

    try:
        run_auto_charge.enqueue(charge_id)
    except Exception:  # noqa: BLE001  (the cron safety net enqueues it again)
        log.exception("could not enqueue auto charge %s", charge_id)


def auto_charge_run(*, charge_id: int, now: dt.datetime) -> str:
    """The task: charge a renewal invoice on the saved card once. The charge row is claimed first
    (pending → charging), the provider is called outside any transaction with the row's reference as
    idempotency key, and the answer is recorded like a provider event."""
    with transaction.atomic(durable=True):
        charge = AutoCharge.objects.select_related("invoice", "method").filter(pk=charge_id).first()
        if charge is None or charge.status != AutoCharge.Status.PENDING:
            return "nothing to do"
        invoice = charge.invoice
        due = invoice_outstanding(invoice) if invoice.status == Invoice.Status.UNPAID else Decimal("0")
        method = charge.method
        if due <= 0 or method is None or not method.active or not registry.is_enabled(charge.gateway):
            AutoCharge.objects.filter(pk=charge.pk).update(
                status=AutoCharge.Status.SKIPPED,
                message="invoice settled" if due <= 0 else "no usable saved payment method",
                finished_at=now,
            )
            return "skipped"
        claimed = AutoCharge.objects.filter(pk=charge.pk, status=AutoCharge.Status.PENDING).update(
            status=AutoCharge.Status.CHARGING, amount=due, currency=invoice.currency, attempted_at=now
        )
        if not claimed:
            return "nothing to do"
    module = registry.build(charge.gateway)
    request = ChargeRequest(
        reference=charge.reference,
        idempotency_key=f"autopay-{charge.reference}",
        invoice_id=invoice.pk,
        invoice_number=invoice.display_number,
        description=f"{settings.MOORAGE_COMPANY_NAME} invoice {invoice.display_number} (Service Auto Payment)",
        amount=due,
        currency=invoice.currency.upper(),
        method=SavedMethod(token=method.token, customer_ref=method.customer_ref, label=method.label),
    )
    try:
        result = module.charge_saved(request)
    except GatewayError as exc:
        if exc.kind == PERMANENT:
            AutoCharge.objects.filter(pk=charge.pk).update(
                status=AutoCharge.Status.ERROR, message=exc.message[:500], finished_at=now
            )
            return f"error: {exc.message}"
        # Not reached, or unknown: the same idempotency key makes the next attempt safe.
        AutoCharge.objects.filter(pk=charge.pk).update(status=AutoCharge.Status.PENDING, message=exc.message[:500])
        return f"will retry: {exc.message}"
    if result.status == PAID:
        event = GatewayEvent(
            event_id=f"charge:{charge.reference}",
            kind=PAID,
            reference=charge.reference,
            transaction_id=result.transaction_id,
            amount=result.amount,
            currency=result.currency,
            raw_type="charge_saved",
        )
        return gateway_event_apply(gateway=charge.gateway, event=event, now=now)
    if result.status == PENDING:
        # Taken but not settled (PayPal holds a capture for review): not a decline, so the client is
        # not told it failed; the provider's webhook for this reference records the payment.
        AutoCharge.objects.filter(pk=charge.pk, status=AutoCharge.Status.CHARGING).update(
            status=AutoCharge.Status.AWAITING,
            transaction_id=(result.transaction_id or "")[:128],
            message=(result.message or "the provider is processing the payment")[:500],
        )
        return "awaiting the provider"
    with transaction.atomic(durable=True):
        AutoCharge.objects.filter(pk=charge.pk).update(
            status=AutoCharge.Status.DECLINED, message=(result.message or "declined")[:500], finished_at=now
        )
        notify(
            template="payment_declined",
            client=invoice.client,
            dedupe_key=f"payment_declined:{invoice.pk}",
            now=now,
            invoice_id=invoice.pk,
            context={
                "invoice": invoice,
                "amount": due,
                "currency": invoice.currency,
                "method": method.label,
                "reason": result.message,
            },
        )
        audit(actor=None, action="auto_payment_declined", obj=invoice, now=now, message=result.message or "declined")
    return "declined"


def auto_charge_requeue(*, real_now: dt.datetime) -> int:
    """Cron safety net: wake the task again for charges whose wake-up was lost (pending for 5
    minutes) or whose worker died mid-call (charging for 15: the idempotency key makes it safe)."""
    AutoCharge.objects.filter(
        status=AutoCharge.Status.CHARGING, attempted_at__lt=real_now - dt.timedelta(minutes=15)
    ).update(status=AutoCharge.Status.PENDING)
    ids = list(
        AutoCharge.objects.filter(status=AutoCharge.Status.PENDING)
        .filter(
            Q(attempted_at__isnull=True, created_at__lt=real_now - dt.timedelta(minutes=5))
            | Q(attempted_at__lt=real_now - dt.timedelta(minutes=5))
        )
        .values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        _enqueue_charge(pk)
    return len(ids)
