"""Renewal invoices: one invoice per (service, period start), never two (a unique key guards it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import IntegrityError, transaction

from moorage.billing.actions import LineSpec, issue_invoice, mark_paid_if_settled
from moorage.billing.dates import renewal_invoice_due
from moorage.billing.models import Invoice, InvoiceLine
from moorage.catalog.models import BillingDefaults, Product, product_setting
from moorage.core.cycles import Cycle, next_due_after
from moorage.core.models import User
from moorage.core.money import ZERO
from moorage.services.actions import advance_due_date
from moorage.services.models import Service, ServiceComponent

# Apps above billing that queue charges for the next renewal invoice (upgrades: Queue Pro-rata
# Charges, hybrid billing) register a callable here, called as f(service=, invoice=, now=, actor=)
# right after the invoice is issued, in the same transaction; billing never imports them.
renewal_extras: list[Callable[..., None]] = []


def period_of(service: Service, start: dt.date) -> tuple[dt.date, dt.date]:
    """The period starting at `start` on the service's anchored schedule: (start, last day)."""
    anchor = service.anchor_date or start
    end = next_due_after(anchor, service.cycle, start, service.anchor_day) - dt.timedelta(days=1)
    return start, end


COMPONENT_LINE_KINDS = {
    ServiceComponent.Kind.OPTION: InvoiceLine.Kind.OPTION,
    ServiceComponent.Kind.ADDON: InvoiceLine.Kind.ADDON,
    ServiceComponent.Kind.DISCOUNT: InvoiceLine.Kind.DISCOUNT,
}


def component_lines(service: Service, start: dt.date, end: dt.date) -> list[LineSpec]:
    """The lines of the service's active components (priced form options, add-ons, recurring
    discounts) for the period [start, end]: billed with the parent, on the parent's due date.

    A discount never takes the period below zero: it is capped at what the plan and the other
    components cost (a recurring promotional discount fixed at checkout may outgrow a downgraded plan).
    """
    components = list(
        ServiceComponent.objects.filter(service=service, status=ServiceComponent.Status.ACTIVE).order_by("pk")
    )
    room = service.recurring_amount + sum((c.recurring_amount for c in components if c.recurring_amount > 0), ZERO)
    lines = []
    for component in components:
        amount = component.recurring_amount
        if amount < 0:
            amount = max(amount, -room)
            room += amount
        if amount:
            lines.append(
                LineSpec(
                    kind=COMPONENT_LINE_KINDS[component.kind],
                    description=component.description,
                    amount=amount,
                    service=service,
                    cycle=service.cycle,
                    period_start=start,
                    period_end=end,
                )
            )
    return lines


def is_postpaid(service: Service) -> bool:
    return service.product.is_postpaid


def invoice_date_for(service: Service, defaults: BillingDefaults) -> dt.date:
    """The first day the invoice for the period at the next due date may be created."""
    if is_postpaid(service):
        return period_of(service, service.next_due_date)[1] + dt.timedelta(days=1)
    return service.next_due_date - dt.timedelta(
        days=int(product_setting(service.product, "invoice_generate_days", defaults))
    )


def issue_renewal(
    service: Service,
    *,
    today: dt.date,
    now: dt.datetime,
    actor: User | None = None,
    defaults: BillingDefaults | None = None,
    force: bool = False,
    planned: bool = False,
    usage_lines: Callable[[Service, dt.date, dt.date], list[LineSpec]] | None = None,
) -> Invoice | None:
    """Inner step (service row locked by the caller): the renewal invoice for the period starting at
    the next due date, if it is time (or `force`, for a manual renew) and none exists yet.

    Pre-paid: issued X days before the period; post-paid: after the period ends. With *renew when
    the renewal invoice is issued* (and always for post-paid), the next due date moves on now.

    A metered service's period is billed only with `usage_lines` (metering's lines for the usage of
    [start, end]) after its line for the base price; a zero total is issued and marked paid at once.
    """
    defaults = defaults or BillingDefaults.load()
    if service.cycle == Cycle.ONE_TIME or service.next_due_date is None:
        return None
    if usage_lines is None and service.product.price_type == Product.PriceType.METERED:
        return None  # never bill a metered period without its usage
    if not force and invoice_date_for(service, defaults) > today:
        return None
    start, end = period_of(service, service.next_due_date)
    # `planned`: the automation's plan already found the period unbilled; the unique key on the line
    # still refuses a second invoice if another run issued one since (caught below).
    if (
        not planned
        and InvoiceLine.objects.filter(service=service, kind=InvoiceLine.Kind.SERVICE, period_start=start).exists()
    ):
        return None
    postpaid = is_postpaid(service)
    base = end + dt.timedelta(days=1) if postpaid else start
    due = renewal_invoice_due(
        base,
        paid_before_days=int(product_setting(service.product, "invoice_due_before_days", defaults)),
        move_days=int(product_setting(service.product, "invoice_due_move_days", defaults)),
    )
    label = service.product.name + (f" - {service.hostname}" if service.hostname else "")
    line = LineSpec(
        kind=InvoiceLine.Kind.SERVICE,
        description=label,
        amount=service.recurring_amount,
        service=service,
        cycle=service.cycle,
        period_start=start,
        period_end=end,
    )
    lines = [line, *component_lines(service, start, end), *(usage_lines(service, start, end) if usage_lines else [])]
    try:
        with transaction.atomic():
            invoice = issue_invoice(
                client=service.client,
                kind=Invoice.Kind.RENEWAL,
                lines=lines,
                issue_date=today,
                due_date=max(due, today) if postpaid else due,
                now=now,
                actor=actor,
            )
    except IntegrityError:
        return None  # another run issued it a moment ago: the unique key held
    for extra in renewal_extras:
        extra(service=service, invoice=invoice, now=now, actor=actor)
    if usage_lines is not None:
        mark_paid_if_settled(invoice, paid_on=today)  # a metered period with nothing to pay (0.00)
    if postpaid or product_setting(service.product, "renew_on", defaults) == "invoice_issued":
        advance_due_date(service, period_start=start)
    return invoice
