"""The price of a period's usage (pure): included quantity first, then graduated tiers, then the unit price.

Quantities are in the price's billing unit (usage ÷ unit size, e.g. MiB ÷ 1024 = GiB). The billable
quantity is what exceeds the included quantity. Tiers are *graduated* and count billable units:
`Tier(up_to=10, 0.50), Tier(up_to=50, 0.40)` prices the first 10 billable units at 0.50, units
10–50 at 0.40, and every unit beyond the last tier at the price's own unit price (a tier with no
`up_to` takes all the rest). The amount keeps full precision; it is rounded half-up to the cent
only where the invoice line is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True)
class Tier:
    up_to: Decimal | None  # cumulative billable units this tier reaches; None = no limit
    unit_price: Decimal


@dataclass(frozen=True)
class Charge:
    usage: Decimal  # in billing units
    included: Decimal
    billable: Decimal
    amount: Decimal  # unrounded
    parts: tuple[tuple[Decimal, Decimal], ...] = field(default=())  # (quantity, unit price) per band


def price_usage(
    usage: Decimal,
    *,
    unit_price: Decimal,
    included: Decimal = ZERO,
    unit_size: Decimal = Decimal(1),
    tiers: tuple[Tier, ...] | list[Tier] = (),
) -> Charge:
    """The charge for `usage` (in the measured unit, e.g. MiB) under one metered price."""
    for v in (usage, unit_price, included, unit_size):
        if not isinstance(v, Decimal):
            raise TypeError("metered pricing takes Decimals only")
    if unit_size <= 0:
        raise ValueError("unit size must be positive")
    quantity = max(usage, ZERO) / unit_size
    billable = max(quantity - included, ZERO)
    parts: list[tuple[Decimal, Decimal]] = []
    remaining, lower = billable, ZERO
    ordered = sorted(tiers, key=lambda t: (t.up_to is None, t.up_to or ZERO))
    for tier in ordered:
        if remaining <= 0:
            break
        if tier.up_to is None:
            parts.append((remaining, tier.unit_price))
            remaining = ZERO
            break
        band = max(tier.up_to - lower, ZERO)
        take = min(remaining, band)
        if take > 0:
            parts.append((take, tier.unit_price))
        remaining -= take
        lower = max(lower, tier.up_to)
    if remaining > 0:
        parts.append((remaining, unit_price))
    amount = sum((q * p for q, p in parts), ZERO)
    return Charge(usage=quantity, included=included, billable=billable, amount=amount, parts=tuple(parts))


def number(value: Decimal, places: int = 3) -> str:
    """A quantity for people: at most `places` decimals, no trailing zeros, thousands separated."""
    q = value.quantize(Decimal(1).scaleb(-places))
    if q == q.to_integral_value():
        return f"{q.quantize(Decimal(1)):,}"
    return f"{q.normalize():,f}"
