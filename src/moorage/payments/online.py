"""Online payments: a client pays an invoice at a provider (checkout), the provider tells us what
happened (verified webhook or server-side fetch), Service Auto Payment charges a saved card, staff
refund through the gateway and resolve held payments.

No remote call happens inside a database transaction: each use case writes its intent, commits,
calls the provider, then records the answer in a new transaction. What a provider reports is
applied once: the event id is a unique row, a payment is unique per (gateway, transaction id), a
refund per (gateway, refund id), a Service Auto Payment charge per invoice.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from moorage.billing.actions import clean_amount, lock_invoice, record_refund_paid_out
from moorage.billing.models import Invoice, Payment
from moorage.billing.queries import invoice_outstanding, refundable_amount
from moorage.core.actions import audit
from moorage.core.errors import Conflict, DomainError, NotFound
from moorage.core.models import User
from moorage.core.money import MAX_AMOUNT
from moorage.customers.models import Client
from moorage.notifications.actions import notify, notify_staff
from moorage.payments import registry
from moorage.payments.actions import record_payment
from moorage.payments.interface import (
    ACTION_REQUIRED,
    FAILED,
    PAID,
    PENDING,
    PERMANENT,
    REFUNDED,
    CheckoutRequest,
    GatewayError,
    GatewayEvent,
    GatewayModule,
    SavedMethod,
)
from moorage.payments.models import (
    AutoCharge,
    Checkout,
    GatewayRefund,
    HeldPayment,
    SavedPaymentMethod,
    WebhookEvent,
)

log = logging.getLogger(__name__)
CENT = Decimal("0.01")

# What `gateway_event_apply` did with an event (stored on the WebhookEvent, returned to callers).
DUPLICATE = "duplicate"


class GatewayUnavailable(DomainError):
    """The provider could not be asked (or refused); the client may try again."""

    code = "gateway_error"
    status = 502


CHECKOUTS_PER_HOUR = 20


class TooManyCheckouts(DomainError):
    code = "too_many_checkouts"
    status = 429


def _money(value: Decimal | None) -> Decimal | None:
    """A provider's amount in cents; None for what is not a finite amount up to the money column's
    bound (it is then held or ignored, never recorded)."""
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        return None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        return None
    return amount.quantize(CENT)


def _site_url(base_url: str) -> str:
    base = (settings.MOORAGE_SITE_URL or base_url or "").rstrip("/")
    if not base:
        raise DomainError("MOORAGE_SITE_URL is not set: the provider would not know where to send the client back")
    return base


# --- checkout --------------------------------------------------------------------------------------


def _active_method(client_id: int, gateway: str) -> SavedPaymentMethod | None:
    return (
        SavedPaymentMethod.objects.filter(client_id=client_id, gateway=gateway, active=True)
        .order_by("-created_at", "-id")
        .first()
    )


def checkout_start(
    *,
    client_id: int,
    invoice_id: int,
    gateway: str,
    save_method: bool,
    now: dt.datetime,
    base_url: str = "",
) -> tuple[Checkout, str]:
    """A client starts paying an invoice at a provider: returns the checkout and the provider's page
    to send the browser to. The amount is what is still due (credit already applied counts)."""
    module = registry.gateway(gateway)
    if not module.online:
        raise DomainError(f"{registry.display_name(gateway)} is not paid online", field="gateway", code="not_online")
    if save_method and not module.supports_saved_methods:
        raise DomainError(
            f"{registry.display_name(gateway)} cannot keep a card for Service Auto Payment", field="save_method"
        )
    site = _site_url(base_url)
    # Each start is a call to the provider: a client (or a script with their session) may not make
    # Moorage hammer it.
    recent = Checkout.objects.filter(client_id=client_id, created_at__gt=now - dt.timedelta(hours=1)).count()
    if recent >= CHECKOUTS_PER_HOUR:
        raise TooManyCheckouts(
            f"too many payment attempts in the last hour ({recent}); please wait a while or contact us",
            field="gateway",
        )
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.filter(pk=invoice_id, client_id=client_id).values_list("pk", flat=True).first()
        if invoice is None:
            raise NotFound(f"no invoice with id {invoice_id}", field="invoice")
        invoice = lock_invoice(invoice)
        if invoice.status != Invoice.Status.UNPAID:
            raise DomainError(
                f"invoice {invoice.display_number} is {invoice.get_status_display().lower()}",
                field="invoice",
                code=f"invoice_{invoice.status}",
            )
        due = invoice_outstanding(invoice)
        if due <= 0:
            raise DomainError(
                f"nothing is due on invoice {invoice.display_number}", field="invoice", code="nothing_due"
            )
        checkout = Checkout.objects.create(
            gateway=gateway,
            invoice=invoice,
            client=invoice.client,
            amount=due,
            currency=invoice.currency,
            save_method=save_method,
            created_at=now,
            updated_at=now,
        )
    client: Client = invoice.client
    saved = _active_method(client.pk, gateway)
    request = CheckoutRequest(
        reference=checkout.reference,
        invoice_id=invoice.pk,
        invoice_number=invoice.display_number,
        description=f"{settings.MOORAGE_COMPANY_NAME} invoice {invoice.display_number}",
        amount=due,
        currency=invoice.currency.upper(),
        client_id=client.pk,
        client_email=client.user.email,
        client_name=client.display_name,
        language=getattr(client, "language", "") or "en",
        return_url=f"{site}/pay/return/{checkout.reference}/",
        cancel_url=f"{site}/pay/cancel/{checkout.reference}/",
        save_method=save_method,
        customer_ref=saved.customer_ref if saved is not None else "",
    )
    try:
        start = module.start_checkout(request)
        if not start.redirect_url.startswith(("https://", "http://")):
            raise GatewayError(f"the provider returned no usable page address ({start.redirect_url[:60]!r})")
    except Exception as exc:  # noqa: BLE001  (a module's bug must leave a visible failed checkout too)
        message = exc.message if isinstance(exc, GatewayError) else "unexpected error"
        if not isinstance(exc, GatewayError):
            log.exception("gateway %s failed to start checkout %s", gateway, checkout.reference)
        Checkout.objects.filter(pk=checkout.pk, status=Checkout.Status.OPEN).update(
            status=Checkout.Status.FAILED, message=message[:500], updated_at=now
        )
        raise GatewayUnavailable(
            f"{registry.display_name(gateway)} could not start the payment ({message}); please try again",
            field="gateway",
        ) from exc
    Checkout.objects.filter(pk=checkout.pk).update(provider_ref=start.provider_ref[:255], updated_at=now)
    checkout.provider_ref = start.provider_ref[:255]
    return checkout, start.redirect_url


def own_checkout(*, client_id: int, reference: str) -> Checkout:
    """The client's own checkout by reference (NotFound for anyone else's: no hint it exists)."""
    checkout = (
        Checkout.objects.select_related("invoice").filter(reference=str(reference)[:64], client_id=client_id).first()
    )
    if checkout is None:
        raise NotFound("no such payment", field="reference")
    return checkout


def checkout_return(*, client_id: int, reference: str, now: dt.datetime) -> Checkout:
    """The return page: ask the provider, server to server, how the checkout ended and apply that.
    Nothing the browser brought back is read. A provider that cannot be asked leaves it as it is."""
    checkout = own_checkout(client_id=client_id, reference=reference)
    if checkout.status not in (Checkout.Status.PAID, Checkout.Status.HELD):
        if checkout.provider_ref:
            try:
                module = registry.build(checkout.gateway)
                event = module.fetch_checkout(checkout.provider_ref)
            except Exception as exc:  # noqa: BLE001  (the page says "still processing"; the webhook decides)
                log.warning("fetching checkout %s from %s failed: %s", checkout.reference, checkout.gateway, exc)
            else:
                if event.provider_ref and event.provider_ref != checkout.provider_ref:
                    log.error(
                        "gateway %s answered for %s, not %s",
                        checkout.gateway,
                        event.provider_ref,
                        checkout.provider_ref,
                    )
                else:
                    if not event.provider_ref:
                        event = _with(event, provider_ref=checkout.provider_ref)
                    gateway_event_apply(gateway=checkout.gateway, event=event, now=now)
        checkout.refresh_from_db()
    return checkout


def checkout_cancel(*, client_id: int, reference: str, now: dt.datetime) -> Checkout:
    """The client came back from the provider without paying: an open checkout is cancelled (money
    the provider reports later is still recorded)."""
    checkout = own_checkout(client_id=client_id, reference=reference)
    Checkout.objects.filter(pk=checkout.pk, status__in=[Checkout.Status.OPEN, Checkout.Status.ACTION_REQUIRED]).update(
        status=Checkout.Status.CANCELLED, updated_at=now
    )
    checkout.refresh_from_db()
    return checkout


def _with(event: GatewayEvent, **changes: object) -> GatewayEvent:
    from dataclasses import replace

    return replace(event, **changes)  # type: ignore[arg-type]


# --- applying what the provider says ------------------------------------------------------------------


@transaction.atomic(durable=True)
def gateway_event_apply(*, gateway: str, event: GatewayEvent, now: dt.datetime) -> str:
    """Apply one verified event of a provider. The event id is recorded first: the same event again
    (a replayed webhook, a reloaded return page) does nothing and returns "duplicate". Returns what
    was done, in words, also stored on the event's log row."""
    event_id = (event.event_id or "").strip()[:255]
    if not event_id:
        raise DomainError("the event has no id", field="event_id")
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                gateway=gateway,
                event_id=event_id,
                kind=event.kind[:20],
                raw_type=event.raw_type[:100],
                provider_ref=event.provider_ref[:255],
                transaction_id=event.transaction_id[:255],
                received_at=now,
            )
    except IntegrityError:
        return DUPLICATE
    outcome = _apply(gateway, event, now)
    WebhookEvent.objects.filter(pk=row.pk).update(outcome=outcome[:300])
    return outcome


def _find_checkout(gateway: str, event: GatewayEvent) -> Checkout | None | bool:
    """The checkout an event is about; None if none; False if its reference and provider id disagree.
    A provider id Moorage does not know with a known reference is the reference's checkout (a
    provider may report a payment under its own payment id, with our reference in its metadata)."""
    by_ref = by_provider = None
    if event.reference:
        by_ref = Checkout.objects.filter(gateway=gateway, reference=event.reference[:64]).first()
    if event.provider_ref:
        by_provider = Checkout.objects.filter(gateway=gateway, provider_ref=event.provider_ref[:255]).first()
    if by_provider is not None and event.reference and by_provider.reference != event.reference:
        return False  # the provider's id names one checkout, the reference another (or none)
    return by_provider or by_ref


def _apply(gateway: str, event: GatewayEvent, now: dt.datetime) -> str:
    if event.kind == PAID:
        return _apply_paid(gateway, event, now)
    if event.kind == REFUNDED:
        return _apply_refunded(gateway, event, now)
    if event.kind in (FAILED, ACTION_REQUIRED):
        checkout = _find_checkout(gateway, event)
        if not checkout:
            return "no matching checkout"
        status = Checkout.Status.FAILED if event.kind == FAILED else Checkout.Status.ACTION_REQUIRED
        changed = Checkout.objects.filter(
            pk=checkout.pk,
            status__in=[Checkout.Status.OPEN, Checkout.Status.ACTION_REQUIRED, Checkout.Status.CANCELLED],
        ).update(status=status, message=(event.message or "")[:500], updated_at=now)
        return f"checkout {checkout.reference} {status}" if changed else f"checkout {checkout.reference} left as it was"
    if event.kind == PENDING:
        return "pending: nothing to do yet"
    return "ignored"


def _hold(
    gateway: str,
    event: GatewayEvent,
    now: dt.datetime,
    *,
    reason: str,
    invoice: Invoice | None,
    client_id: int | None,
    checkout: Checkout | None,
) -> str:
    amount = _money(event.amount) or Decimal("0.00")
    held, created = HeldPayment.objects.get_or_create(
        gateway=gateway,
        transaction_id=event.transaction_id[:128],
        defaults={
            "invoice": invoice,
            "client_id": client_id,
            "checkout": checkout,
            "amount": amount,
            "currency": (event.currency or "").upper()[:3],
            "reason": reason[:300],
            "created_at": now,
        },
    )
    if not created:
        return f"held already ({held.get_status_display().lower()})"
    if checkout is not None:
        Checkout.objects.filter(pk=checkout.pk).exclude(status=Checkout.Status.PAID).update(
            status=Checkout.Status.HELD, message=reason[:500], updated_at=now
        )
    notify_staff(
        template="staff_payment_held",
        dedupe_key=f"payment_held:{held.pk}",
        now=now,
        # Plain values: the template's sandbox receives only whitelisted data (notifications/context.py).
        context={
            "payment": {
                "amount": held.amount,
                "currency": held.currency,
                "gateway": registry.display_name(gateway),
                "transaction_id": held.transaction_id,
            },
            "invoice": invoice,
            "client": invoice.client if invoice is not None else None,
            "reason": reason,
        },
        invoice_id=invoice.pk if invoice is not None else None,
    )
    audit(actor=None, action="payment_held", obj=held, now=now, message=reason, data={"amount": str(amount)})
    return f"held for staff: {reason}"


def _apply_paid(gateway: str, event: GatewayEvent, now: dt.datetime) -> str:
    txn = (event.transaction_id or "").strip()
    if not txn or len(txn) > 128:
        return "ignored: a payment without a usable transaction id"
    amount = _money(event.amount)
    currency = (event.currency or "").upper()
    if HeldPayment.objects.filter(gateway=gateway, transaction_id=txn).exists():
        return "held already"
    charge = (
        AutoCharge.objects.filter(gateway=gateway, reference=event.reference[:64]).first() if event.reference else None
    )
    checkout = None if charge is not None else _find_checkout(gateway, event)
    if checkout is False:
        return _hold(
            gateway,
            event,
            now,
            reason="the event's checkout reference and id disagree",
            invoice=None,
            client_id=None,
            checkout=None,
        )
    if charge is None and checkout is None:
        existing = Payment.objects.filter(gateway=gateway, transaction_id=txn).first()
        if existing is not None:
            return f"payment {txn} recorded already"
        return _hold(
            gateway,
            event,
            now,
            reason="no checkout of Moorage matches this payment",
            invoice=None,
            client_id=None,
            checkout=None,
        )
    asked = charge if charge is not None else checkout
    assert asked is not None
    invoice = asked.invoice
    if amount is None or amount <= 0 or currency != asked.currency or amount != asked.amount:
        return _hold(
            gateway,
            event,
            now,
            reason=f"{amount} {currency} paid where {asked.amount} {asked.currency} was asked",
            invoice=invoice,
            client_id=asked.client_id,
            checkout=checkout if isinstance(checkout, Checkout) else None,
        )
    try:
        with transaction.atomic():
            payment, created = record_payment(
                invoice_id=invoice.pk,
                amount=amount,
                gateway=gateway,
                transaction_id=txn,
                currency=currency,
                now=now,
                actor=None,
                note=f"{'Service Auto Payment' if charge is not None else 'Checkout'} {asked.reference}",
            )
    except DomainError as exc:
        if exc.code == "retry":
            raise  # the invoice changed under us: nothing is recorded, the provider delivers again
        return _hold(
            gateway,
            event,
            now,
            reason=f"not applied: {exc.message}",
            invoice=invoice,
            client_id=asked.client_id,
            checkout=checkout if isinstance(checkout, Checkout) else None,
        )
    if charge is not None:
        AutoCharge.objects.filter(pk=charge.pk).update(
            status=AutoCharge.Status.PAID, transaction_id=txn, payment=payment, finished_at=now
        )
        if charge.method_id:
            SavedPaymentMethod.objects.filter(pk=charge.method_id).update(last_used_at=now)
    else:
        assert isinstance(checkout, Checkout)
        Checkout.objects.filter(pk=checkout.pk).update(
            status=Checkout.Status.PAID, payment=payment, message="", updated_at=now
        )
        if checkout.save_method and event.saved_method is not None:
            _save_method(checkout.client_id, gateway, event.saved_method, now)
    return f"payment {txn} recorded" if created else f"payment {txn} recorded already"


def _save_method(client_id: int, gateway: str, method: SavedMethod, now: dt.datetime) -> SavedPaymentMethod:
    """Keep the card the client agreed to keep (once: the same token is not stored twice)."""
    for existing in SavedPaymentMethod.objects.filter(client_id=client_id, gateway=gateway, active=True):
        try:
            if existing.token == method.token:
                return existing
        except ValueError:
            continue
    saved = SavedPaymentMethod(
        client_id=client_id,
        gateway=gateway,
        customer_ref=method.customer_ref[:255],
        label=(method.label or "Saved card")[:200],
        consent_at=now,
        created_at=now,
    )
    saved.token = method.token
    saved.save()
    audit(
        actor=None,
        action="payment_method_saved",
        obj=saved,
        now=now,
        message=f"{saved.label} kept for Service Auto Payment.",
    )
    return saved


def _refunded_so_far(payment: Payment) -> Decimal:
    total = GatewayRefund.objects.filter(payment=payment, recorded=True).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0).quantize(CENT)


def _apply_refunded(gateway: str, event: GatewayEvent, now: dt.datetime) -> str:
    txn = (event.transaction_id or "").strip()
    payment = Payment.objects.filter(gateway=gateway, transaction_id=txn).first() if txn else None
    if payment is None or payment.invoice_id is None:
        return "refund of a payment Moorage does not know"
    amount = _money(event.amount)
    if amount is None or amount <= 0 or (event.currency or "").upper() != payment.currency:
        return f"refund not recorded: {amount} {event.currency} does not fit payment {txn}"
    refund_id = (event.refund_id or event.event_id)[:255]
    invoice = lock_invoice(payment.invoice_id)
    refund = GatewayRefund.objects.filter(gateway=gateway, refund_id=refund_id).first()
    if refund is not None and refund.recorded:
        return f"refund {refund_id} recorded already"
    if refund is None:
        refund = GatewayRefund.objects.create(
            payment=payment,
            gateway=gateway,
            refund_id=refund_id,
            amount=amount,
            currency=payment.currency,
            status=GatewayRefund.Status.DONE,
            message="reported by the provider",
            created_at=now,
        )
    _record_refund(refund, invoice, now=now, actor=None)
    return f"refund {refund_id} of {amount} recorded"


def _record_refund(refund: GatewayRefund, invoice: Invoice, *, now: dt.datetime, actor: User | None) -> None:
    payment = refund.payment
    record_refund_paid_out(
        invoice=invoice,
        payment=payment,
        amount=refund.amount,
        now=now,
        actor=actor,
        memo=f"Refunded through {registry.display_name(refund.gateway)} ({refund.refund_id or refund.idempotency_key})",
    )
    GatewayRefund.objects.filter(pk=refund.pk).update(recorded=True, status=GatewayRefund.Status.DONE)
    refund.recorded = True
    audit(
        actor=actor,
        action="payment_refund",
        obj=payment,
        now=now,
        data={"amount": str(refund.amount), "refund": refund.refund_id},
        message=f"Refund of {refund.amount} {refund.currency} through {refund.gateway}.",
    )
    notify(
        template="payment_refunded",
        client=payment.client,
        dedupe_key=f"payment_refunded:{refund.gateway}:{refund.pk}",
        now=now,
        invoice_id=invoice.pk,
        context={"payment": payment, "amount": refund.amount, "invoice": invoice},
    )


# --- staff: refund through the gateway, held payments -------------------------------------------------


def payment_refund(
    *, payment_id: int, amount: Decimal | str | None, now: dt.datetime, actor: User | None
) -> GatewayRefund:
    """Staff give money of a payment back through the gateway it came by (all that is refundable,
    or part). The refund is written first with an idempotency key, the provider is called after the
    commit, and the answer is recorded once (a webhook reporting the same refund id changes nothing)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.invoice_id is None:
        raise NotFound(f"no payment with id {payment_id}", field="payment")
    module = registry.build(payment.gateway)
    if not module.supports_refunds:
        raise DomainError(
            f"{registry.display_name(payment.gateway)} cannot refund through the gateway", field="payment"
        )
    with transaction.atomic(durable=True):
        invoice = lock_invoice(payment.invoice_id)
        in_flight = GatewayRefund.objects.filter(
            payment=payment, recorded=False, status__in=[GatewayRefund.Status.REQUESTED, GatewayRefund.Status.PENDING]
        ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
        left = refundable_amount(invoice, payment) - in_flight
        if left <= 0:
            raise DomainError("nothing of this payment is left to refund", field="amount", code="nothing_to_refund")
        amount = left if amount in (None, "") else clean_amount(amount, what="refund")  # type: ignore[arg-type]
        if amount > left:
            raise DomainError(f"at most {left} can be refunded", field="amount", code="refund_exceeds_paid")
        refund = GatewayRefund.objects.create(
            payment=payment,
            gateway=payment.gateway,
            amount=amount,
            currency=payment.currency,
            requested_by=actor if actor is not None and actor.pk else None,
            created_at=now,
        )
        audit(actor=actor, action="payment_refund_request", obj=payment, now=now, data={"amount": str(amount)})
    return _refund_call(refund, module, now=now, actor=actor)


def gateway_refund_retry(*, refund_id: int, now: dt.datetime, actor: User | None) -> GatewayRefund:
    """Staff retry a refund whose call did not get an answer (it stays "requested" and counts as in
    flight): the provider is asked again with the same idempotency key, so it refunds at most once."""
    refund = GatewayRefund.objects.select_related("payment").filter(pk=refund_id).first()
    if refund is None:
        raise NotFound(f"no refund with id {refund_id}", field="refund")
    if refund.status != GatewayRefund.Status.REQUESTED:
        raise Conflict(f"the refund is {refund.get_status_display().lower()}", field="refund")
    return _refund_call(refund, registry.build(refund.gateway), now=now, actor=actor)


def _refund_call(
    refund: GatewayRefund, module: GatewayModule, *, now: dt.datetime, actor: User | None
) -> GatewayRefund:
    payment = refund.payment
    try:
        result = module.refund(
            transaction_id=payment.transaction_id,
            amount=refund.amount,
            currency=refund.currency,
            idempotency_key=refund.idempotency_key,
        )
    except Exception as exc:  # noqa: BLE001  (a module's bug is an unknown outcome too)
        message = exc.message if isinstance(exc, GatewayError) else "unexpected error"
        if isinstance(exc, GatewayError) and exc.kind == PERMANENT:
            GatewayRefund.objects.filter(pk=refund.pk).update(status=GatewayRefund.Status.FAILED, message=message[:500])
            raise GatewayUnavailable(f"the refund was refused: {message}", field="amount") from exc
        if not isinstance(exc, GatewayError):
            log.exception("gateway %s failed to refund %s", refund.gateway, refund.idempotency_key)
        # It may have reached the provider: the refund stays requested (in flight) for Retry.
        GatewayRefund.objects.filter(pk=refund.pk).update(message=f"no answer: {message}"[:500])
        raise GatewayUnavailable(
            f"the provider did not answer ({message}); the refund may have been made: retry it from the refund's page",
            field="amount",
        ) from exc
    with transaction.atomic(durable=True):
        invoice = lock_invoice(payment.invoice_id)
        refund = GatewayRefund.objects.select_related("payment").get(pk=refund.pk)
        if refund.status != GatewayRefund.Status.REQUESTED:
            return refund  # a concurrent retry recorded it
        other = (
            GatewayRefund.objects.filter(gateway=payment.gateway, refund_id=result.refund_id)
            .exclude(pk=refund.pk)
            .first()
        )
        if other is not None:
            # The provider's webhook came first and recorded this refund: ours is the same money.
            GatewayRefund.objects.filter(pk=refund.pk).update(
                status=GatewayRefund.Status.DONE, message=f"recorded from the provider's event (#{other.pk})"
            )
            return other
        refund.refund_id = result.refund_id[:255]
        refund.status = GatewayRefund.Status.DONE if result.status == PAID else GatewayRefund.Status.PENDING
        refund.message = ""
        refund.save(update_fields=["refund_id", "status", "message"])
        if refund.status == GatewayRefund.Status.DONE:
            _record_refund(refund, invoice, now=now, actor=actor)
    return refund


@transaction.atomic(durable=True)
def held_payment_apply(*, held_id: int, now: dt.datetime, actor: User | None, invoice_id: int | None = None) -> Payment:
    """Staff apply a held payment to its invoice (or another of the same client and currency)."""
    held = HeldPayment.objects.filter(pk=held_id).first()
    if held is None:
        raise NotFound(f"no held payment with id {held_id}", field="held")
    target = invoice_id or held.invoice_id
    if target is None:
        raise DomainError("say which invoice the payment is for", field="invoice", code="required")
    invoice = Invoice.objects.filter(pk=target).first()
    if invoice is None:
        raise NotFound(f"no invoice with id {target}", field="invoice")
    if held.client_id is not None and invoice.client_id != held.client_id:
        raise DomainError("the invoice is another client's", field="invoice")
    payment, _created = record_payment(
        invoice_id=invoice.pk,
        amount=held.amount,
        gateway=held.gateway,
        transaction_id=held.transaction_id,
        currency=held.currency,
        now=now,
        actor=actor,
        note=f"Held payment applied by staff: {held.reason}"[:300],
    )
    changed = HeldPayment.objects.filter(pk=held.pk, status=HeldPayment.Status.HELD).update(
        status=HeldPayment.Status.APPLIED, payment=payment, resolved_at=now, resolved_by=actor
    )
    if not changed:
        raise Conflict("the held payment was resolved already", field="held")
    audit(actor=actor, action="held_payment_apply", obj=held, now=now, data={"invoice": invoice.number})
    return payment


@transaction.atomic(durable=True)
def held_payment_dismiss(*, held_id: int, now: dt.datetime, actor: User | None, refunded: bool = False) -> HeldPayment:
    """Staff dismiss a held payment (refunded at the provider, or not money of ours)."""
    status = HeldPayment.Status.REFUNDED if refunded else HeldPayment.Status.DISMISSED
    changed = HeldPayment.objects.filter(pk=held_id, status=HeldPayment.Status.HELD).update(
        status=status, resolved_at=now, resolved_by=actor
    )
    held = HeldPayment.objects.filter(pk=held_id).first()
    if held is None:
        raise NotFound(f"no held payment with id {held_id}", field="held")
    if not changed:
        raise Conflict("the held payment was resolved already", field="held")
    audit(actor=actor, action="held_payment_dismiss", obj=held, now=now, message=status.label)
    return held


@transaction.atomic(durable=True)
def payment_method_remove(*, client_id: int, method_id: int, now: dt.datetime, actor: User | None) -> None:
    """The client removes a saved card: it is no longer charged (kept inactive for the record)."""
    changed = SavedPaymentMethod.objects.filter(pk=method_id, client_id=client_id, active=True).update(active=False)
    if not changed:
        raise NotFound("no such payment method", field="method")
    method = SavedPaymentMethod.objects.get(pk=method_id)
    audit(actor=actor, action="payment_method_remove", obj=method, now=now, message=f"{method.label} removed.")
