"""What a change of package costs (pure: no Django).

billing-semantics §4: charge = (new price − old price) × remaining + upgrade fee, with `remaining`
the unused share of the current paid period in the product's unit (seconds, hours or days). When
the old and new price rows have other cycles than the current period (Change Billing Cycle), both
prices are first put on the current period's basis by the cycles' nominal lengths (a month counts
365.25 / 12 days), so a yearly price is compared with a monthly one per month. With equal cycles
this is the formula of §4 unchanged.

The arithmetic is exact (fractions): 14/31 of a period or 1/12 of a yearly price never lose a digit,
so the one rounding — half-up to cents, here — is never tipped by an earlier one, and an upgrade and
its reverse at the same moment cancel to the cent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from moorage.billing.proration import remaining_units

MONTH_DAYS = Fraction(36525, 1200)  # 365.25 / 12
CYCLE_DAYS: dict[str, Fraction] = {
    "daily": Fraction(1),
    "weekly": Fraction(7),
    "monthly": MONTH_DAYS,
    "quarterly": MONTH_DAYS * 3,
    "semiannually": MONTH_DAYS * 6,
    "annually": MONTH_DAYS * 12,
    "biennially": MONTH_DAYS * 24,
    "triennially": MONTH_DAYS * 36,
}
CENTS = 100


def on_basis(price: Decimal, cycle: str, basis_cycle: str) -> Fraction:
    """`price` of a `cycle` row expressed per `basis_cycle` period (unchanged when they are equal)."""
    if cycle == basis_cycle:
        return Fraction(price)
    return Fraction(price) * CYCLE_DAYS[basis_cycle] / CYCLE_DAYS[cycle]


def round_half_up(value: Fraction) -> Decimal:
    """To cents, half away from zero (as `core.money.round_money` rounds)."""
    cents = abs(value) * CENTS
    whole = int(cents + Fraction(1, 2))
    return (Decimal(whole if value >= 0 else -whole) / CENTS).quantize(Decimal("0.01"))


def as_decimal(value: Fraction) -> Decimal:
    """A fraction shown as a decimal (28 significant digits): for display and storage, not for sums."""
    return Decimal(value.numerator) / Decimal(value.denominator)


@dataclass(frozen=True)
class ChangeCharge:
    """The pieces of a change's charge; only `total` is rounded (the others are shown as decimals)."""

    remaining: Decimal  # unused share of the current period, 0..1
    difference: Decimal  # new − old per current period
    prorata: Decimal  # difference × remaining
    fee: Decimal  # the target price row's upgrade fee
    total: Decimal  # prorata + fee rounded half-up: > 0 upgrade charge, < 0 downgrade credit


def change_amount(
    *,
    old_price: Decimal,
    old_cycle: str,
    new_price: Decimal,
    new_cycle: str,
    basis_cycle: str,
    fee: Decimal,
    period_start: dt.datetime,
    period_end: dt.datetime,
    moment: dt.datetime,
    unit: str,
) -> ChangeCharge:
    """What changing from the old price row to the new one at `moment` costs."""
    left, total = remaining_units(period_start=period_start, period_end=period_end, moment=moment, unit=unit)
    remaining = Fraction(left, total)
    difference = on_basis(new_price, new_cycle, basis_cycle) - on_basis(old_price, old_cycle, basis_cycle)
    prorata = difference * remaining
    return ChangeCharge(
        remaining=as_decimal(remaining),
        difference=as_decimal(difference),
        prorata=as_decimal(prorata),
        fee=fee,
        total=round_half_up(prorata + Fraction(fee)),
    )
