"""Invoice due dates from the advanced due-date settings."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from moorage.billing.dates import first_invoice_due, renewal_invoice_due

D = dt.date


def test_first_invoice_due_x_days_after_the_order():
    assert first_invoice_due(D(2026, 1, 15), 0) == D(2026, 1, 15)
    assert first_invoice_due(D(2026, 1, 15), 7) == D(2026, 1, 22)
    assert first_invoice_due(D(2026, 2, 25), 7) == D(2026, 3, 4)


def test_renewal_invoice_due_dates():
    due = D(2026, 3, 1)
    assert renewal_invoice_due(due) == due
    assert renewal_invoice_due(due, paid_before_days=3) == D(2026, 2, 26)
    assert renewal_invoice_due(due, move_days=5) == D(2026, 3, 6)


@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 1, 1)),
    st.integers(0, 60),
    st.integers(0, 60),
)
def test_due_dates_move_by_exact_days(due, before, move):
    assert (renewal_invoice_due(due, paid_before_days=before, move_days=move) - due).days == move - before
