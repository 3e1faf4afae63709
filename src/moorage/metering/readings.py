"""Strict reading of a figure a panel reports (pure): a finite, non-negative Decimal within a sane
maximum, or a refusal that names why. Nothing else becomes a usage sample."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Samples keep three decimals in 18 digits; a reading of a million TiB (or a trillion objects)
# is a broken panel, not usage, and would bill absurd amounts.
MAX_READING = Decimal("1000000000000")
PLACES = Decimal("0.001")


class BadReading(ValueError):
    """The panel's figure cannot be a quantity; the message says why (it is stored as the reason)."""


def parse_reading(raw: object) -> Decimal:
    """The figure as a Decimal with three places, or BadReading."""
    if isinstance(raw, bool) or raw is None:
        raise BadReading(f"{raw!r} is not a number")
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, int | float | str):
        text = str(raw).strip() if not isinstance(raw, float) else repr(raw)
        if len(text) > 40:
            raise BadReading(f"{text[:40]!r}… is not a number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise BadReading(f"{text!r} is not a number") from None
    else:
        raise BadReading(f"a {type(raw).__name__} is not a number")
    if not number.is_finite():
        raise BadReading(f"{number} is not a finite number")
    if number < 0:
        raise BadReading(f"{number} is negative")
    if number > MAX_READING:
        raise BadReading(f"{number} is above the largest plausible reading {MAX_READING}")
    return number.quantize(PLACES, rounding=ROUND_HALF_UP)


def describe(raw: object) -> str:
    """What the panel sent, short enough to store beside the reason."""
    return repr(raw)[:200]
