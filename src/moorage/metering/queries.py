"""Reads of usage: a service's current period, a period's usage per resource, daily series, estimates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Sum
from django.db.models.functions import TruncDate

from moorage.core.clock import business_tz
from moorage.core.cycles import Cycle, nth_due_date, period_index
from moorage.metering.models import MeteredPrice, UsageSample
from moorage.metering.pricing import Charge, Tier, price_usage
from moorage.metering.resources import RESOURCE_ORDER, RESOURCES, Basis
from moorage.services.models import Service

ZERO = Decimal(0)


def current_period(service: Service, today: dt.date) -> tuple[dt.date, dt.date]:
    """The billing period containing `today` (start, last day), on the service's anchored schedule;
    the calendar month for a service without one (one-time, not started)."""
    if service.anchor_date is not None and service.cycle != Cycle.ONE_TIME:
        n = max(period_index(service.anchor_date, service.cycle, today, service.anchor_day), 0)
        start = nth_due_date(service.anchor_date, service.cycle, n, service.anchor_day)
        end = nth_due_date(service.anchor_date, service.cycle, n + 1, service.anchor_day) - dt.timedelta(days=1)
        return start, end
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The moments of the business days [start, end]: from start 00:00 to the day after end 00:00."""
    tz = business_tz()
    return (
        dt.datetime.combine(start, dt.time(0), tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
    )


def period_usage(service: Service, start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """Usage per resource over the business days [start, end]: the peak sample of a level resource,
    the sum of samples for bandwidth. A resource without samples in the period is absent."""
    since, until = window(start, end)
    rows = (
        UsageSample.objects.filter(service=service, taken_at__gte=since, taken_at__lt=until)
        .values("resource")
        .annotate(peak=Max("value"), total=Sum("value"))
    )
    return {
        row["resource"]: row["total"] if RESOURCES[row["resource"]].basis is Basis.SUM else row["peak"]
        for row in rows
        if row["resource"] in RESOURCES
    }


def daily_usage(service: Service, resource: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, Decimal]]:
    """One figure per business day with samples: the day's peak (levels) or sum (bandwidth)."""
    since, until = window(start, end)
    agg = Sum("value") if RESOURCES[resource].basis is Basis.SUM else Max("value")
    rows = (
        UsageSample.objects.filter(service=service, resource=resource, taken_at__gte=since, taken_at__lt=until)
        .annotate(day=TruncDate("taken_at", tzinfo=business_tz()))
        .values("day")
        .annotate(figure=agg)
        .order_by("day")
    )
    return [(row["day"], row["figure"]) for row in rows]


def latest_samples(service: Service) -> dict[str, UsageSample]:
    """The newest sample of each resource of the service."""
    latest: dict[str, UsageSample] = {}
    for resource in RESOURCE_ORDER:
        sample = UsageSample.objects.filter(service=service, resource=resource).order_by("-taken_at").first()
        if sample is not None:
            latest[resource] = sample
    return latest


def prices_of(product_id: int) -> list[MeteredPrice]:
    """The product's metered prices with their tiers, in the fixed resource order."""
    prices = list(MeteredPrice.objects.filter(product_id=product_id).prefetch_related("tiers"))
    return sorted(prices, key=lambda p: RESOURCE_ORDER.index(p.resource))


def charge_for(price: MeteredPrice, usage: Decimal) -> Charge:
    tiers = [Tier(t.up_to, t.unit_price) for t in price.tiers.all()]
    return price_usage(
        usage, unit_price=price.unit_price, included=price.included, unit_size=price.unit_size, tiers=tiers
    )


@dataclass(frozen=True)
class UsageCharge:
    """One resource of a metered period: the price, the usage and what it costs."""

    price: MeteredPrice
    charge: Charge
    measured: bool  # False when no sample was taken in the period

    @property
    def label(self) -> str:
        return self.price.label

    @property
    def basis(self) -> str:
        return RESOURCES[self.price.resource].basis.value


def period_charges(service: Service, start: dt.date, end: dt.date) -> list[UsageCharge]:
    """What each metered price of the service's product charges for the usage of [start, end]."""
    usage = period_usage(service, start, end)
    return [
        UsageCharge(price=p, charge=charge_for(p, usage.get(p.resource, ZERO)), measured=p.resource in usage)
        for p in prices_of(service.product_id)
    ]
