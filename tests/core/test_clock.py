"""The clock: real time, or the fixed moment of MOORAGE_CLOCK_DATE."""

import datetime as dt

import pytest
from django.test import override_settings

from moorage.core import clock


@override_settings(MOORAGE_CLOCK_DATE="2026-03-01", TIME_ZONE="UTC")
def test_a_date_means_noon_of_that_day_in_the_business_time_zone():
    assert clock.test_clock_active()
    assert clock.now() == dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert clock.today() == dt.date(2026, 3, 1)


@override_settings(MOORAGE_CLOCK_DATE="2026-03-01", TIME_ZONE="Europe/Berlin")
def test_a_date_in_another_business_time_zone():
    assert clock.now() == dt.datetime(2026, 3, 1, 11, 0, tzinfo=dt.UTC)
    assert clock.now().tzinfo == dt.UTC
    assert clock.today() == dt.date(2026, 3, 1)


@override_settings(MOORAGE_CLOCK_DATE="2026-03-01T23:30:00+00:00", TIME_ZONE="Europe/Berlin")
def test_an_iso_date_time_with_offset():
    assert clock.now() == dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    # Half past midnight in Berlin: the business calendar is already on the 2nd.
    assert clock.today() == dt.date(2026, 3, 2)


@override_settings(MOORAGE_CLOCK_DATE="2026-03-01T08:15", TIME_ZONE="Europe/Berlin")
def test_a_naive_iso_date_time_is_in_the_business_time_zone():
    assert clock.now() == dt.datetime(2026, 3, 1, 7, 15, tzinfo=dt.UTC)


@override_settings(MOORAGE_CLOCK_DATE="2026-03-01T08:15:00Z")
def test_a_utc_date_time():
    assert clock.now() == dt.datetime(2026, 3, 1, 8, 15, tzinfo=dt.UTC)


@override_settings(MOORAGE_CLOCK_DATE="")
def test_without_the_setting_the_clock_is_real_time():
    assert not clock.test_clock_active()
    moment = clock.now()
    assert moment.tzinfo is not None
    assert moment.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", "2026-02-30", "01.03.2026"])
def test_a_bad_setting_is_refused_with_a_clear_message(bad):
    with (
        override_settings(MOORAGE_CLOCK_DATE=bad),
        pytest.raises(ValueError, match="MOORAGE_CLOCK_DATE"),
    ):
        clock.now()


@override_settings(TIME_ZONE="America/New_York")
def test_local_date_of_a_utc_moment():
    assert clock.local_date(dt.datetime(2026, 1, 15, 3, 0, tzinfo=dt.UTC)) == dt.date(2026, 1, 14)
    assert clock.local_date(dt.datetime(2026, 1, 15, 5, 0, tzinfo=dt.UTC)) == dt.date(2026, 1, 15)
