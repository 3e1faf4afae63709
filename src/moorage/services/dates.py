"""Where a newly activated service's periods start (pure: no Django)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from moorage.core.cycles import Cycle, first_of_next_month, nth_due_date


@dataclass(frozen=True)
class ServiceDates:
    start_date: dt.date
    anchor_date: dt.date | None
    anchor_day: int | None
    next_due_date: dt.date | None


def initial_dates(
    *, cycle: str, order_date: dt.date, paid_on: dt.date, adjust_initial_period: bool, full_month_billing: bool = False
) -> ServiceDates:
    """Start, anchor and next due date of a service whose first invoice was paid on `paid_on`.

    Adjust Initial Period: paid after the order date → the service starts on the payment date.
    Full Month Billing: the next due date is the 1st of the following month, then calendar months.
    """
    start = paid_on if adjust_initial_period and paid_on > order_date else order_date
    if cycle == Cycle.ONE_TIME:
        return ServiceDates(start, None, None, None)
    if full_month_billing and cycle == Cycle.MONTHLY:
        anchor = first_of_next_month(start)
        return ServiceDates(start, anchor, 1, anchor)
    return ServiceDates(start, start, start.day, nth_due_date(start, cycle, 1, start.day))
