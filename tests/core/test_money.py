"""Money is a value object: Decimal amounts in one currency, rounded half-up only when written."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moorage.core.money import Money, round_money, to_decimal


def test_amounts_from_int_str_and_decimal():
    assert to_decimal(5) == Decimal("5")
    assert to_decimal(" 4.99 ") == Decimal("4.99")
    assert to_decimal(Decimal("0.10")) == Decimal("0.10")


@pytest.mark.parametrize("bad", [0.1, 1.0, True, False])
def test_floats_and_booleans_are_refused(bad):
    with pytest.raises(TypeError):
        to_decimal(bad)
    with pytest.raises(TypeError):
        Money(bad, "USD")


@pytest.mark.parametrize("bad", ["abc", "", "NaN", "Infinity", "-inf"])
def test_text_that_is_not_a_finite_amount_is_refused(bad):
    with pytest.raises(ValueError):
        to_decimal(bad)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_decimal_that_is_not_a_finite_amount_is_refused(bad):
    with pytest.raises(ValueError):
        to_decimal(bad)


def test_other_types_are_refused():
    with pytest.raises(TypeError):
        to_decimal([1])
    with pytest.raises(TypeError):
        to_decimal(None)


def test_multiplying_by_a_float_is_refused():
    with pytest.raises(TypeError):
        Money("10.00", "USD") * 1.5


def test_mixed_currencies_are_refused():
    with pytest.raises(ValueError, match="mixed currencies"):
        Money("1.00", "USD") + Money("1.00", "EUR")
    with pytest.raises(ValueError, match="mixed currencies"):
        Money("1.00", "USD") - Money("1.00", "EUR")


def test_money_only_combines_with_money():
    with pytest.raises(TypeError):
        Money("1.00", "USD") + Decimal("1.00")


def test_currency_is_a_three_letter_code():
    with pytest.raises(ValueError):
        Money("1.00", "US")


def test_arithmetic_keeps_full_precision_until_rounded():
    third = Money(Decimal("10.00") / 3, "USD")
    assert third.amount != round_money(third.amount)
    assert (third * 3).amount != Decimal("10.00")
    assert (third * 3).rounded() == Money("10.00", "USD")
    assert Money("4.99", "USD") + Money("0.01", "USD") == Money("5.00", "USD")
    assert Money("5.00", "USD") - Money("0.01", "USD") == Money("4.99", "USD")
    assert -Money("1.50", "USD") == Money("-1.50", "USD")
    assert Money("2.50", "USD") * 2 == Money("5.00", "USD")
    assert str(Money("1.005", "USD")) == "1.01 USD"


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("2.675", "2.68"),
        ("2.665", "2.67"),
        ("-0.005", "-0.01"),
        ("1.994999", "1.99"),
        ("1.995", "2.00"),
        ("10", "10.00"),
    ],
)
def test_rounding_is_half_up_to_cents(raw, rounded):
    assert round_money(Decimal(raw)) == Decimal(rounded)
    assert str(round_money(Decimal(raw))) == rounded


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6))
def test_rounding_is_within_half_a_cent_and_idempotent(amount):
    rounded = round_money(amount)
    assert abs(rounded - amount) <= Decimal("0.005")
    assert round_money(rounded) == rounded
    assert rounded.as_tuple().exponent == -2
