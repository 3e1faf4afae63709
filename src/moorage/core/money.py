"""Money as a value object: Decimal amounts in one currency, rounded only where written."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount a money column holds (DecimalField(max_digits=12, decimal_places=2)).
MAX_AMOUNT = Decimal("9999999999.99")


def to_decimal(value: object) -> Decimal:
    """Turn an int, str or Decimal into a Decimal; floats are refused (they cannot hold cents)."""
    if isinstance(value, (bool, float)):
        raise TypeError("money amounts must not be floats or booleans")
    if isinstance(value, Decimal):
        # NaN and Infinity are Decimals too, but no amount of money.
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value!r}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal amount: {value!r}") from exc
        if not result.is_finite():
            raise ValueError(f"not a finite amount: {value!r}")
        return result
    raise TypeError(f"cannot make an amount of {type(value).__name__}")


def round_money(amount: Decimal) -> Decimal:
    """Round half-up to the currency's minor unit (cents); used where a line or entry is written."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    """An amount in a currency; arithmetic refuses floats and mixed currencies."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        if len(self.currency) != 3:
            raise ValueError("currency must be a three-letter code")

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("can only combine Money with Money")
        if other.currency != self.currency:
            raise ValueError(f"mixed currencies: {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def rounded(self) -> Money:
        return Money(round_money(self.amount), self.currency)

    def __str__(self) -> str:
        return f"{round_money(self.amount)} {self.currency}"
