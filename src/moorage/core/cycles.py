"""Billing cycles and anchored date arithmetic (pure: no Django).

The n-th due date of a service is computed from its anchor date, never by chaining "+1 month",
so a service anchored on the 31st renews 28/29 Feb, 31 Mar, 30 Apr, 31 May ... without drift.
"""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum


class Cycle(StrEnum):
    ONE_TIME = "one_time"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUALLY = "semiannually"
    ANNUALLY = "annually"
    BIENNIALLY = "biennially"
    TRIENNIALLY = "triennially"

    @property
    def label(self) -> str:
        return CYCLE_LABELS[self]


CYCLE_LABELS: dict[Cycle, str] = {
    Cycle.ONE_TIME: "One time",
    Cycle.DAILY: "Daily",
    Cycle.WEEKLY: "Weekly",
    Cycle.MONTHLY: "Monthly",
    Cycle.QUARTERLY: "Quarterly",
    Cycle.SEMIANNUALLY: "Semi-annually",
    Cycle.ANNUALLY: "Annually",
    Cycle.BIENNIALLY: "Biennially",
    Cycle.TRIENNIALLY: "Triennially",
}

# Length of each recurring cycle: ("days", n) or ("months", n).
CYCLE_LENGTH: dict[Cycle, tuple[str, int]] = {
    Cycle.DAILY: ("days", 1),
    Cycle.WEEKLY: ("days", 7),
    Cycle.MONTHLY: ("months", 1),
    Cycle.QUARTERLY: ("months", 3),
    Cycle.SEMIANNUALLY: ("months", 6),
    Cycle.ANNUALLY: ("months", 12),
    Cycle.BIENNIALLY: ("months", 24),
    Cycle.TRIENNIALLY: ("months", 36),
}

RECURRING_CYCLES: tuple[Cycle, ...] = tuple(CYCLE_LENGTH)


def _add_months(anchor: dt.date, months: int, anchor_day: int) -> dt.date:
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(anchor_day, last))


def nth_due_date(anchor: dt.date, cycle: Cycle | str, n: int, anchor_day: int | None = None) -> dt.date:
    """The date `n` cycles after `anchor` (n may be negative), computed from the anchor alone.

    `anchor_day` is the day of month the service keeps (defaults to the anchor's own day); months
    shorter than it end the period on their last day.
    """
    cycle = Cycle(cycle)
    if cycle is Cycle.ONE_TIME:
        raise ValueError("a one-time price has no due dates")
    unit, size = CYCLE_LENGTH[cycle]
    if unit == "days":
        return anchor + dt.timedelta(days=size * n)
    return _add_months(anchor, size * n, anchor_day or anchor.day)


def period_index(anchor: dt.date, cycle: Cycle | str, day: dt.date, anchor_day: int | None = None) -> int:
    """The largest n with nth_due_date(anchor, cycle, n) <= day."""
    cycle = Cycle(cycle)
    unit, size = CYCLE_LENGTH[cycle]
    if unit == "days":
        return (day - anchor).days // size
    months = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    n = months // size + 1
    while nth_due_date(anchor, cycle, n, anchor_day) > day:
        n -= 1
    return n


def next_due_after(anchor: dt.date, cycle: Cycle | str, due: dt.date, anchor_day: int | None = None) -> dt.date:
    """The due date one cycle after `due`, on the anchored schedule (not `due + 1 cycle`)."""
    n = period_index(anchor, cycle, due, anchor_day)
    return nth_due_date(anchor, cycle, n + 1, anchor_day)


def period_end(
    start: dt.date, cycle: Cycle | str, anchor: dt.date | None = None, anchor_day: int | None = None
) -> dt.date:
    """Last day (inclusive) of the period that starts at `start`: the next due date minus a day."""
    base = anchor or start
    return next_due_after(base, cycle, start, anchor_day) - dt.timedelta(days=1)


def first_of_next_month(day: dt.date) -> dt.date:
    """The 1st of the month after `day` (Full Month Billing's first renewal)."""
    return _add_months(dt.date(day.year, day.month, 1), 1, 1)
