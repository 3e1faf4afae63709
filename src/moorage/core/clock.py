"""The one source of "now": real time, or the test clock set by MOORAGE_CLOCK_DATE."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def business_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_clock(value: str) -> dt.datetime:
    """Parse MOORAGE_CLOCK_DATE: a date (noon in the business time zone) or an ISO date-time."""
    value = value.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time(12, 0), tzinfo=business_tz())
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"MOORAGE_CLOCK_DATE must be YYYY-MM-DD or an ISO date-time, not {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=business_tz())
    return moment


def test_clock_active() -> bool:
    return bool(getattr(settings, "MOORAGE_CLOCK_DATE", ""))


def now() -> dt.datetime:
    """The current moment (aware, UTC), or the fixed test-clock moment."""
    fixed = getattr(settings, "MOORAGE_CLOCK_DATE", "")
    if fixed:
        return parse_clock(fixed).astimezone(dt.UTC)
    return timezone.now()


def today() -> dt.date:
    """Today's calendar date in the business time zone."""
    return now().astimezone(business_tz()).date()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(business_tz()).date()
