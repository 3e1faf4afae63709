"""Metered pricing, worked examples with the numbers written out (pure: no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from moorage.core.money import round_money
from moorage.metering.pricing import Tier, number, price_usage

GIB = Decimal(1024)


def test_disk_per_gib_after_the_included_gib():
    # Peak 3,584 MiB = 3.5 GiB; 1 GiB included → 2.5 GiB billable × 0.50 = 1.25.
    charge = price_usage(Decimal(3584), unit_price=Decimal("0.50"), included=Decimal(1), unit_size=GIB)
    assert (charge.usage, charge.billable, charge.amount) == (Decimal("3.5"), Decimal("2.5"), Decimal("1.25"))
    assert charge.parts == ((Decimal("2.5"), Decimal("0.50")),)


def test_usage_within_the_included_quantity_costs_nothing():
    charge = price_usage(Decimal(800), unit_price=Decimal("0.50"), included=Decimal(1), unit_size=GIB)
    assert (charge.billable, charge.amount, charge.parts) == (Decimal(0), Decimal(0), ())


def test_graduated_tiers_count_billable_units_then_the_unit_price_takes_the_rest():
    # 120 GiB used, 20 included → 100 billable:
    #   first 50 at 0.10 = 5.00; the next 30 (to 80) at 0.08 = 2.40; the last 20 at 0.05 = 1.00 → 8.40.
    tiers = [Tier(Decimal(80), Decimal("0.08")), Tier(Decimal(50), Decimal("0.10"))]  # order does not matter
    charge = price_usage(
        Decimal(120) * GIB, unit_price=Decimal("0.05"), included=Decimal(20), unit_size=GIB, tiers=tiers
    )
    assert charge.billable == Decimal(100)
    assert charge.parts == (
        (Decimal(50), Decimal("0.10")),
        (Decimal(30), Decimal("0.08")),
        (Decimal(20), Decimal("0.05")),
    )
    assert charge.amount == Decimal("8.40")


def test_usage_ending_inside_a_tier_and_an_open_last_tier():
    # 30 billable: 10 at 1.00 = 10.00, 20 in the open tier at 0.50 = 10.00 → 20.00 (unit price unused).
    tiers = [Tier(Decimal(10), Decimal("1.00")), Tier(None, Decimal("0.50"))]
    charge = price_usage(Decimal(30), unit_price=Decimal("9.99"), tiers=tiers)
    assert charge.parts == ((Decimal(10), Decimal("1.00")), (Decimal(20), Decimal("0.50")))
    assert charge.amount == Decimal("20.00")
    # 4 billable stay in the first tier: 4 × 1.00.
    assert price_usage(Decimal(4), unit_price=Decimal("9.99"), tiers=tiers).amount == Decimal("4.00")


def test_a_line_is_rounded_half_up_to_the_cent():
    # 2 websites, 1 included → 1 × 0.125 = 0.125 → 0.13 (half-up; banker's rounding would give 0.12).
    charge = price_usage(Decimal(2), unit_price=Decimal("0.125"), included=Decimal(1))
    assert charge.amount == Decimal("0.125")
    assert round_money(charge.amount) == Decimal("0.13")
    # 3 websites → 2 × 0.125 = 0.25 exactly.
    assert round_money(price_usage(Decimal(3), unit_price=Decimal("0.125"), included=Decimal(1)).amount) == Decimal(
        "0.25"
    )
    # 1,000 MiB at 0.0004 per MiB = 0.40; 1,013 MiB = 0.4052 → 0.41.
    assert round_money(price_usage(Decimal(1013), unit_price=Decimal("0.0004")).amount) == Decimal("0.41")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        price_usage(1.5, unit_price=Decimal("0.50"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unit size"):
        price_usage(Decimal(1), unit_price=Decimal(1), unit_size=Decimal(0))


def test_quantities_for_people():
    assert number(Decimal("3.5000")) == "3.5"
    assert number(Decimal("2048")) == "2,048"
    assert number(Decimal("0.0004"), 3) == "0"
    assert number(Decimal("12345.678")) == "12,345.678"
    assert number(Decimal("100.000")) == "100"
    assert number(Decimal("1E+3")) == "1,000"
