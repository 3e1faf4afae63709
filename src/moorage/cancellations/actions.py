"""Cancellation use cases: a client (or staff) asks to cancel a service, may withdraw the request,
and a request is processed: the account terminated, the service's unpaid invoices cancelled and
the money pro-rated per Pro-rate cancellations (billing-semantics §5).

Pro-rate cancellations, as implemented here:
- pre-paid (and hybrid) services cancelled *immediately* with "Yes, for pre-paid services": the
  unused part of every paid period that has not ended is credited, by a numbered credit note (the
  document of the refund; its ledger entry is the credit). Unused = price × remaining fraction,
  in the product's Upgrade pro-rata unit (days unless it says seconds or hours).
- post-paid services with "Yes, for post-paid services": the used part of the running period
  (which the automation bills only when it ends) is invoiced at once. A post-paid service cancelled
  at the end of its period is billed for that whole period, whatever the setting: it was used.
The request row lock and the one settlement row per request (a unique key) make re-processing
never credit or bill twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from moorage.billing.actions import (
    LineSpec,
    apply_credit,
    cancel_invoice,
    issue_credit_note,
    issue_invoice,
    take_credit,
)
from moorage.billing.closing import ClosingCharges, closing_extras
from moorage.billing.dates import renewal_invoice_due
from moorage.billing.models import Invoice, InvoiceLine
from moorage.billing.proration import UNIT_SECONDS, remaining_fraction, unused_value
from moorage.billing.queries import invoice_outstanding
from moorage.billing.renewal import is_postpaid, period_of
from moorage.cancellations.models import CancellationSettlement
from moorage.cancellations.queries import cancellation_policy, pending_request
from moorage.catalog.models import BillingDefaults, Product, product_setting
from moorage.core.actions import audit
from moorage.core.clock import business_tz, local_date
from moorage.core.errors import Conflict, DomainError, NotFound
from moorage.core.models import User
from moorage.core.money import ZERO, round_money
from moorage.provisioning.actions import request_job
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.services import lifecycle
from moorage.services.actions import lock_service
from moorage.services.locks import lock_row, lock_rows
from moorage.services.models import CancellationRequest, Service

S = Service.Status
T = CancellationRequest.Type
R = CancellationRequest.Status
MAX_REASON = 2000


def lock_request(request_id: int) -> tuple[CancellationRequest, Service]:
    """Lock a request and its service, service first (the order every caller takes)."""
    service_id = CancellationRequest.objects.filter(pk=request_id).values_list("service_id", flat=True).first()
    if service_id is None:
        raise NotFound(
            _("no cancellation request with id %(request_id)s") % {"request_id": request_id}, field="request"
        )
    service = lock_service(service_id)
    return lock_row(CancellationRequest, request_id), service


def _not_pending(request: CancellationRequest) -> Conflict:
    return Conflict(
        _("this cancellation request is already %(lower)s") % {"lower": request.get_status_display().lower()},
        field="request",
        code="cancellation_not_pending",
    )


@transaction.atomic(durable=True)
def cancellation_request(
    *,
    service_id: int,
    type: str,  # noqa: A002  (the word of the product description)
    reason: str,
    now: dt.datetime,
    actor: User | None,
    by_staff: bool = False,
) -> CancellationRequest:
    """Ask to cancel a service, immediately or at the end of its billing period, with a reason.

    Checks Allow Cancellations and Allowed Cancellation Types (staff may always ask). With
    Automatic Cancellation Requests Processing on, an immediate request is processed at once.
    """
    service = lock_service(service_id)
    today = local_date(now)
    defaults = BillingDefaults.load()
    policy = cancellation_policy(service, today=today, by_staff=by_staff, defaults=defaults)
    if not policy.allowed:
        raise DomainError(policy.refusal, field="service", code=f"cancellation_{policy.code}")
    if type not in T.values:
        raise DomainError(
            _("unknown cancellation type %(type)r; use immediate or end_of_period") % {"type": type}, field="type"
        )
    if type not in policy.types:
        raise DomainError(
            _("%(label)s cancellation is not allowed for %(name)s")
            % {"label": T(type).label, "name": service.product.name},
            field="type",
            code="cancellation_type_not_allowed",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("say why the service is to be cancelled"), field="reason", code="required")
    if len(reason) > MAX_REASON:
        raise DomainError(
            _("the reason must be at most %(MAX_REASON)s characters") % {"MAX_REASON": MAX_REASON}, field="reason"
        )
    pending = Conflict(
        _("this service already has a pending cancellation request; withdraw it to ask again"),
        field="service",
        code="cancellation_pending",
    )
    if pending_request(service) is not None:
        raise pending
    try:
        with transaction.atomic():
            request = CancellationRequest.objects.create(
                service=service,
                type=type,
                reason=reason,
                requested_by=actor if actor is not None and actor.pk else None,
                created_at=now,
            )
    except IntegrityError as exc:  # a concurrent request won the one-pending key
        raise pending from exc
    audit(actor=actor, action="cancellation_request", obj=request, now=now, message=reason, data={"type": type})
    if type == T.IMMEDIATE and product_setting(service.product, "process_cancellation_requests", defaults):
        process_cancellation(request, service, now=now, today=today, actor=actor, defaults=defaults)
    return request


@transaction.atomic(durable=True)
def cancellation_withdraw(
    *, request_id: int, now: dt.datetime, actor: User | None, client_id: int | None = None
) -> CancellationRequest:
    """Withdraw a pending cancellation request (the client, or staff). `client_id` limits it to one
    client's services."""
    request, service = lock_request(request_id)
    if client_id is not None and service.client_id != client_id:
        raise NotFound(
            _("no cancellation request with id %(request_id)s") % {"request_id": request_id}, field="request"
        )
    if request.status != R.PENDING:
        raise _not_pending(request)
    request.status = R.WITHDRAWN
    request.save(update_fields=["status"])
    audit(actor=actor, action="cancellation_withdraw", obj=request, now=now)
    return request


@transaction.atomic(durable=True)
def cancellation_process(*, request_id: int, now: dt.datetime, actor: User | None) -> str:
    """Process a pending request now (staff "Process now"), whatever its type and the automation
    setting. Returns what was done."""
    request, service = lock_request(request_id)
    if request.status != R.PENDING:
        raise _not_pending(request)
    return process_cancellation(request, service, now=now, today=local_date(now), actor=actor)


def process_cancellation(
    request: CancellationRequest,
    service: Service,
    *,
    now: dt.datetime,
    today: dt.date,
    actor: User | None = None,
    defaults: BillingDefaults | None = None,
) -> str:
    """Inner step (service and request rows locked): carry out a pending request. The account is
    terminated through a provisioning job (ending "cancelled") when it is on a panel, else the
    service is cancelled now; its unpaid invoices are cancelled and the money pro-rated."""
    if request.status != R.PENDING:
        raise _not_pending(request)
    defaults = defaults or BillingDefaults.load()
    if service.status in (S.ACTIVE, S.SUSPENDED, S.PENDING, S.FRAUD):
        if PanelAccount.objects.filter(service=service, exists_on_panel=True).exists():
            job = request_job(
                service=service,
                operation=ProvisioningJob.Operation.TERMINATE,
                now=now,
                actor=actor,
                key=f"cancel-request:{request.pk}",
                reason=f"cancellation requested: {request.reason}"[:200],
                params={"final_status": S.CANCELLED},
            )
            done = [f"terminate job #{job.pk}"]
        else:
            lifecycle.transition(service, S.CANCELLED, now=now, actor=actor, reason="cancellation requested")
            done = ["cancelled"]
    else:
        done = [f"service already {service.status}"]
    if service.auto_renew:  # no renewal while the terminate job is on its way
        service.auto_renew = False
        service.save(update_fields=["auto_renew"])
    unit = product_setting(service.product, "upgrade_proration", defaults) or "days"
    # The changes' rows (rank 2) before any invoice (rank 3): the money lock order.
    closing = [extra(service=service, now=now, actor=actor, unit=unit) for extra in closing_extras]
    received: dict[int, Callable[[InvoiceLine], None]] = {}
    for part in closing:
        received.update(part.received)
    closed = close_service_invoices(
        service, now=now, today=today, actor=actor, reason="service cancelled", received=received
    )
    if closed.cancelled:
        done.append(f"cancelled invoice {', '.join(closed.cancelled)}")
    charges = _bill_received(service, closing, closed, now=now, today=today, actor=actor)
    if charges is not None:
        done.append(f"invoice {charges.display_number} {charges.total} for changes already made")
    settlement = settle(
        request,
        service,
        now=now,
        today=today,
        actor=actor,
        defaults=defaults,
        change_unused=sum((part.unused for part in closing), Decimal("0")),
    )
    if settlement is not None and settlement.credit_note_id:
        done.append(f"credit note {settlement.credit_note.display_number} {settlement.amount}")
    if settlement is not None and settlement.invoice_id:
        done.append(f"invoice {settlement.invoice.display_number} {settlement.amount}")
    credited = settlement.credit_note.amount if settlement is not None and settlement.credit_note_id else ZERO
    shortfall = min(getattr(settlement, "shortfall", ZERO), closed.paid_back)
    if shortfall > 0:
        # The credit returned from the cancelled invoices' paid parts was the downgrade's credit
        # for a period now not received: it goes back (an entry, not an edit).
        take_credit(
            client=service.client,
            amount=shortfall,
            memo=f"Downgrade credit for a period of {_label(service)} not received (service cancelled)",
            now=now,
            actor=actor,
        )
        done.append(f"{shortfall} of downgrade credit taken back")
    netted = _net_received(
        [*closed.kept, *([charges] if charges is not None else [])],
        cap=credited + closed.paid_back - max(shortfall, ZERO),
        now=now,
        today=today,
        actor=actor,
    )
    if netted > 0:
        done.append(f"{netted} of credit settles the charges for changes already made")
    request.status, request.processed_at = R.PROCESSED, now
    request.save(update_fields=["status", "processed_at"])
    message = "; ".join(done)
    audit(actor=actor, action="cancellation_process", obj=request, now=now, message=message)
    return message


@dataclass
class ClosedInvoices:
    """What closing a service's unpaid invoices did."""

    cancelled: list[str] = field(default_factory=list)  # numbers
    kept: list[Invoice] = field(default_factory=list)  # unpaid, charging only for service received
    carried: list[tuple[InvoiceLine, Callable[[InvoiceLine], None]]] = field(default_factory=list)  # to bill again
    paid_back: Decimal = ZERO  # paid parts of the cancelled invoices, now the client's credit


def cancel_service_invoices(
    service: Service, *, now: dt.datetime, today: dt.date, reason: str, actor: User | None = None
) -> list[str]:
    """Inner step: cancel the unpaid invoices that bill only this service. Returns their numbers."""
    return close_service_invoices(service, now=now, today=today, reason=reason, actor=actor).cancelled


def close_service_invoices(
    service: Service,
    *,
    now: dt.datetime,
    today: dt.date,
    reason: str,
    actor: User | None = None,
    received: dict[int, Callable[[InvoiceLine], None]] | None = None,
) -> ClosedInvoices:
    """Inner step: cancel the unpaid invoices that bill only this service, except those that charge
    only for service already received (`received` lines: an applied upgrade's charge), which stay
    owed. A cancelled invoice's `received` lines are returned to be billed again."""
    received = received or {}
    closed = ClosedInvoices()
    others = InvoiceLine.objects.filter(invoice=OuterRef("pk"), service__isnull=False).exclude(service=service)
    ids = set(
        Invoice.objects.filter(status=Invoice.Status.UNPAID, lines__service=service)
        .exclude(Exists(others))
        .values_list("pk", flat=True)
    )
    for invoice in lock_rows(Invoice.objects.filter(status=Invoice.Status.UNPAID).select_related("client"), ids):
        lines = list(invoice.lines.order_by("pk"))
        if lines and all(line.pk in received for line in lines):
            closed.kept.append(invoice)
            continue
        outstanding = invoice_outstanding(invoice)
        cancel_invoice(invoice=invoice, now=now, cancelled_on=today, actor=actor, reason=reason)
        closed.paid_back += max(invoice.total - outstanding, ZERO)
        closed.carried += [(line, received[line.pk]) for line in lines if line.pk in received]
        closed.cancelled.append(invoice.display_number)
    return closed


def _bill_received(
    service: Service,
    closing: list[ClosingCharges],
    closed: ClosedInvoices,
    *,
    now: dt.datetime,
    today: dt.date,
    actor: User | None,
) -> Invoice | None:
    """Inner step: one invoice for the charges of changes already made that no open invoice carries
    (queued pro-rata charges; the charges of a cancelled invoice that also billed a later period).
    Cancelling a service settles them: they are never dropped with it."""
    billed: list[tuple[LineSpec, Callable[[InvoiceLine], None]]] = [
        (
            LineSpec(
                kind=line.kind,
                description=line.description,
                amount=line.amount,
                service=service,
                cycle=line.cycle,
                period_start=line.period_start,
                period_end=line.period_end,
            ),
            tell,
        )
        for line, tell in closed.carried
    ]
    for part in closing:
        billed += part.unbilled
    billed = [(spec, tell) for spec, tell in billed if spec.amount > 0]
    if not billed:
        return None
    invoice = issue_invoice(
        client=service.client,
        kind=Invoice.Kind.MANUAL,
        lines=[spec for spec, _tell in billed],
        issue_date=today,
        due_date=today,
        now=now,
        actor=actor,
    )
    for line, (_spec, tell) in zip(invoice.lines.order_by("pk"), billed, strict=True):
        tell(line)
    return invoice


def _net_received(
    invoices: list[Invoice], *, cap: Decimal, now: dt.datetime, today: dt.date, actor: User | None
) -> Decimal:
    """Inner step: the credit this cancellation gave (the pro-rated credit note, the paid parts of
    the invoices it cancelled) pays first what the client still owes for the service received, so
    no credit is spendable while those charges are unpaid. Returns the amount applied."""
    used = ZERO
    for invoice in sorted(invoices, key=lambda i: i.pk):
        if cap - used <= 0:
            break
        if invoice.status == Invoice.Status.UNPAID:
            used += apply_credit(invoice=invoice, now=now, paid_on=today, actor=actor, amount=cap - used)
    return used


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=business_tz())


def _units(start: dt.datetime, end: dt.datetime, unit: str) -> int:
    return max(int((end - start).total_seconds()) // UNIT_SECONDS[unit], 0)


def settle(
    request: CancellationRequest,
    service: Service,
    *,
    now: dt.datetime,
    today: dt.date,
    actor: User | None,
    defaults: BillingDefaults,
    change_unused: Decimal = ZERO,
) -> CancellationSettlement | None:
    """Inner step: the pro-rated money of a request, once. None when the setting asks for none.

    `change_unused`: the unused value of the changes made in the running periods (upgrades +,
    downgrades −), so the credit is the unused part of what the service is now, not of what was
    first billed for the period."""
    if service.product.price_type == Product.PriceType.METERED:
        return None  # a metered period is billed from its usage, by metering's renewal lines
    mode = product_setting(service.product, "prorate_cancellations", defaults)
    postpaid = is_postpaid(service)
    if postpaid:
        if service.next_due_date is None or not (mode == "postpaid" or request.type == T.END_OF_PERIOD):
            return None
    elif mode != "prepaid" or request.type != T.IMMEDIATE:
        return None
    unit = product_setting(service.product, "upgrade_proration", defaults) or "days"
    kind = CancellationSettlement.Kind.INVOICE if postpaid else CancellationSettlement.Kind.CREDIT
    try:
        with transaction.atomic():
            settlement = CancellationSettlement.objects.create(
                request=request, service=service, kind=kind, unit=unit, created_at=now
            )
    except IntegrityError:
        return None  # settled before: the unique key holds, nothing is credited or billed again
    if postpaid:
        _invoice_used_part(settlement, request, service, now=now, today=today, actor=actor, defaults=defaults)
    else:
        _credit_unused_part(settlement, service, now=now, today=today, actor=actor, change_unused=change_unused)
    settlement.save()
    return settlement


def _label(service: Service) -> str:
    return service.product.name + (f" - {service.hostname}" if service.hostname else "")


def _credit_unused_part(
    settlement: CancellationSettlement,
    service: Service,
    *,
    now: dt.datetime,
    today: dt.date,
    actor: User | None,
    change_unused: Decimal = ZERO,
) -> None:
    """Pre-paid, immediate: credit price × unused fraction of each paid period not yet over (and of
    each paid price-change line of a period not yet begun), plus the unused value of the changes
    made in the running period (a downgrade lowers it: its credit was given when it was made)."""
    unit = settlement.unit
    service_lines = Q(kind=InvoiceLine.Kind.SERVICE, period_end__gte=today)
    later_changes = Q(kind=InvoiceLine.Kind.UPGRADE, period_start__gt=today)
    lines = list(
        InvoiceLine.objects.filter(service=service, invoice__status=Invoice.Status.PAID)
        .filter(service_lines | later_changes)
        .select_related("invoice")
        .order_by("period_start", "pk")
    )
    total, paid, parts = ZERO, ZERO, []
    for line in lines:
        start, end = _midnight(line.period_start), _midnight(line.period_end + dt.timedelta(days=1))
        remaining = remaining_fraction(period_start=start, period_end=end, moment=now, unit=unit)
        total += unused_value(price=line.amount, remaining=remaining)
        paid += line.amount
        left = _units(max(now, start), end, unit)
        parts.append(
            f"{line.period_start.isoformat()}–{line.period_end.isoformat()}: {line.amount} × "
            f"{left}/{max(_units(start, end, unit), 1)} {unit}"
        )
    if change_unused:
        total += change_unused
        parts.append(f"changes this period: {round_money(change_unused)}")
    # Below zero: a downgrade credited more than what is left unused was paid (a period paid by
    # that very credit, whose invoice is cancelled now); the caller takes it back from the credit.
    settlement.shortfall = round_money(max(-total, ZERO))
    total = max(total, ZERO)
    settlement.amount = round_money(total)
    settlement.fraction = (total / paid) if paid else Decimal("0")
    settlement.explanation = "; ".join(parts)[:300] or "no paid period left to credit"
    if settlement.amount > 0:
        settlement.credit_note = issue_credit_note(
            client=service.client,
            amount=settlement.amount,
            reason=f"Unused part of {_label(service)}, cancelled on {today.isoformat()} ({settlement.explanation})",
            now=now,
            issue_date=today,
            invoice=lines[-1].invoice if lines else None,
            service=service,
            actor=actor,
        )


def _invoice_used_part(
    settlement: CancellationSettlement,
    request: CancellationRequest,
    service: Service,
    *,
    now: dt.datetime,
    today: dt.date,
    actor: User | None,
    defaults: BillingDefaults,
) -> None:
    """Post-paid: invoice the used part of the running (unbilled) period, which starts at the next
    due date; the whole period when it is over (end-of-period cancellation)."""
    start, end = period_of(service, service.next_due_date)
    whole = request.type == T.END_OF_PERIOD or today > end
    if whole:
        used, last = Decimal("1"), end
    else:
        period_start, period_end = _midnight(start), _midnight(end + dt.timedelta(days=1))
        unused = remaining_fraction(period_start=period_start, period_end=period_end, moment=now, unit=settlement.unit)
        used = 1 - unused
        last = today
        left = _units(max(now, period_start), period_end, settlement.unit)
        size = max(_units(period_start, period_end, settlement.unit), 1)
        settlement.explanation = (
            f"{start.isoformat()}–{end.isoformat()}: {service.recurring_amount} × {size - left}/{size} "
            f"{settlement.unit} used"
        )
    settlement.fraction = used
    settlement.amount = round_money(service.recurring_amount * used)
    if whole:
        settlement.explanation = f"{start.isoformat()}–{end.isoformat()}: the whole period"
    if settlement.amount <= 0:
        return
    due = renewal_invoice_due(
        last + dt.timedelta(days=1),
        paid_before_days=int(product_setting(service.product, "invoice_due_before_days", defaults)),
        move_days=int(product_setting(service.product, "invoice_due_move_days", defaults)),
    )
    line = LineSpec(
        kind=InvoiceLine.Kind.SERVICE,
        description=_label(service) if whole else _("%(label)s (used until cancellation)") % {"label": _label(service)},
        amount=service.recurring_amount * used,
        service=service,
        cycle=service.cycle,
        period_start=start,
        period_end=last,
    )
    try:
        with transaction.atomic():
            settlement.invoice = issue_invoice(
                client=service.client,
                kind=Invoice.Kind.RENEWAL if whole else Invoice.Kind.MANUAL,
                lines=[line],
                issue_date=today,
                due_date=max(due, today),
                now=now,
                actor=actor,
            )
    except IntegrityError:
        settlement.amount = ZERO  # the period was billed already (one line per service and period)
        settlement.explanation = f"{start.isoformat()}: billed before"
