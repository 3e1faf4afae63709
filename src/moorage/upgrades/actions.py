"""Upgrades, downgrades and Change Billing Cycle (billing-semantics §4; §2 Hybrid), and their money.

A change is priced over the current paid period [D − 1 cycle, D), D the next due date, from midnight
to midnight in the business time zone, in the unit the product chooses (Upgrade pro-rata). The
service's current product decides how it is settled:

- charge > 0 with Queue Pro-rata Charges, or a Hybrid product (upgrades post-paid): the service
  changes now and the charge is a line of the next renewal invoice (the one already issued for D
  if it is still unpaid, else the next one when it is issued);
- charge > 0 otherwise: an upgrade invoice; the service changes now with Automatic Upgrades "when
  the order is placed", or when the invoice is paid with "after receiving payment";
- charge = 0: the service changes now;
- charge < 0 (downgrade credit), per Credit on Downgrade: none; credit now; or credit once the
  client has no unpaid invoices (the queue the automation's `downgrade_credits` step releases). With
  Credit note on Downgrade the credit is given as a numbered credit note (never without a credit).

Change Billing Cycle is a change to the same product's other price row. The product and price
change at once; the new cycle starts at the next due date D (the paid period runs out on its old
cycle; from D the service renews on the new one, D becoming its anchor). It is refused while the
renewal invoice for D is issued and unpaid (that invoice bills the old cycle). A product change
with an unpaid renewal invoice for D issued gets the price difference added to that invoice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from moorage.billing.actions import (
    LineSpec,
    add_credit,
    add_line,
    apply_credit,
    cancel_invoice,
    issue_credit_note,
    issue_invoice,
    lock_invoice,
    lock_open_invoices,
)
from moorage.billing.closing import ClosingCharges
from moorage.billing.models import Invoice, InvoiceLine
from moorage.billing.proration import remaining_units
from moorage.billing.queries import invoice_outstanding
from moorage.catalog.models import BillingDefaults, Price, Product, product_setting
from moorage.core.actions import audit
from moorage.core.clock import business_tz, local_date
from moorage.core.cycles import CYCLE_LABELS, Cycle, nth_due_date, period_index
from moorage.core.errors import Conflict, DomainError, NotFound
from moorage.core.models import User
from moorage.core.money import ZERO
from moorage.notifications.actions import notify, notify_staff
from moorage.provisioning.actions import request_job
from moorage.provisioning.models import PanelAccount, ProductApp, ProvisioningJob
from moorage.services.actions import lock_service
from moorage.services.locks import lock_row, lock_rows
from moorage.services.models import Service
from moorage.upgrades.models import UpgradeRequest
from moorage.upgrades.pricing import as_decimal, change_amount, on_basis

R = UpgradeRequest
Settle = UpgradeRequest.Settlement


@dataclass(frozen=True)
class Quote:
    """What a change would cost now and how it would be settled (nothing is written)."""

    kind: str
    from_product: Product
    from_cycle: str
    from_price: Decimal
    to_product: Product
    to_cycle: str
    to_price: Decimal
    upgrade_fee: Decimal
    period_start: dt.date
    period_end: dt.date  # the next due date: the first day after the period
    period_cycle: str
    unit: str
    remaining: Decimal
    prorata: Decimal  # full precision, before the fee
    charge: Decimal  # rounded: > 0 owed, < 0 a downgrade credit
    settlement: str
    applies_now: bool
    credit_note: bool

    @property
    def credit(self) -> Decimal:
        return -self.charge if self.charge < 0 else ZERO

    @property
    def to_cycle_label(self) -> str:
        return CYCLE_LABELS[Cycle(self.to_cycle)]

    @property
    def settlement_label(self) -> str:
        return Settle(self.settlement).label


def midnight(day: dt.date) -> dt.datetime:
    """The start of a calendar day in the business time zone."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=business_tz())


def current_period(service: Service) -> tuple[dt.date, dt.date, str]:
    """The current paid period (start, next due date, its cycle).

    Normally one anchored cycle before the next due date; after a billing cycle change in this
    period it is the period the change was priced over (stored on that request), still on its old
    cycle.
    """
    due = service.next_due_date
    if due is None:
        raise DomainError(_("the service has no next due date"), field="service", code="not_recurring")
    earlier = (
        R.objects.filter(service=service, period_end=due, applied_at__isnull=False)
        .exclude(status__in=[R.Status.CANCELLED, R.Status.FAILED])
        .order_by("-pk")
        .first()
    )
    if earlier is not None:
        return earlier.period_start, due, earlier.period_cycle
    anchor = service.anchor_date or due
    n = period_index(anchor, service.cycle, due, service.anchor_day)
    return nth_due_date(anchor, service.cycle, n - 1, service.anchor_day), due, service.cycle


def upgrade_targets(service: Service) -> list[Price]:
    """Upgrade / Downgrade: the price rows of the product's Available Upgrades."""
    products = service.product.available_upgrades.filter(price_type=Product.PriceType.RECURRING)
    return list(
        Price.objects.filter(product__in=products)
        .exclude(cycle=Cycle.ONE_TIME)
        .select_related("product")
        .order_by("product__sort_order", "product__name", "id")
    )


def cycle_targets(service: Service) -> list[Price]:
    """Change Billing Cycle: the product's other recurring price rows."""
    return list(
        Price.objects.filter(product=service.product)
        .exclude(cycle__in=[Cycle.ONE_TIME, service.cycle])
        .select_related("product")
        .order_by("id")
    )


def _renewal_line(service: Service) -> InvoiceLine | None:
    """The service line of an unpaid renewal invoice already issued for the period at the next due date."""
    return (
        InvoiceLine.objects.filter(
            service=service,
            kind=InvoiceLine.Kind.SERVICE,
            period_start=service.next_due_date,
            invoice__status=Invoice.Status.UNPAID,
        )
        .select_related("invoice")
        .first()
    )


def _target_price(service: Service, product: Product, cycle: str) -> Price:
    """The price row to change to, or the reason it cannot be (nothing is written)."""
    if service.status != Service.Status.ACTIVE:
        raise DomainError(
            _("only an active service can be changed; this one is %(lower)s")
            % {"lower": service.get_status_display().lower()},
            field="service",
            code="not_active",
        )
    if not service.is_recurring or service.next_due_date is None:
        raise DomainError(_("only a recurring service can be changed"), field="service", code="not_recurring")
    if cycle == Cycle.ONE_TIME:
        raise DomainError(_("a service cannot change to a one-time price"), field="cycle", code="no_price")
    if product.pk == service.product_id:
        if cycle == service.cycle:
            raise DomainError(_("the service already has this product and billing cycle"), field="cycle", code="same")
        if _renewal_line(service) is not None:
            raise DomainError(
                _(
                    "the renewal invoice for the next period is already issued on the current billing cycle; "
                    "pay it first, then change the billing cycle"
                ),
                field="cycle",
                code="renewal_issued",
            )
    elif not service.product.available_upgrades.filter(pk=product.pk).exists():
        raise DomainError(
            _("%(name)s is not an available upgrade of %(name2)s")
            % {"name": product.name, "name2": service.product.name},
            field="product",
            code="not_available",
        )
    if product.price_type != Product.PriceType.RECURRING:
        raise DomainError(
            _("%(name)s has no recurring price") % {"name": product.name}, field="product", code="no_price"
        )
    price = Price.objects.filter(product=product, cycle=cycle).first()
    if price is None:
        raise DomainError(
            _("%(name)s has no %(cycle)s price") % {"name": product.name, "cycle": cycle},
            field="cycle",
            code="no_price",
        )
    if product.pk != service.product_id and not product.in_stock and not product.out_of_stock_upgrade:
        raise DomainError(_("%(name)s is out of stock") % {"name": product.name}, field="product", code="out_of_stock")
    return price


def _settlement(product: Product, charge: Decimal, defaults: BillingDefaults) -> tuple[str, bool, bool]:
    """(settlement, applies now, credit note) for a charge, from the service's current product."""
    if charge > 0:
        if product.billing_type == Product.BillingType.HYBRID or product_setting(product, "queue_prorata", defaults):
            return Settle.NEXT_INVOICE, True, False
        return Settle.INVOICE, product_setting(product, "auto_upgrade", defaults) == "on_order", False
    if charge == 0:
        return Settle.NOTHING, True, False
    policy = product_setting(product, "credit_on_downgrade", defaults)
    if policy == "no":
        return Settle.NO_CREDIT, True, False
    note = bool(product_setting(product, "credit_note_on_downgrade", defaults))
    return (Settle.CREDIT_QUEUE if policy == "after_unpaid" else Settle.CREDIT), True, note


def upgrade_quote(*, service: Service, product: Product, cycle: str, now: dt.datetime) -> Quote:
    """What changing `service` to `product` on `cycle` at `now` costs, or a DomainError saying why not."""
    price = _target_price(service, product, cycle)
    defaults = BillingDefaults.load()
    start, end, period_cycle = current_period(service)
    unit = str(product_setting(service.product, "upgrade_proration", defaults))
    amount = change_amount(
        old_price=service.recurring_amount,
        old_cycle=service.cycle,
        new_price=price.amount,
        new_cycle=cycle,
        basis_cycle=period_cycle,
        fee=price.upgrade_fee,
        period_start=midnight(start),
        period_end=midnight(end),
        moment=now,
        unit=unit,
    )
    if product.pk == service.product_id:
        kind = R.Kind.CYCLE_CHANGE
    else:
        kind = R.Kind.DOWNGRADE if amount.difference < 0 else R.Kind.UPGRADE
    settlement, applies_now, note = _settlement(service.product, amount.total, defaults)
    return Quote(
        kind=kind,
        from_product=service.product,
        from_cycle=service.cycle,
        from_price=service.recurring_amount,
        to_product=product,
        to_cycle=cycle,
        to_price=price.amount,
        upgrade_fee=price.upgrade_fee,
        period_start=start,
        period_end=end,
        period_cycle=period_cycle,
        unit=unit,
        remaining=amount.remaining,
        prorata=amount.prorata,
        charge=amount.total,
        settlement=settlement,
        applies_now=applies_now,
        credit_note=note,
    )


OPEN = (R.Status.PENDING_PAYMENT, R.Status.QUEUED)


def lock_service_money(service_id: int) -> Service:
    """Lock a service and everything a change of it may settle, in the money lock order
    (`services/locks.py`): the service, its open change requests, its unpaid invoices."""
    service = lock_service(service_id)
    lock_rows(R, R.objects.filter(service=service, status__in=OPEN).values_list("pk", flat=True))
    lock_open_invoices([service.pk])
    return service


def _close_stale(service: Service, *, now: dt.datetime) -> None:
    """A change waiting for an upgrade invoice that was cancelled meanwhile is cancelled too."""
    stale = R.objects.filter(service=service, status=R.Status.PENDING_PAYMENT, invoice__status=Invoice.Status.CANCELLED)
    for req in lock_rows(R, stale.values_list("pk", flat=True)):
        req.status, req.note = R.Status.CANCELLED, "the upgrade invoice was cancelled"
        req.save(update_fields=["status", "note"])


def _describe(req: UpgradeRequest) -> str:
    what = {R.Kind.UPGRADE: "Upgrade", R.Kind.DOWNGRADE: "Downgrade", R.Kind.CYCLE_CHANGE: "Billing cycle change"}
    host = f" - {req.service.hostname}" if req.service.hostname else ""
    fee = f", incl. upgrade fee {req.upgrade_fee}" if req.upgrade_fee else ""
    return (
        f"{what[req.kind]}{host}: {req.from_product.name} {CYCLE_LABELS[Cycle(req.from_cycle)]} → "
        f"{req.to_product.name} {CYCLE_LABELS[Cycle(req.to_cycle)]}, pro-rata {req.remaining * 100:.2f}% of "
        f"{req.period_start} – {req.period_end - dt.timedelta(days=1)}{fee}"
    )


def _charge_line(req: UpgradeRequest) -> LineSpec:
    return LineSpec(
        kind=InvoiceLine.Kind.UPGRADE,
        description=_describe(req),
        amount=req.charge - req.netted,  # a queued charge less what a downgrade credit settled of it
        service=req.service,
        cycle=req.to_cycle,
        period_start=local_date(req.change_at),
        period_end=req.period_end - dt.timedelta(days=1),
    )


@transaction.atomic(durable=True)
def service_change_package(
    *, service_id: int, product_id: int, cycle: str, now: dt.datetime, actor: User | None
) -> UpgradeRequest:
    """Upgrade or downgrade a service to another product, or change its billing cycle (client or staff)."""
    service = lock_service_money(service_id)
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("no product with id %(product_id)s") % {"product_id": product_id}, field="product")
    _close_stale(service, now=now)
    waiting = R.objects.filter(service=service, status=R.Status.PENDING_PAYMENT).select_related("invoice").first()
    if waiting is not None:
        raise Conflict(
            _("a change of this service waits for payment of invoice %(display_number)s")
            % {"display_number": waiting.invoice.display_number}
            if waiting.invoice
            else _("a change of this service is already waiting"),
            field="service",
            code="change_pending",
        )
    quote = upgrade_quote(service=service, product=product, cycle=cycle, now=now)
    try:
        with transaction.atomic():
            req = R.objects.create(
                service=service,
                kind=quote.kind,
                status=R.Status.PENDING_PAYMENT,
                settlement=quote.settlement,
                from_product=quote.from_product,
                from_cycle=quote.from_cycle,
                from_price=quote.from_price,
                to_product=product,
                to_cycle=quote.to_cycle,
                to_price=quote.to_price,
                upgrade_fee=quote.upgrade_fee,
                change_at=now,
                period_start=quote.period_start,
                period_end=quote.period_end,
                period_cycle=quote.period_cycle,
                proration_unit=quote.unit,
                remaining=quote.remaining.quantize(Decimal("1e-12")),
                charge=quote.charge,
                credit_note_wanted=quote.credit_note,
                requested_by=actor if actor is not None and actor.pk else None,
                created_at=now,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("a change of this service is already waiting"), field="service", code="change_pending"
        ) from exc
    today = local_date(now)
    if quote.settlement == Settle.INVOICE:
        req.invoice = issue_invoice(
            client=service.client,
            kind=Invoice.Kind.UPGRADE,
            lines=[_charge_line(req)],
            issue_date=today,
            due_date=today,
            now=now,
            actor=actor,
        )
        req.save(update_fields=["invoice"])
    audit(
        actor=actor,
        action="service_change_package",
        obj=service,
        now=now,
        message=_describe(req),
        data={"request": req.pk, "charge": str(req.charge), "settlement": req.settlement},
    )
    if quote.applies_now:
        apply_change(req, service, now=now, actor=actor)
    return req


def apply_change(req: UpgradeRequest, service: Service, *, now: dt.datetime, actor: User | None) -> None:
    """Inner step (service row locked): the service takes the new product / cycle; the money follows
    the settlement; the panel's package is changed by a job; the client and staff are told."""
    fields = ["product", "cycle", "recurring_amount"]
    service.product, service.cycle, service.recurring_amount = req.to_product, req.to_cycle, req.to_price
    if req.to_cycle != req.from_cycle:
        service.anchor_date = service.next_due_date  # the new cycle starts at the next due date
        fields.append("anchor_date")
    service.save(update_fields=fields)
    if req.to_product_id != req.from_product_id:
        Product.objects.filter(pk=req.to_product_id, stock_enabled=True, stock__gt=0).update(stock=F("stock") - 1)
        Product.objects.filter(pk=req.from_product_id, stock_enabled=True).update(stock=F("stock") + 1)
        _reprice_issued_renewal(req, service, now=now, actor=actor)
    req.applied_at, req.status = now, R.Status.APPLIED
    req.save(update_fields=["applied_at", "status"])
    if req.settlement == Settle.NEXT_INVOICE:
        line = _renewal_line(service)
        if line is None:
            req.status = R.Status.QUEUED
            req.save(update_fields=["status"])
        else:
            _bill_queued(req, lock_invoice(line.invoice_id), now=now, actor=actor)
    elif req.settlement == Settle.CREDIT or (req.settlement == Settle.CREDIT_QUEUE and not _has_unpaid(service)):
        _give_credit(req, now=now, actor=actor)
    elif req.settlement == Settle.CREDIT_QUEUE:
        req.status = R.Status.QUEUED
        req.save(update_fields=["status"])
    audit(actor=actor, action=f"service_{req.kind}", obj=service, now=now, message=_describe(req))
    account = PanelAccount.objects.filter(service=service, exists_on_panel=True).first()
    if account is not None and req.to_product_id != req.from_product_id and req.to_product.module:
        app = ProductApp.objects.filter(product_id=req.to_product_id).first()
        req.job = request_job(
            service=service,
            operation=ProvisioningJob.Operation.CHANGE_PACKAGE,
            now=now,
            actor=actor,
            key=f"upgrade:{req.pk}",
            reason=f"{req.get_kind_display()} to {req.to_product.name}"[:200],
            params={
                "options": dict(app.options) if app else {},
                "upgrade": {"request": req.pk, "from": req.from_product.name, "to": req.to_product.name},
            },
        )
        req.save(update_fields=["job"])
    context = {"service": service, "client": service.client, "request": req}
    notify(
        template="upgrade_success",
        client=service.client,
        dedupe_key=f"upgrade_success:{req.pk}",
        now=now,
        context=context,
        service_id=service.pk,
    )
    if req.job is None:  # with a panel, staff hear of success (or failure) when the job ends
        notify_staff(
            template="staff_upgrade_success",
            dedupe_key=f"staff_upgrade_success:{req.pk}",
            now=now,
            context={**context, "upgrade": {"from": req.from_product.name, "to": req.to_product.name}},
            service_id=service.pk,
        )


def _reprice_issued_renewal(req: UpgradeRequest, service: Service, *, now: dt.datetime, actor: User | None) -> None:
    """The renewal invoice for the next period, issued at the old price and unpaid, gets the difference."""
    line = _renewal_line(service)
    if line is None or line.amount != req.from_price or line.cycle != req.to_cycle:
        return
    invoice = lock_invoice(line.invoice_id)
    delta = req.to_price - req.from_price
    if not delta or invoice.status != Invoice.Status.UNPAID or invoice_outstanding(invoice) + delta < 0:
        return
    add_line(
        invoice=invoice,
        spec=LineSpec(
            kind=InvoiceLine.Kind.UPGRADE,
            description=f"Price change {req.from_product.name} → {req.to_product.name}"[:300],
            amount=delta,
            service=service,
            cycle=line.cycle,
            period_start=line.period_start,
            period_end=line.period_end,
        ),
        now=now,
        actor=actor,
    )


def _has_unpaid(service: Service) -> bool:
    return Invoice.objects.filter(client_id=service.client_id, status=Invoice.Status.UNPAID).exists()


def _bill_queued(req: UpgradeRequest, invoice: Invoice, *, now: dt.datetime, actor: User | None) -> None:
    req.invoice_line = add_line(invoice=invoice, spec=_charge_line(req), now=now, actor=actor)
    req.invoice, req.status, req.settled_at = invoice, R.Status.APPLIED, now
    req.save(update_fields=["invoice_line", "invoice", "status", "settled_at"])


def unpaid_change_charges(service: Service) -> dict[int, tuple[list[UpgradeRequest], list[int]]]:
    """The unpaid invoices that charge for changes of `service` already made: invoice id → (those
    changes, the lines charging for them). An upgrade invoice of a change applied when ordered, or
    a queued charge's line on a renewal invoice still unpaid."""
    found: dict[int, tuple[list[UpgradeRequest], list[int]]] = {}
    made = R.objects.filter(service=service, applied_at__isnull=False).exclude(
        status__in=[R.Status.CANCELLED, R.Status.FAILED]
    )
    for req in made.filter(settlement=Settle.INVOICE, invoice__status=Invoice.Status.UNPAID).order_by("pk"):
        lines = list(
            req.invoice.lines.filter(service=service, kind=InvoiceLine.Kind.UPGRADE).values_list("pk", flat=True)
        )
        found.setdefault(req.invoice_id, ([], []))[0].append(req)
        found[req.invoice_id][1].extend(lines)
    for req in (
        made.filter(settlement=Settle.NEXT_INVOICE, invoice_line__invoice__status=Invoice.Status.UNPAID)
        .select_related("invoice_line")
        .order_by("pk")
    ):
        found.setdefault(req.invoice_line.invoice_id, ([], []))[0].append(req)
        found[req.invoice_line.invoice_id][1].append(req.invoice_line_id)
    return found


def _net_queued(req: UpgradeRequest, credit: Decimal, *, now: dt.datetime) -> Decimal:
    """The credit settles the service's queued charges not invoiced yet, oldest first (their rows
    are locked by the caller). Returns the part of the credit used."""
    used = ZERO
    queued = R.objects.filter(
        service_id=req.service_id, status=R.Status.QUEUED, settlement=Settle.NEXT_INVOICE, invoice_line__isnull=True
    ).exclude(pk=req.pk)
    for other in lock_rows(queued, queued.values_list("pk", flat=True)):
        take = min(credit - used, other.charge - other.netted)
        if take <= 0:
            continue
        other.netted += take
        used += take
        fields = ["netted"]
        if other.netted >= other.charge:
            other.status, other.settled_at = R.Status.APPLIED, now
            other.note = f"settled by the credit of change #{req.pk}"
            fields += ["status", "settled_at", "note"]
        other.save(update_fields=fields)
    return used


def _net_unpaid(req: UpgradeRequest, credit: Decimal, *, now: dt.datetime, actor: User | None) -> Decimal:
    """The credit (given already) pays the unpaid invoices charging for the service's changes
    already made, and for the period it was priced over, oldest first. Returns the part used."""
    used = ZERO
    owed = unpaid_change_charges(req.service)
    # And the unpaid invoice for the very period the change was priced over (with Automatic Renew
    # "when the invoice is issued" the next due date moved on when it was issued, so that period is
    # the one changed): a credit for a period not paid for is no money of the client's.
    for line in InvoiceLine.objects.filter(
        service_id=req.service_id,
        kind=InvoiceLine.Kind.SERVICE,
        period_start=req.period_start,
        invoice__status=Invoice.Status.UNPAID,
    ):
        owed.setdefault(line.invoice_id, ([], []))[1].append(line.pk)
    for invoice in lock_rows(Invoice.objects.select_related("client"), owed):
        if credit - used <= 0:
            break
        charged = sum(InvoiceLine.objects.filter(pk__in=owed[invoice.pk][1]).values_list("amount", flat=True), ZERO)
        part = min(credit - used, charged)
        if part > 0 and invoice.status == Invoice.Status.UNPAID:
            used += apply_credit(invoice=invoice, now=now, paid_on=local_date(now), actor=actor, amount=part)
    return used


def _give_credit(req: UpgradeRequest, *, now: dt.datetime, actor: User | None) -> None:
    """A downgrade credit, netted first (issue #10): it settles the service's queued charges not yet
    invoiced, then pays its unpaid invoices for changes already made; only the rest is spendable.
    So a credit never exceeds what was paid for the period less what was used."""
    client = req.service.client
    queued = _net_queued(req, req.credit_amount, now=now)
    given = req.credit_amount - queued
    reason = f"Downgrade credit: {_describe(req)}"
    if queued:
        reason += f" (less {queued} of queued charges it settles)"
    reason = reason[:300]
    if given > 0 and req.credit_note_wanted:
        note = issue_credit_note(
            client=client,
            amount=given,
            reason=reason,
            now=now,
            issue_date=local_date(now),
            service=req.service,
            actor=actor,
        )
        req.credit_note = note
        req.credit_entry = note.ledger_entries.order_by("pk").first()
    elif given > 0:
        req.credit_entry = add_credit(client=client, amount=given, memo=reason, now=now, actor=actor)
    paid = _net_unpaid(req, given, now=now, actor=actor) if given > 0 else ZERO
    req.netted = queued + paid
    req.status, req.settled_at = R.Status.APPLIED, now
    req.save(update_fields=["credit_note", "credit_entry", "netted", "status", "settled_at"])


def bill_queued_charges(*, service: Service, invoice: Invoice, now: dt.datetime, actor: User | None = None) -> None:
    """Inner step, called by billing right after a renewal invoice is issued: the service's queued
    pro-rata charges (Queue Pro-rata Charges, hybrid upgrades) become lines of it, each once."""
    if invoice.status != Invoice.Status.UNPAID:
        return
    ids = list(
        R.objects.filter(
            service=service, status=R.Status.QUEUED, settlement=Settle.NEXT_INVOICE, invoice_line__isnull=True
        ).values_list("pk", flat=True)
    )
    if not ids:
        return  # the usual case: nothing queued (checked without locks)
    queued = R.objects.filter(status=R.Status.QUEUED, invoice_line__isnull=True)
    for req in lock_rows(queued, ids):  # the service is locked by the caller: the money lock order
        _bill_queued(req, invoice, now=now, actor=actor)


def release_queued_credit(*, request_id: int, now: dt.datetime) -> str | None:
    """Inner step (automation): a queued downgrade credit is given once the client has no unpaid
    invoices. Returns what it did, or None when it is not time (or it was done)."""
    service_id = R.objects.filter(pk=request_id).values_list("service_id", flat=True).first()
    if service_id is None:
        return None
    lock_service_money(service_id)  # service, its open changes (this one too), its unpaid invoices
    req = R.objects.select_related("service__client").filter(pk=request_id).first()
    if req is None or req.status != R.Status.QUEUED or req.settlement != Settle.CREDIT_QUEUE:
        return None
    if _has_unpaid(req.service):
        return None
    _give_credit(req, now=now, actor=None)
    audit(actor=None, action="downgrade_credit_release", obj=req.service, now=now, data={"request": req.pk})
    done = f"credit {req.credit_amount} for service #{req.service_id}"
    return done + (f" (credit note {req.credit_note.display_number})" if req.credit_note else "")


def apply_paid_change(invoice: Invoice, *, now: dt.datetime, actor: User | None) -> None:
    """Inner step, after an upgrade invoice is settled: a change waiting for it is applied (Automatic
    Upgrades "after receiving payment"), or fails if the service can no longer take it."""
    waiting = R.objects.filter(invoice=invoice, status=R.Status.PENDING_PAYMENT).values_list("pk", "service_id")
    for req_id, service_id in waiting:
        # The payment flow locked the service, this request and the invoices first (the money lock
        # order); taking them again here does not wait.
        service = lock_service(service_id)
        req = lock_row(R, req_id)
        if req is None or req.status != R.Status.PENDING_PAYMENT:
            continue
        problem = ""
        if service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
            problem = f"the service is {service.get_status_display().lower()}"
        elif (service.product_id, service.cycle) != (req.from_product_id, req.from_cycle):
            problem = "the service's product or billing cycle changed meanwhile"
        if problem:
            req.status, req.note = R.Status.FAILED, problem
            req.save(update_fields=["status", "note"])
            audit(actor=actor, action="service_change_failed", obj=service, now=now, message=problem)
            notify_staff(
                template="staff_upgrade_failed",
                dedupe_key=f"staff_upgrade_failed:request{req.pk}",
                now=now,
                context={
                    "service": service,
                    "client": service.client,
                    "upgrade": {"from": req.from_product.name, "to": req.to_product.name},
                    "error": problem,
                },
                service_id=service.pk,
            )
            continue
        apply_change(req, service, now=now, actor=actor)


@transaction.atomic(durable=True)
def upgrade_cancel(*, request_id: int, now: dt.datetime, actor: User | None, reason: str = "") -> UpgradeRequest:
    """Withdraw a change that waits for payment; its unpaid upgrade invoice is cancelled."""
    found = R.objects.filter(pk=request_id).values_list("service_id", flat=True).first()
    if found is None:
        raise NotFound(_("no upgrade request with id %(request_id)s") % {"request_id": request_id}, field="request")
    lock_service_money(found)  # service → its open requests (this one) → its unpaid invoices
    req = R.objects.get(pk=request_id)
    if req.status != R.Status.PENDING_PAYMENT:
        raise DomainError(
            _("only a change waiting for payment can be cancelled; this one is %(lower)s")
            % {"lower": req.get_status_display().lower()},
            field="request",
            code="not_pending",
        )
    if req.invoice_id:
        invoice = lock_invoice(req.invoice_id)
        if invoice.status == Invoice.Status.UNPAID:
            cancel_invoice(
                invoice=invoice, now=now, cancelled_on=local_date(now), actor=actor, reason="upgrade cancelled"
            )
    req.status, req.note = R.Status.CANCELLED, (reason or "cancelled")[:300]
    req.save(update_fields=["status", "note"])
    audit(actor=actor, action="upgrade_cancel", obj=req.service, now=now, message=req.note, data={"request": req.pk})
    return req


def closing_charges(*, service: Service, now: dt.datetime, actor: User | None, unit: str) -> ClosingCharges:
    """Registered in billing's `closing_extras` (cancellations call it when a service is cancelled,
    service and request locked): a change still waiting for payment is cancelled (its invoice is
    cancelled with the service's); queued charges are handed over to be billed now; the lines of
    unpaid invoices charging for changes already made are marked as owed; and the unused value of
    the changes made in the running period is given (the pro-rated credit counts it)."""
    lock_rows(R, R.objects.filter(service=service, status__in=OPEN).values_list("pk", flat=True))
    closing = ClosingCharges()
    for req in R.objects.filter(service=service, status=R.Status.PENDING_PAYMENT):
        req.status, req.note = R.Status.CANCELLED, "the service was cancelled"
        req.save(update_fields=["status", "note"])
    queued = R.objects.filter(
        service=service, status=R.Status.QUEUED, settlement=Settle.NEXT_INVOICE, invoice_line__isnull=True
    ).select_related("service", "from_product", "to_product")
    for req in queued.order_by("pk"):
        closing.unbilled.append((_charge_line(req), _billed_at_closing(req, now)))
    for requests, lines in unpaid_change_charges(service).values():
        for line_id in lines:
            closing.received[line_id] = _billed_at_closing(requests[0], now, line_id=line_id)
    moment = now
    made = R.objects.filter(service=service, applied_at__isnull=False, period_end__gt=local_date(now)).exclude(
        status__in=[R.Status.CANCELLED, R.Status.FAILED]
    )
    for req in made:
        start, end = midnight(req.period_start), midnight(req.period_end)
        if moment >= end:
            continue  # a period over: nothing of it is unused (one not begun is wholly unused)
        left, total = remaining_units(period_start=start, period_end=end, moment=moment, unit=unit)
        difference = on_basis(req.to_price, req.to_cycle, req.period_cycle) - on_basis(
            req.from_price, req.from_cycle, req.period_cycle
        )
        closing.unused += as_decimal(difference * Fraction(left, total))
    return closing


def _billed_at_closing(req: UpgradeRequest, now: dt.datetime, *, line_id: int | None = None):  # noqa: ANN202
    """What a change records when cancellation bills its charge on a new invoice."""

    def tell(line: InvoiceLine) -> None:
        if req.settlement == Settle.NEXT_INVOICE and (line_id is None or req.invoice_line_id == line_id):
            req.invoice_line = line
        req.invoice, req.status = line.invoice, R.Status.APPLIED
        req.settled_at = req.settled_at or now
        req.save(update_fields=["invoice_line", "invoice", "status", "settled_at"])

    return tell
