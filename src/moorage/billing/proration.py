"""Pro-rata amounts for upgrades, downgrades and cancellations (pure: no Django).

remaining = (period end − change moment) / (period end − period start), each measured in whole
units of the product's choice (seconds, hours or days; the remaining part rounded down), and
charge = (new price − old price) × remaining + upgrade fee. Ratios keep full precision: rounding
to cents happens where the amount is written (an invoice line, a ledger entry).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

UNIT_SECONDS = {"seconds": 1, "hours": 3600, "days": 86400}


def _whole_units(delta: dt.timedelta, unit: str) -> int:
    return int(delta.total_seconds()) // UNIT_SECONDS[unit]


def remaining_units(
    *, period_start: dt.datetime, period_end: dt.datetime, moment: dt.datetime, unit: str = "days"
) -> tuple[int, int]:
    """(units left, units in the period) of [start, end) at `moment`, in whole units; the exact ratio."""
    if unit not in UNIT_SECONDS:
        raise ValueError(f"unit must be one of {', '.join(UNIT_SECONDS)}")
    if period_end <= period_start:
        raise ValueError("the period must end after it starts")
    moment = min(max(moment, period_start), period_end)
    total = _whole_units(period_end - period_start, unit)
    if total <= 0:
        total = 1
    return _whole_units(period_end - moment, unit), total


def remaining_fraction(
    *, period_start: dt.datetime, period_end: dt.datetime, moment: dt.datetime, unit: str = "days"
) -> Decimal:
    """The unused share of the period [start, end) at `moment`, between 0 and 1."""
    left, total = remaining_units(period_start=period_start, period_end=period_end, moment=moment, unit=unit)
    return Decimal(left) / Decimal(total)


def change_charge(
    *, old_price: Decimal, new_price: Decimal, remaining: Decimal, upgrade_fee: Decimal = Decimal("0")
) -> Decimal:
    """What a change of package costs now: positive is an upgrade charge, negative a downgrade credit."""
    return (new_price - old_price) * remaining + upgrade_fee


def unused_value(*, price: Decimal, remaining: Decimal) -> Decimal:
    """The unused part of a paid period (pro-rated cancellation credit)."""
    return price * remaining
