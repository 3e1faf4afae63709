"""What cancelling a service settles besides its own invoices: the charges apps above billing keep
for it (upgrades' queued pro-rata charges and the unpaid charges of changes already made).

`cancellations` and `upgrades` never import each other, and both sit above billing; upgrades
registers a callable in `closing_extras` (in its `AppConfig.ready()`, as with `renewal_extras`), and
cancellation processing calls each, with the service, its cancellation request and the upgrades'
rows already locked in the money lock order (`services/locks.py`), before any invoice is locked:

    extra(service=, now=, actor=, unit=) -> ClosingCharges
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from moorage.billing.actions import LineSpec
from moorage.billing.models import InvoiceLine


@dataclass
class ClosingCharges:
    """A service's money still open when it is cancelled, as one app above billing sees it."""

    # Charges for service already received that no invoice carries yet: billed now, each calling
    # its callback with the line written for it.
    unbilled: list[tuple[LineSpec, Callable[[InvoiceLine], None]]] = field(default_factory=list)
    # Lines of unpaid invoices that charge for service already received (an applied upgrade):
    # never cancelled with the service; if their invoice is cancelled (it also bills a period not
    # yet begun), the line is billed again and its callback told of the new line.
    received: dict[int, Callable[[InvoiceLine], None]] = field(default_factory=dict)
    # The unused value, at the cancellation moment, of the changes made in periods still running
    # (+ for an upgrade, − for a downgrade), full precision; added to the unused part of the paid
    # periods, it makes the pro-rated credit the unused part of what the service is now.
    unused: Decimal = Decimal("0")


closing_extras: list[Callable[..., ClosingCharges]] = []
