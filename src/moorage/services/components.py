"""The shape of a cart item and of what components add to it: order-form answers, add-ons, a domain.

Each component app (orderforms, addons, domains) exports one `CartComponent` (in its `checkout.py`);
`orders.components.components()` lists them. Checkout asks each, per item, for its `Charge`s
(validated and priced from the catalog, never from the client's numbers), writes every charge as a
line of the first invoice and, when it renews or changes panel limits, as a `ServiceComponent` of the
new service; then lets the component store what is its own (answers, add-on rows, the domain order)
with `place`. When the first invoice is paid, `fulfil` runs for each service of the order.

These types live here, below every component app and orders, so that all of them can use them.
Promotional codes and contracts are per checkout, not per item: `promotions.checkout` and
`contracts.checkout`, called by `orders.actions.checkout`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from moorage.catalog.models import Product
from moorage.core.money import ZERO

if TYPE_CHECKING:
    from moorage.core.models import User
    from moorage.services.models import Service


@dataclass(frozen=True)
class Charge:
    """One priced extra of a cart item.

    `amount` goes on the first invoice (one-time or the first period's price, already pro-rated if
    the component wants that); `recurring_amount` (per cycle of the service) and `limits` make a
    ServiceComponent of kind `component_kind` that renewals bill and provisioning applies.
    """

    line_kind: str  # billing.InvoiceLine.Kind value: "option", "addon", "domain", "discount", "setup", "one_time"
    description: str
    amount: Decimal
    recurring_amount: Decimal = ZERO
    component_kind: str = ""  # services.ServiceComponent.Kind value, "" when nothing renews or limits
    source: str = ""  # "form:<id>", "addon:<id>", …; the ServiceComponent's source
    limits: Mapping[str, int] = field(default_factory=dict)
    # True: the first invoice's line carries the service's first period (a price per cycle); False: a
    # one-time line without a period (a setup fee, a one-time option).
    periodic: bool = True


class CartComponent:
    """Base class: a component that adds nothing. Subclasses override what they need."""

    code = ""

    def price(self, item: CartItem, product: Product, cycle: str, *, index: int) -> list[Charge]:
        """Validate the item's part that is this component's (raise DomainError with field
        `items[<index>].<name>`) and price it from the catalog."""
        return []

    def place(
        self,
        *,
        item: CartItem,
        service: Service,
        charges: list[Charge],
        order_id: int,
        now: dt.datetime,
        actor: User | None,
    ) -> None:
        """Inside checkout's transaction, after the service exists: store this component's rows."""

    def fulfil(self, *, service: Service, now: dt.datetime, paid_on: dt.date, actor: User | None) -> None:
        """Inside the payment's transaction, when the order's first invoice is settled."""


@dataclass(frozen=True)
class CartItem:
    """One line of a cart: a product, the chosen cycle and hostname, and its components' choices.

    Plain values only (a cart lives in the session as JSON): `form` is the order form's answers as
    (field code, value) pairs; `addons` the chosen add-on ids; `domain` the domain choice as
    (key, value) pairs (e.g. ("action", "register"), ("name", "example.com"), ("years", "1"));
    `separate_order` marks another service offered with a product (its own order and invoice).
    """

    product_id: int
    cycle: str = ""
    hostname: str = ""
    form: tuple[tuple[str, str], ...] = ()
    addons: tuple[int, ...] = ()
    domain: tuple[tuple[str, str], ...] = ()
    separate_order: bool = False

    @property
    def form_answers(self) -> dict[str, str]:
        return dict(self.form)

    @property
    def domain_choice(self) -> dict[str, str]:
        return dict(self.domain)

    def as_session(self) -> dict:
        """The JSON-safe row the session cart keeps (components' keys only when chosen)."""
        row: dict = {"product_id": self.product_id, "cycle": self.cycle, "hostname": self.hostname}
        if self.form:
            row["form"] = [list(pair) for pair in self.form]
        if self.addons:
            row["addons"] = list(self.addons)
        if self.domain:
            row["domain"] = [list(pair) for pair in self.domain]
        if self.separate_order:
            row["separate_order"] = True
        return row

    @classmethod
    def from_session(cls, row: dict) -> CartItem:
        """Raises KeyError, TypeError or ValueError on a malformed row."""
        return cls(
            product_id=int(row["product_id"]),
            cycle=str(row.get("cycle", "")),
            hostname=str(row.get("hostname", "")),
            form=as_pairs(dict(row.get("form") or [])),
            addons=tuple(sorted({int(a) for a in row.get("addons") or []})),
            domain=as_pairs(dict(row.get("domain") or [])),
            separate_order=bool(row.get("separate_order", False)),
        )


def as_pairs(value: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """A mapping as the sorted pairs a frozen CartItem holds."""
    return tuple(sorted((str(k), str(v)) for k, v in (value or {}).items()))


@dataclass(frozen=True)
class PricedItem:
    """A cart item checked against the catalog: the plan's price and its components' charges."""

    product: Product
    cycle: str
    hostname: str
    amount: Decimal
    setup_fee: Decimal
    charges: tuple[Charge, ...] = ()
    item: CartItem | None = None

    @property
    def charges_due(self) -> Decimal:
        return sum((c.amount for c in self.charges), ZERO)
