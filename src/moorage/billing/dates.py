"""Invoice due dates from the advanced due-date settings (pure: no Django)."""

from __future__ import annotations

import datetime as dt


def first_invoice_due(order_date: dt.date, days_after_order: int) -> dt.date:
    """First invoice due date set to X days after order (0 = the order date)."""
    return order_date + dt.timedelta(days=days_after_order)


def renewal_invoice_due(due: dt.date, *, paid_before_days: int = 0, move_days: int = 0) -> dt.date:
    """A renewal invoice for the period starting at `due`: D − X (expected before) or D + X (moved)."""
    return due - dt.timedelta(days=paid_before_days) + dt.timedelta(days=move_days)
