"""The one way money paths take row locks: every row in one global order, so two callers never deadlock.

The order (issue #10, item 9), each set by primary key:

    0. orders (their first invoice settles them)  orders.Order
    1. services                                  services.Service
    2. their change requests                     services.CancellationRequest, services.ServiceTransfer (Change
                                                 Ownership), then upgrades.UpgradeRequest
    3. invoices                                  billing.Invoice
    4. client balances                           customers.Client (held while credit is spent or removed)

A flow that will need rows of several ranks takes the lower ranks first (paying an invoice locks the
invoice's services and its waiting change requests before the invoice). Taking a row again that the
transaction already holds never waits, so inner steps may "lock" what their caller locked.

The helper remembers, per transaction, what it locked, and refuses (`LockOrderError`, a programming
error) a new row that sorts before one already held: such a flow could deadlock with one going the
other way. Rows are locked with `SELECT pk … ORDER BY pk FOR UPDATE OF <table>` (PostgreSQL; SQLite
serialises writers and ignores it), then read with the caller's queryset (joins, filters).

It lives in `services`, the lowest app whose rows it orders, and names the other models by label,
so every app above (billing, upgrades, cancellations, payments, automation) can use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models, transaction

M = TypeVar("M", bound=models.Model)

# model label (lower case) → rank; ties between labels of one rank are broken by the label.
RANKS: dict[str, int] = {
    "orders.order": 0,
    "services.service": 1,
    "services.cancellationrequest": 2,
    "services.servicetransfer": 2,
    "upgrades.upgraderequest": 2,
    "billing.invoice": 3,
    "customers.client": 4,
}


class LockOrderError(RuntimeError):
    """A row was to be locked after a row that comes later in the lock order (a deadlock in waiting)."""


class _Held:
    """The rows one transaction locked through this helper (also a no-op on-commit callback, which
    Django forgets when the transaction ends, committed or rolled back: that is how a new one is seen)."""

    def __init__(self) -> None:
        self.keys: set[tuple[int, str, Any]] = set()
        self.highest: tuple[int, str, Any] | None = None
        self.log: list[tuple[str, Any]] = []  # in order, for tests and debugging

    def __call__(self) -> None:
        return None


def _held() -> _Held | None:
    """The current transaction's record, or None when there is no action transaction to track (test
    code calling an inner step straight inside a test case's transaction)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("a row lock outside a transaction ends at once; lock inside the action's transaction")
    blocks = conn.atomic_blocks
    first = next((i for i, block in enumerate(blocks) if not getattr(block, "_from_testcase", False)), None)
    if first is None:
        return None
    if first > 0:
        # An action inside a test case's transaction: its savepoint name is unique per connection.
        sid = conn.savepoint_ids[first - 1]
        mine = getattr(conn, "_moorage_held", None)
        if mine is None or mine[0] != sid or sid is None:
            mine = (sid, _Held())
            conn._moorage_held = mine  # type: ignore[attr-defined]
            conn._moorage_last_held = mine[1]  # type: ignore[attr-defined]
        return mine[1]
    for _sids, func, *_rest in conn.run_on_commit:
        if isinstance(func, _Held):
            return func
    held = _Held()
    transaction.on_commit(held)
    conn._moorage_last_held = held  # type: ignore[attr-defined]
    return held


def _rank(model: type[models.Model]) -> tuple[int, str]:
    label = model._meta.label_lower
    if label not in RANKS:
        raise LockOrderError(f"{label} has no place in the money lock order (services/locks.py)")
    return RANKS[label], label


def lock_rows(rows: models.QuerySet[M] | type[M], pks: Iterable[Any]) -> list[M]:
    """Lock the rows with these primary keys (of a model or a queryset: filters and `select_related`
    are kept) in pk order, and return those that exist (and match the queryset's filters)."""
    qs = rows if isinstance(rows, models.QuerySet) else rows._default_manager.all()
    rank, label = _rank(qs.model)
    wanted = sorted({pk for pk in pks if pk is not None})
    if not wanted:
        return []
    held = _held()
    if held is not None:
        new = [(rank, label, pk) for pk in wanted if (rank, label, pk) not in held.keys]
        if new and held.highest is not None and new[0] < held.highest:
            raise LockOrderError(
                f"{label} #{new[0][2]} is locked after {held.highest[1]} #{held.highest[2]}: take rows in the "
                "order order → service → change request → invoice → client, each by pk (services/locks.py)"
            )
    # Lock by pk alone, then read: on PostgreSQL a row updated by the transaction we waited for is
    # re-checked against the query, and with joins (`select_related`) a changed foreign key (the
    # service's product after an upgrade) would drop it from the result; the queryset's filters are
    # applied to the row as it is once locked.
    base = qs.model._default_manager.select_for_update(of=("self",)).filter(pk__in=wanted).order_by("pk")
    locked = list(base.values_list("pk", flat=True))
    found = list(qs.filter(pk__in=locked).order_by("pk")) if locked else []
    if held is not None:
        for key in new:
            held.keys.add(key)
            held.log.append((label, key[2]))
        if new and (held.highest is None or new[-1] > held.highest):
            held.highest = new[-1]
    return found


def lock_row(rows: models.QuerySet[M] | type[M], pk: Any) -> M | None:
    """Lock one row (see `lock_rows`); None when it does not exist."""
    found = lock_rows(rows, [pk])
    return found[0] if found else None


def last_locks() -> list[tuple[str, Any]]:
    """The rows the last tracked transaction on this connection locked through the helper, in the
    order taken (tests read it after an action returns)."""
    conn = transaction.get_connection()
    held = getattr(conn, "_moorage_last_held", None)
    return list(held.log) if held is not None else []
