"""The usage lines of a metered period's invoice: one line per metered price of the product.

The period's invoice is written by billing's `issue_renewal` (which holds "one invoice per (service,
period start)" with the unique key of the period's `service` line: the base price, 0.00 when the
product has none); this module gives it the lines after that one, kind `other`, each carrying the
service and the period. Each line's amount is rounded half-up to the cent when written; a resource
without usage still gets its (0.00) line so the client sees it was measured.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from moorage.billing.actions import LineSpec
from moorage.billing.models import InvoiceLine
from moorage.metering.pricing import number
from moorage.metering.queries import UsageCharge, period_charges
from moorage.services.models import Service


def price_text(value: Decimal) -> str:
    """A unit price: two decimals at least, more only when it has them (0.50, 0.0005)."""
    cents = value.quantize(Decimal("0.01"))
    return f"{cents}" if cents == value else f"{value.normalize():f}"


def describe(item: UsageCharge) -> str:
    """The line text: resource, usage and basis, included quantity, billable bands × unit price."""
    unit = item.price.billing_unit

    def qty(q: Decimal) -> str:
        return f"{number(q)} {unit}".strip()

    basis = "peak" if item.basis == "peak" else "total"
    text = f"{item.label}: {qty(item.charge.usage)} {basis}" if item.measured else f"{item.label}: no usage recorded"
    if item.charge.included:
        text += f", {qty(item.charge.included)} included"
    if item.charge.parts:
        text += ", " + " + ".join(f"{qty(q)} × {price_text(p)}" for q, p in item.charge.parts)
    return text


def usage_lines(service: Service, start: dt.date, end: dt.date) -> list[LineSpec]:
    """One line per metered price of the service's product for the usage of [start, end]."""
    return [
        LineSpec(
            kind=InvoiceLine.Kind.OTHER,
            description=describe(item),
            amount=item.charge.amount,
            service=service,
            cycle=service.cycle,
            period_start=start,
            period_end=end,
        )
        for item in period_charges(service, start, end)
    ]
