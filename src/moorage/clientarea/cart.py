"""The shopping cart of the client area, kept in the session until checkout.

The session holds a plain list of cart items as JSON (`CartItem.as_session`); prices are never stored in the
cart, they are asked of `orders.actions.price_item` each time the cart is shown, so a catalog
change (new price, hidden product) shows up at once and checkout prices the same way.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from moorage.core.errors import DomainError
from moorage.core.money import ZERO
from moorage.orders.actions import CartItem, PricedItem, price_item
from moorage.promotions import checkout as promotions
from moorage.services.components import Charge

SESSION_KEY = "moorage_cart"
# One checkout key per cart content: the same cart checked out twice (double submit, two tabs) makes
# one order; any change of the cart makes a new key.
CHECKOUT_KEY = "moorage_checkout_key"
MAX_ITEMS = 50
PROMO_KEY = "moorage_promo_code"


@dataclass(frozen=True)
class CartLine:
    """One cart item as shown: the item, its price (when it can still be ordered) or the error."""

    index: int
    item: CartItem
    priced: PricedItem | None
    error: DomainError | None

    @property
    def due_now(self) -> Decimal:
        if self.priced is None:
            return ZERO
        return self.priced.amount + self.priced.setup_fee + self.priced.charges_due


def _raw(session) -> list[dict]:  # noqa: ANN001
    value = session.get(SESSION_KEY)
    return value if isinstance(value, list) else []


def items(session) -> list[CartItem]:  # noqa: ANN001
    """The cart's items, in the order they were added; malformed rows are dropped."""
    result = []
    for row in _raw(session):
        try:
            result.append(CartItem.from_session(row))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return result


def count(session) -> int:  # noqa: ANN001
    return len(_raw(session))


def add(session, item: CartItem) -> None:  # noqa: ANN001
    rows = _raw(session)
    if len(rows) >= MAX_ITEMS:
        raise DomainError(
            _("a cart holds at most %(MAX_ITEMS)s items") % {"MAX_ITEMS": MAX_ITEMS}, field="items", code="cart_full"
        )
    rows.append(item.as_session())
    session[SESSION_KEY] = rows
    session.pop(CHECKOUT_KEY, None)
    session.modified = True


def remove(session, index: int) -> bool:  # noqa: ANN001
    rows = _raw(session)
    if not 0 <= index < len(rows):
        return False
    del rows[index]
    session[SESSION_KEY] = rows
    session.pop(CHECKOUT_KEY, None)
    session.modified = True
    return True


def promo_code(session) -> str:  # noqa: ANN001
    """The promotional code entered in the cart ("" when none)."""
    value = session.get(PROMO_KEY)
    return value if isinstance(value, str) else ""


def set_promo_code(session, code: str) -> None:  # noqa: ANN001
    code = (code or "").strip()[:64]
    if code:
        session[PROMO_KEY] = code
    else:
        session.pop(PROMO_KEY, None)
    session.pop(CHECKOUT_KEY, None)
    session.modified = True


def clear(session) -> None:  # noqa: ANN001
    session.pop(SESSION_KEY, None)
    session.pop(PROMO_KEY, None)
    session.pop(CHECKOUT_KEY, None)
    session.modified = True


def lines(session) -> list[CartLine]:  # noqa: ANN001
    """Each item priced by the catalog rules of checkout; an item that fails carries the error."""
    result = []
    for index, item in enumerate(items(session)):
        try:
            result.append(CartLine(index, item, price_item(item, index=index), None))
        except DomainError as exc:
            result.append(CartLine(index, item, None, exc))
    return result


@dataclass(frozen=True)
class CartDiscount:
    """A promotional code's discount on one cart line, as checkout will write it."""

    line: CartLine
    charge: Charge


def discounts(session, cart_lines: list[CartLine], *, client_id: int | None, today: dt.date):  # noqa: ANN001, ANN201
    """The entered code's discounts on the cart as it is now, and why it does not apply (or None).

    Priced the way checkout prices them (`promotions.checkout.discounts`); lines that cannot be
    ordered are left out, so the indexes are mapped back to the cart's own lines."""
    code = promo_code(session)
    priced = [line for line in cart_lines if line.priced is not None]
    if not code or not priced:
        return [], None
    try:
        found = promotions.discounts(code, client_id=client_id, priced=[line.priced for line in priced], today=today)
    except DomainError as exc:
        return [], exc
    return [CartDiscount(priced[index], charge) for index, charge in found], None


def totals(cart_lines: list[CartLine], cart_discounts: list[CartDiscount] = ()) -> dict[str, Decimal]:  # type: ignore[assignment]
    """Sums shown on the cart: first-period prices, setup fees, discounts and the first invoice's total."""
    recurring = sum((line.priced.amount for line in cart_lines if line.priced), ZERO)
    # Components' setup fees (an add-on's) are setup fees too, in the footer's "Setup fees" line.
    component_setup = sum(
        (c.amount for line in cart_lines if line.priced for c in line.priced.charges if c.line_kind == "setup"), ZERO
    )
    setup = sum((line.priced.setup_fee for line in cart_lines if line.priced), ZERO) + component_setup
    extras = sum((line.priced.charges_due for line in cart_lines if line.priced), ZERO) - component_setup
    discount = sum((d.charge.amount for d in cart_discounts), ZERO)
    return {
        "price": recurring,
        "setup": setup,
        "extras": extras,
        "discount": discount,
        "total": recurring + setup + extras + discount,
    }


def checkout_key(session) -> str:  # noqa: ANN001
    """The idempotency key of checking out the cart as it is now."""
    if not session.get(CHECKOUT_KEY):
        session[CHECKOUT_KEY] = secrets.token_urlsafe(24)
    return session[CHECKOUT_KEY]
