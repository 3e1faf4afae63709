"""Anchored cycle arithmetic: the n-th due date comes from the anchor, never from chained months."""

import calendar
import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from moorage.core.cycles import (
    CYCLE_LENGTH,
    RECURRING_CYCLES,
    Cycle,
    first_of_next_month,
    next_due_after,
    nth_due_date,
    period_end,
    period_index,
)

D = dt.date
MONTH_CYCLES = [c for c in RECURRING_CYCLES if CYCLE_LENGTH[c][0] == "months"]
DAY_CYCLES = [c for c in RECURRING_CYCLES if CYCLE_LENGTH[c][0] == "days"]

anchors = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))
cycles = st.sampled_from(RECURRING_CYCLES)
month_cycles = st.sampled_from(MONTH_CYCLES)
counts = st.integers(min_value=-200, max_value=200)


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


# --- Worked examples, written out -------------------------------------------------------------


def test_anchor_on_the_31st_of_january_monthly():
    assert [nth_due_date(D(2026, 1, 31), Cycle.MONTHLY, n) for n in range(13)] == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 31),
        D(2026, 6, 30),
        D(2026, 7, 31),
        D(2026, 8, 31),
        D(2026, 9, 30),
        D(2026, 10, 31),
        D(2026, 11, 30),
        D(2026, 12, 31),
        D(2027, 1, 31),
    ]


def test_anchor_on_the_31st_in_a_leap_year():
    assert [nth_due_date(D(2028, 1, 31), "monthly", n) for n in range(5)] == [
        D(2028, 1, 31),
        D(2028, 2, 29),
        D(2028, 3, 31),
        D(2028, 4, 30),
        D(2028, 5, 31),
    ]


def test_anchor_on_the_30th_comes_back_after_february():
    assert [nth_due_date(D(2026, 1, 30), "monthly", n) for n in range(4)] == [
        D(2026, 1, 30),
        D(2026, 2, 28),
        D(2026, 3, 30),
        D(2026, 4, 30),
    ]


def test_chaining_months_would_drift_but_anchoring_does_not():
    chained = D(2026, 1, 31)
    for _ in range(3):
        chained = nth_due_date(chained, "monthly", 1)
    assert chained == D(2026, 4, 28)  # what "+1 month" three times gives
    assert nth_due_date(D(2026, 1, 31), "monthly", 3) == D(2026, 4, 30)
    assert next_due_after(D(2026, 1, 31), "monthly", D(2026, 2, 28)) == D(2026, 3, 31)


def test_leap_day_anchor_annually():
    assert [nth_due_date(D(2024, 2, 29), Cycle.ANNUALLY, n) for n in range(5)] == [
        D(2024, 2, 29),
        D(2025, 2, 28),
        D(2026, 2, 28),
        D(2027, 2, 28),
        D(2028, 2, 29),
    ]


def test_leap_day_anchor_over_century_years():
    # 2100 is not a leap year, 2000 is.
    assert nth_due_date(D(2096, 2, 29), "annually", 4) == D(2100, 2, 28)
    assert nth_due_date(D(2096, 2, 29), "annually", 8) == D(2104, 2, 29)
    assert nth_due_date(D(1996, 2, 29), "annually", 4) == D(2000, 2, 29)
    assert nth_due_date(D(2028, 2, 29), "biennially", 1) == D(2030, 2, 28)
    assert nth_due_date(D(2028, 2, 29), "biennially", 2) == D(2032, 2, 29)
    assert nth_due_date(D(2028, 2, 29), "triennially", 4) == D(2040, 2, 29)


def test_every_cycle_from_the_31st_of_august():
    start = D(2026, 8, 31)
    assert nth_due_date(start, "daily", 1) == D(2026, 9, 1)
    assert nth_due_date(start, "weekly", 1) == D(2026, 9, 7)
    assert nth_due_date(start, "monthly", 1) == D(2026, 9, 30)
    assert nth_due_date(start, "quarterly", 1) == D(2026, 11, 30)
    assert nth_due_date(start, "semiannually", 1) == D(2027, 2, 28)
    assert nth_due_date(start, "annually", 1) == D(2027, 8, 31)
    assert nth_due_date(start, "biennially", 1) == D(2028, 8, 31)
    assert nth_due_date(start, "triennially", 1) == D(2029, 8, 31)


def test_period_end_is_the_day_before_the_next_due_date():
    assert period_end(D(2026, 1, 1), "monthly") == D(2026, 1, 31)
    assert period_end(D(2026, 1, 31), "monthly") == D(2026, 2, 27)
    assert period_end(D(2026, 1, 5), "monthly") == D(2026, 2, 4)
    assert period_end(D(2026, 2, 28), "monthly", anchor=D(2026, 1, 31)) == D(2026, 3, 30)
    assert period_end(D(2026, 1, 15), "annually") == D(2027, 1, 14)
    assert period_end(D(2026, 1, 15), "daily") == D(2026, 1, 15)
    assert period_end(D(2026, 1, 15), "weekly") == D(2026, 1, 21)


def test_period_index_on_and_between_due_dates():
    anchor = D(2026, 1, 31)
    assert period_index(anchor, "monthly", D(2026, 1, 30)) == -1
    assert period_index(anchor, "monthly", D(2026, 1, 31)) == 0
    assert period_index(anchor, "monthly", D(2026, 2, 27)) == 0
    assert period_index(anchor, "monthly", D(2026, 2, 28)) == 1
    assert period_index(anchor, "monthly", D(2026, 3, 30)) == 1
    assert period_index(anchor, "monthly", D(2026, 3, 31)) == 2


def test_full_month_billing_renews_on_the_first():
    assert first_of_next_month(D(2026, 1, 15)) == D(2026, 2, 1)
    assert first_of_next_month(D(2026, 12, 31)) == D(2027, 1, 1)
    assert first_of_next_month(D(2026, 2, 1)) == D(2026, 3, 1)


def test_a_one_time_price_has_no_due_dates():
    with pytest.raises(ValueError):
        nth_due_date(D(2026, 1, 1), Cycle.ONE_TIME, 1)


def test_an_unknown_cycle_is_refused():
    with pytest.raises(ValueError):
        nth_due_date(D(2026, 1, 1), "fortnightly", 1)


# --- Properties --------------------------------------------------------------------------------


@given(anchor=anchors, cycle=month_cycles, n=counts)
@example(anchor=D(2026, 1, 31), cycle=Cycle.MONTHLY, n=1)
@example(anchor=D(2024, 2, 29), cycle=Cycle.ANNUALLY, n=76)  # 2100
def test_month_cycles_land_on_the_anchor_day_or_the_month_end(anchor, cycle, n):
    due = nth_due_date(anchor, cycle, n)
    months = CYCLE_LENGTH[cycle][1] * n
    assert (due.year * 12 + due.month) - (anchor.year * 12 + anchor.month) == months
    assert due.day == min(anchor.day, last_day(due.year, due.month))


@given(anchor=anchors, cycle=month_cycles, n=st.integers(min_value=0, max_value=100))
def test_no_drift_over_100_periods(anchor, cycle, n):
    """Whatever short months lie between, the anchor day comes back when the month allows it."""
    due = nth_due_date(anchor, cycle, n)
    if anchor.day <= last_day(due.year, due.month):
        assert due.day == anchor.day
    else:
        assert due.day == last_day(due.year, due.month)


@given(anchor=anchors, cycle=st.sampled_from(DAY_CYCLES), n=counts)
def test_daily_and_weekly_are_exact_days(anchor, cycle, n):
    assert nth_due_date(anchor, cycle, n) - anchor == dt.timedelta(days=CYCLE_LENGTH[cycle][1] * n)


@given(anchor=anchors, cycle=cycles, n=counts)
def test_nth_due_date_is_strictly_increasing(anchor, cycle, n):
    assert nth_due_date(anchor, cycle, n) < nth_due_date(anchor, cycle, n + 1)


@given(anchor=anchors, cycle=cycles, n=counts)
def test_zero_cycles_is_the_anchor_and_index_inverts_nth(anchor, cycle, n):
    assert nth_due_date(anchor, cycle, 0) == anchor
    assert period_index(anchor, cycle, nth_due_date(anchor, cycle, n)) == n


@given(anchor=anchors, cycle=cycles, offset=st.integers(min_value=-3000, max_value=3000))
def test_period_index_brackets_any_day(anchor, cycle, offset):
    day = anchor + dt.timedelta(days=offset)
    n = period_index(anchor, cycle, day)
    assert nth_due_date(anchor, cycle, n) <= day < nth_due_date(anchor, cycle, n + 1)


@given(anchor=anchors, cycle=cycles, n=counts)
def test_next_due_after_a_due_date_is_the_next_one(anchor, cycle, n):
    due = nth_due_date(anchor, cycle, n)
    assert next_due_after(anchor, cycle, due) == nth_due_date(anchor, cycle, n + 1)


@given(anchor=anchors, cycle=cycles, n=st.integers(min_value=0, max_value=100))
def test_walking_next_due_after_never_drifts(anchor, cycle, n):
    due = anchor
    for _ in range(n):
        due = next_due_after(anchor, cycle, due)
    assert due == nth_due_date(anchor, cycle, n)


@given(anchor=anchors, cycle=cycles, n=counts)
def test_periods_tile_the_calendar(anchor, cycle, n):
    """Each period ends the day before the next one starts: no gap, no overlap."""
    start = nth_due_date(anchor, cycle, n)
    end = period_end(start, cycle, anchor=anchor)
    assert end + dt.timedelta(days=1) == nth_due_date(anchor, cycle, n + 1)
    assert end >= start


@given(anchor=anchors, cycle=cycles)
def test_a_stored_anchor_day_overrides_the_anchor_dates_own_day(anchor, cycle):
    """A stored anchor day of 31 puts every month-cycle due date on its month's last day."""
    start = D(anchor.year, anchor.month, 1)
    for n in range(0, 14):
        due = nth_due_date(start, cycle, n, anchor_day=31)
        if CYCLE_LENGTH[cycle][0] == "months":
            assert due.day == last_day(due.year, due.month)
        assert period_index(start, cycle, due, anchor_day=31) == n


@given(year=st.integers(min_value=1901, max_value=2199))
def test_leap_day_anchor_any_year(year):
    anchor = D(2000, 2, 29)
    due = nth_due_date(anchor, "annually", year - 2000)
    assert due == D(year, 2, 29 if calendar.isleap(year) else 28)
