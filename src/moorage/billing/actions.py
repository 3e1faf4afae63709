"""Invoice and credit use cases, and the inner steps that flows (checkout, payment) compose."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from moorage.billing.models import CreditNote, Invoice, InvoiceLine, LedgerEntry, Payment
from moorage.billing.queries import client_credit_balance, invoice_outstanding
from moorage.core.actions import audit, next_number
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import User
from moorage.core.money import MAX_AMOUNT, ZERO, round_money, to_decimal
from moorage.customers.models import Client
from moorage.notifications.actions import notify
from moorage.services.locks import lock_row, lock_rows
from moorage.services.models import Service

E = LedgerEntry


@dataclass(frozen=True)
class LineSpec:
    """An invoice line to write: the amount may carry full precision; it is rounded when written."""

    kind: str
    description: str
    amount: Decimal
    service: Service | None = None
    cycle: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None


def _require_atomic() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("an inner billing step must run inside the action's transaction")


def lock_invoice(invoice_id: int) -> Invoice:
    """Lock one invoice row for the rest of the transaction (after its services and change
    requests, before the client: `services/locks.py`)."""
    invoice = lock_row(Invoice.objects.select_related("client"), invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice with id {invoice_id}", field="invoice")
    return invoice


def lock_invoice_services(invoice_id: int) -> list[Service]:
    """Lock the services an invoice bills (rank 1), before the invoice itself is locked."""
    ids = InvoiceLine.objects.filter(invoice_id=invoice_id, service__isnull=False).values_list("service_id", flat=True)
    return lock_rows(Service.objects.select_related("product", "client"), set(ids))


def lock_open_invoices(service_ids: set[int] | list[int], *, also: list[int] | None = None) -> list[Invoice]:
    """Lock the unpaid invoices that bill these services (and the invoices `also`), all at once by
    pk: a flow that may touch any of them takes them together, before the client."""
    ids = set(
        Invoice.objects.filter(status=Invoice.Status.UNPAID, lines__service_id__in=list(service_ids)).values_list(
            "pk", flat=True
        )
    )
    return lock_rows(Invoice.objects.select_related("client"), ids | set(also or ()))


def lock_client(client_id: int) -> Client | None:
    """Lock a client's balance (the last rank): credit is spent or removed one caller at a time."""
    return lock_row(Client, client_id)


def _ledger(
    *,
    client: Client,
    account: str,
    kind: str,
    amount: Decimal,
    now: dt.datetime,
    invoice: Invoice | None = None,
    payment: Payment | None = None,
    memo: str = "",
    actor: User | None = None,
) -> LedgerEntry:
    return LedgerEntry.objects.create(
        client=client,
        account=account,
        kind=kind,
        amount=round_money(amount),
        currency=invoice.currency if invoice else settings.MOORAGE_CURRENCY,
        invoice=invoice,
        payment=payment,
        memo=memo,
        actor=actor if actor is not None and actor.pk else None,
        created_at=now,
    )


def _line(invoice: Invoice, spec: LineSpec, now: dt.datetime) -> InvoiceLine:
    return InvoiceLine(
        invoice=invoice,
        service=spec.service,
        kind=spec.kind,
        description=spec.description[:300],
        amount=round_money(to_decimal(spec.amount)),
        cycle=spec.cycle,
        period_start=spec.period_start,
        period_end=spec.period_end,
        created_at=now,
    )


def issue_invoice(
    *,
    client: Client,
    kind: str,
    lines: list[LineSpec],
    issue_date: dt.date,
    due_date: dt.date,
    now: dt.datetime,
    actor: User | None = None,
) -> Invoice:
    """Inner step: number and write an invoice with its lines and the ledger entry, all or nothing."""
    _require_atomic()
    if not lines:
        raise DomainError("an invoice needs at least one line", field="lines")
    total = sum((round_money(to_decimal(spec.amount)) for spec in lines), ZERO)
    invoice = Invoice.objects.create(
        number=next_number("invoice"),
        client=client,
        kind=kind,
        currency=settings.MOORAGE_CURRENCY,
        issue_date=issue_date,
        due_date=due_date,
        created_at=now,
        total=total,
    )
    InvoiceLine.objects.bulk_create([_line(invoice, spec, now) for spec in lines])
    if invoice.total:
        _ledger(
            client=client,
            account=E.Account.RECEIVABLE,
            kind=E.Kind.INVOICE_ISSUED,
            amount=invoice.total,
            now=now,
            invoice=invoice,
            actor=actor,
            memo=f"Invoice {invoice.display_number}",
        )
    audit(actor=actor, action="invoice_issue", obj=invoice, now=now, data={"total": str(invoice.total), "kind": kind})
    if invoice.total > 0 and kind != Invoice.Kind.ORDER:  # an order's invoice is in its Initial Order email
        notify(
            template="invoice_created",
            client=client,
            dedupe_key=f"invoice_created:{invoice.pk}",
            now=now,
            context={"invoice": invoice},
            invoice_id=invoice.pk,
        )
    return invoice


def add_line(*, invoice: Invoice, spec: LineSpec, now: dt.datetime, actor: User | None = None) -> InvoiceLine:
    """Inner step: add a line to an unpaid invoice (late fee, queued charge) with its ledger entry."""
    _require_atomic()
    if invoice.status != Invoice.Status.UNPAID:
        raise DomainError(f"a {invoice.get_status_display().lower()} invoice cannot get new lines", field="invoice")
    line = _line(invoice, spec, now)
    line.save()
    invoice.total += line.amount
    invoice.save(update_fields=["total"])
    if line.amount:
        _ledger(
            client=invoice.client,
            account=E.Account.RECEIVABLE,
            kind=E.Kind.INVOICE_LINE_ADDED,
            amount=line.amount,
            now=now,
            invoice=invoice,
            actor=actor,
            memo=line.description,
        )
    return line


def mark_paid_if_settled(invoice: Invoice, *, paid_on: dt.date) -> bool:
    """Inner step: an unpaid invoice with nothing outstanding becomes paid. True if it did now."""
    if invoice.status == Invoice.Status.UNPAID and invoice_outstanding(invoice) <= ZERO:
        invoice.status = Invoice.Status.PAID
        invoice.paid_date = paid_on
        invoice.save(update_fields=["status", "paid_date"])
        return True
    return False


def apply_payment(
    *, invoice: Invoice, payment: Payment, now: dt.datetime, paid_on: dt.date, actor: User | None = None
) -> bool:
    """Inner step: apply a payment to an invoice; an overpayment goes to credit. True if now paid."""
    _require_atomic()
    outstanding = invoice_outstanding(invoice)
    applied = min(payment.amount, max(outstanding, ZERO))
    if applied:
        _ledger(
            client=invoice.client,
            account=E.Account.RECEIVABLE,
            kind=E.Kind.PAYMENT,
            amount=-applied,
            now=now,
            invoice=invoice,
            payment=payment,
            actor=actor,
            memo=f"{payment.gateway} {payment.transaction_id}",
        )
    excess = payment.amount - applied
    if excess > 0:
        _ledger(
            client=invoice.client,
            account=E.Account.CREDIT,
            kind=E.Kind.OVERPAYMENT,
            amount=excess,
            now=now,
            invoice=invoice,
            payment=payment,
            actor=actor,
            memo=f"Overpayment of invoice {invoice.display_number}",
        )
    paid = mark_paid_if_settled(invoice, paid_on=paid_on)
    notify(
        template="payment_received",
        client=invoice.client,
        dedupe_key=f"payment_received:{payment.pk}:{invoice.pk}",
        now=now,
        context={"payment": payment, "invoice": invoice},
        invoice_id=invoice.pk,
    )
    return paid


def apply_credit(
    *, invoice: Invoice, now: dt.datetime, paid_on: dt.date, actor: User | None = None, amount: Decimal | None = None
) -> Decimal:
    """Inner step: spend the client's credit on the invoice (all that fits, or `amount`). Returns it."""
    _require_atomic()
    # Services come before the client in the lock order: callers that lock in order hold them
    # already (no wait); a new invoice's (checkout) are taken here. Then the client: credit is
    # spent one caller at a time.
    lock_invoice_services(invoice.pk)
    lock_client(invoice.client_id)
    available = client_credit_balance(invoice.client)
    outstanding = invoice_outstanding(invoice)
    use = min(available, outstanding)
    if amount is not None:
        use = min(use, amount)
    if use <= ZERO:
        return ZERO
    memo = f"Credit applied to invoice {invoice.display_number}"
    _ledger(
        client=invoice.client,
        account=E.Account.CREDIT,
        kind=E.Kind.CREDIT_APPLIED,
        amount=-use,
        now=now,
        invoice=invoice,
        actor=actor,
        memo=memo,
    )
    _ledger(
        client=invoice.client,
        account=E.Account.RECEIVABLE,
        kind=E.Kind.CREDIT_APPLIED,
        amount=-use,
        now=now,
        invoice=invoice,
        actor=actor,
        memo=memo,
    )
    mark_paid_if_settled(invoice, paid_on=paid_on)
    return use


def cancel_invoice(
    *, invoice: Invoice, now: dt.datetime, cancelled_on: dt.date, actor: User | None = None, reason: str = ""
) -> Invoice:
    """Inner step: cancel an unpaid invoice; what was already paid on it goes to the client's credit."""
    _require_atomic()
    if invoice.status != Invoice.Status.UNPAID:
        raise DomainError(
            f"only an unpaid invoice can be cancelled; this one is {invoice.get_status_display().lower()}",
            field="invoice",
            code="invoice_not_unpaid",
        )
    outstanding = invoice_outstanding(invoice)
    paid = invoice.total - outstanding
    if invoice.total:
        _ledger(
            client=invoice.client,
            account=E.Account.RECEIVABLE,
            kind=E.Kind.INVOICE_CANCELLED,
            amount=-invoice.total,
            now=now,
            invoice=invoice,
            actor=actor,
            memo=reason,
        )
    if paid > 0:
        memo = f"Paid part of cancelled invoice {invoice.display_number}"
        _ledger(
            client=invoice.client,
            account=E.Account.RECEIVABLE,
            kind=E.Kind.CREDIT_ADDED,
            amount=paid,
            now=now,
            invoice=invoice,
            actor=actor,
            memo=memo,
        )
        _ledger(
            client=invoice.client,
            account=E.Account.CREDIT,
            kind=E.Kind.CREDIT_ADDED,
            amount=paid,
            now=now,
            invoice=invoice,
            actor=actor,
            memo=memo,
        )
    invoice.status = Invoice.Status.CANCELLED
    invoice.cancelled_date = cancelled_on
    invoice.save(update_fields=["status", "cancelled_date"])
    audit(actor=actor, action="invoice_cancel", obj=invoice, now=now, message=reason)
    return invoice


@transaction.atomic(durable=True)
def invoice_cancel(
    *, invoice_id: int, now: dt.datetime, cancelled_on: dt.date, actor: User | None, reason: str = ""
) -> Invoice:
    """Cancel an unpaid invoice (staff). Its number stays taken."""
    return cancel_invoice(
        invoice=lock_invoice(invoice_id), now=now, cancelled_on=cancelled_on, actor=actor, reason=reason
    )


@transaction.atomic(durable=True)
def credit_add(*, client: Client, amount: Decimal, reason: str, now: dt.datetime, actor: User | None) -> LedgerEntry:
    """Add credit to a client's balance by hand (staff), with the reason recorded."""
    amount = clean_amount(amount, what="credit amount")
    if not reason.strip():
        raise DomainError("say why the credit is given", field="reason", code="required")
    entry = _ledger(
        client=client,
        account=E.Account.CREDIT,
        kind=E.Kind.CREDIT_ADDED,
        amount=amount,
        now=now,
        actor=actor,
        memo=reason.strip(),
    )
    audit(
        actor=actor,
        action="credit_add",
        obj=client,
        now=now,
        data={"amount": str(entry.amount)},
        message=reason.strip(),
    )
    return entry


def issue_credit_note(
    *,
    client: Client,
    amount: Decimal,
    reason: str,
    now: dt.datetime,
    issue_date: dt.date,
    invoice: Invoice | None = None,
    service: Service | None = None,
    actor: User | None = None,
) -> CreditNote:
    """Inner step: a numbered credit note for `amount`, credited to the client's balance."""
    _require_atomic()
    amount = round_money(to_decimal(amount))
    if amount <= 0:
        raise DomainError("a credit note needs a positive amount", field="amount")
    note = CreditNote.objects.create(
        number=next_number("credit_note"),
        client=client,
        invoice=invoice,
        service=service,
        amount=amount,
        currency=settings.MOORAGE_CURRENCY,
        reason=reason[:300],
        issue_date=issue_date,
        created_at=now,
    )
    entry = _ledger(
        client=client,
        account=E.Account.CREDIT,
        kind=E.Kind.CREDIT_NOTE,
        amount=amount,
        now=now,
        actor=actor,
        memo=f"Credit note {note.display_number}: {reason}"[:300],
    )
    entry.credit_note = note
    entry.save(update_fields=["credit_note"])
    audit(actor=actor, action="credit_note_issue", obj=note, now=now, data={"amount": str(amount)}, message=reason)
    return note


def add_credit(
    *,
    client: Client,
    amount: Decimal,
    memo: str,
    now: dt.datetime,
    actor: User | None = None,
    kind: str = LedgerEntry.Kind.CREDIT_ADDED,
    invoice: Invoice | None = None,
) -> LedgerEntry:
    """Inner step: put money on the client's credit balance (downgrade credit, pro-rated cancellation)."""
    _require_atomic()
    amount = round_money(to_decimal(amount))
    if amount <= 0:
        raise DomainError("a credit needs a positive amount", field="amount")
    return _ledger(
        client=client,
        account=E.Account.CREDIT,
        kind=kind,
        amount=amount,
        now=now,
        actor=actor,
        memo=memo[:300],
        invoice=invoice,
    )


def take_credit(
    *, client: Client, amount: Decimal, memo: str, now: dt.datetime, actor: User | None = None
) -> LedgerEntry | None:
    """Inner step: take credit back from the client's balance (a correction: credit given for what
    was not received), never below zero. Returns the entry, or None when there is none to take."""
    _require_atomic()
    lock_client(client.pk)
    amount = min(round_money(to_decimal(amount)), client_credit_balance(client))
    if amount <= 0:
        return None
    return _ledger(
        client=client,
        account=E.Account.CREDIT,
        kind=E.Kind.CREDIT_REMOVED,
        amount=-amount,
        now=now,
        actor=actor,
        memo=memo[:300],
    )


def clean_amount(value: Decimal | str, *, what: str = "amount") -> Decimal:
    """An amount of money as the money column holds it: finite, more than 0, at most MAX_AMOUNT, in
    cents; every action that takes an amount from staff, a client or the API checks it here.

    Bounds are checked before rounding (quantizing `1e999999` raises) and again after it
    (0.001 → 0.00, 9999999999.999 → 1E+10).
    """
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise DomainError("the amount must be a decimal number such as 12.50", field="amount") from exc
    if amount <= 0 or round_money(min(amount, MAX_AMOUNT)) <= 0:
        raise DomainError(f"the {what} must be positive", field="amount")
    if amount > MAX_AMOUNT or round_money(amount) > MAX_AMOUNT:
        raise DomainError(f"the {what} must be at most {MAX_AMOUNT}", field="amount")
    return round_money(amount)


@transaction.atomic(durable=True)
def credit_remove(
    *, client: Client, amount: Decimal | str, reason: str, now: dt.datetime, actor: User | None
) -> LedgerEntry:
    """Remove credit from a client's balance by hand (staff), with the reason; never below zero."""
    amount = clean_amount(amount, what="amount to remove")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("say why the credit is removed", field="reason", code="required")
    client = lock_client(client.pk) or client  # serialise credit changes
    balance = client_credit_balance(client)
    if amount > balance:
        raise DomainError(
            f"the client has {balance} of credit; at most that can be removed",
            field="amount",
            code="insufficient_credit",
        )
    entry = _ledger(
        client=client,
        account=E.Account.CREDIT,
        kind=E.Kind.CREDIT_REMOVED,
        amount=-amount,
        now=now,
        actor=actor,
        memo=reason[:300],
    )
    audit(actor=actor, action="credit_remove", obj=client, now=now, data={"amount": str(amount)}, message=reason)
    return entry


@transaction.atomic(durable=True)
def refund_to_credit(
    *,
    reason: str,
    now: dt.datetime,
    actor: User | None,
    invoice_id: int | None = None,
    payment_id: int | None = None,
    amount: Decimal | str | None = None,
) -> LedgerEntry:
    """Refund to credit: money paid on a paid invoice (or by one of its payments) goes back to the
    client's credit balance, never more than was paid and not yet refunded. `amount` None = all."""
    from moorage.billing.queries import refundable_amount

    payment = None
    if payment_id is not None:
        payment = Payment.objects.filter(pk=payment_id).first()
        if payment is None:
            raise NotFound(f"no payment with id {payment_id}", field="payment")
        if payment.invoice_id is None or (invoice_id is not None and payment.invoice_id != invoice_id):
            raise DomainError("the payment is not one of this invoice's", field="payment")
        invoice_id = payment.invoice_id
    if invoice_id is None:
        raise DomainError("say which invoice or payment to refund", field="invoice", code="required")
    invoice = lock_invoice(invoice_id)
    if invoice.status != Invoice.Status.PAID:
        raise DomainError(
            f"only a paid invoice can be refunded to credit; invoice {invoice.display_number} is "
            f"{invoice.get_status_display().lower()}",
            field="invoice",
            code="invoice_not_paid",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("say why the money is refunded", field="reason", code="required")
    refundable = refundable_amount(invoice, payment)
    if refundable <= 0:
        raise DomainError(
            f"everything paid on invoice {invoice.display_number}"
            + (f" by {payment.transaction_id}" if payment else "")
            + " was refunded already",
            field="amount",
            code="nothing_to_refund",
        )
    amount = refundable if amount is None else clean_amount(amount, what="refund")
    if amount > refundable:
        raise DomainError(
            f"at most {refundable} can be refunded (paid and not yet refunded)",
            field="amount",
            code="refund_exceeds_paid",
        )
    entry = _ledger(
        client=invoice.client,
        account=E.Account.CREDIT,
        kind=E.Kind.REFUND,
        amount=amount,
        now=now,
        invoice=invoice,
        payment=payment,
        actor=actor,
        memo=f"Refund of invoice {invoice.display_number} to credit: {reason}"[:300],
    )
    audit(
        actor=actor,
        action="refund_to_credit",
        obj=invoice,
        now=now,
        message=reason,
        data={"amount": str(amount), "payment": payment.transaction_id if payment else None},
    )
    return entry


def record_refund_paid_out(
    *, invoice: Invoice, payment: Payment, amount: Decimal, now: dt.datetime, actor: User | None, memo: str
) -> list[LedgerEntry]:
    """Inner step: money of a payment given back to the client outside Moorage (through the gateway
    it came by). Written as a refund (so what is still refundable goes down, as with Refund to credit)
    and the same amount paid out of the credit balance at once, so the client's credit is unchanged.
    The caller holds the invoice row and checked the amount."""
    _require_atomic()
    memo = memo[:300]
    return [
        _ledger(
            client=invoice.client,
            account=E.Account.CREDIT,
            kind=E.Kind.REFUND,
            amount=amount,
            now=now,
            invoice=invoice,
            payment=payment,
            actor=actor,
            memo=memo,
        ),
        _ledger(
            client=invoice.client,
            account=E.Account.CREDIT,
            kind=E.Kind.CREDIT_REMOVED,
            amount=-amount,
            now=now,
            invoice=invoice,
            payment=payment,
            actor=actor,
            memo=memo,
        ),
    ]
