"""Client-area pages of a service's usage: "Metered Billing Details" and "Disk & Bandwidth Usage".

Both read the samples the usage job stored (never the panel), for the billing period containing
today. The chart is an SVG drawn here on the server: no script, no chart library, no CDN.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moorage.catalog.models import Product
from moorage.clientarea.functions import function_service
from moorage.clientarea.views import client_required
from moorage.core import clock
from moorage.core.money import round_money
from moorage.metering.invoicing import price_text
from moorage.metering.pricing import number
from moorage.metering.queries import current_period, daily_usage, latest_samples, period_charges, period_usage
from moorage.metering.resources import RESOURCES
from moorage.provisioning.models import PanelAccount
from moorage.services.models import Service

ZERO = Decimal(0)


def _service(request: HttpRequest, pk: int, code: str) -> Service:
    """The signed-in client's service (another client's is a 404) whose product enables `code` (403)."""
    return function_service(request, pk, code)


@client_required
def service_metered(request: HttpRequest, pk: int) -> HttpResponse:
    """Metered Billing Details: the period so far, per resource: usage, included, billable, price, estimate."""
    service = _service(request, pk, "metered_billing")
    if service.product.price_type != Product.PriceType.METERED:
        raise Http404("not a metered service")
    today = clock.today()
    start, end = current_period(service, today)
    rows = []
    total = round_money(service.recurring_amount)
    for item in period_charges(service, start, end):
        unit = item.price.billing_unit
        estimate = round_money(item.charge.amount)
        total += estimate
        tiers = list(item.price.tiers.all())
        rows.append(
            {
                "resource": item.price.resource,
                "label": item.label,
                "basis": "peak" if item.basis == "peak" else "total",
                "usage": f"{number(item.charge.usage)} {unit}".strip() if item.measured else "—",
                "included": f"{number(item.charge.included)} {unit}".strip(),
                "billable": f"{number(item.charge.billable)} {unit}".strip(),
                "price": f"{price_text(item.price.unit_price)} per {unit or 'unit'}",
                "tiers": [f"{_bound(t.up_to)} {unit}: {price_text(t.unit_price)}".replace("  ", " ") for t in tiers],
                "estimate": estimate,
            }
        )
    latest = max((s.taken_at for s in latest_samples(service).values()), default=None)
    return render(
        request,
        "clientarea/service_metered.html",
        {
            "service": service,
            "period_start": start,
            "period_end": end,
            "rows": rows,
            "base": service.recurring_amount,
            "total": total,
            "as_of": latest,
            "invoice_date": end + dt.timedelta(days=1),
        },
    )


def _bound(up_to: Decimal | None) -> str:
    return f"up to {number(up_to)}" if up_to is not None else "beyond"


@client_required
def service_usage(request: HttpRequest, pk: int) -> HttpResponse:
    """Disk & Bandwidth Usage: the latest figures and charts of the current period, for a provisioned service."""
    service = _service(request, pk, "usage")
    account = PanelAccount.objects.filter(service=service, exists_on_panel=True).first()
    if account is None:
        raise Http404("this service has no account on a panel")
    today = clock.today()
    start, end = current_period(service, today)
    latest = latest_samples(service)
    in_period = period_usage(service, start, end)
    figures = []
    for resource, info in RESOURCES.items():
        if resource == "bandwidth_mib":
            value = in_period.get(resource)
            label = f"{info.label} this period"
        else:
            sample = latest.get(resource)
            value = sample.value if sample else None
            label = info.label
        if value is not None:
            figures.append({"resource": resource, "label": label, "value": f"{number(value, 2)} {info.unit}".strip()})
    return render(
        request,
        "clientarea/service_usage.html",
        {
            "service": service,
            "account": account,
            "period_start": start,
            "period_end": end,
            "figures": figures,
            "disk_percent": (
                min(100, round(account.disk_used_mib * 100 / account.disk_limit_mib))
                if account.disk_used_mib is not None and account.disk_limit_mib
                else None
            ),
            "disk_chart": usage_chart(
                daily_usage(service, "disk_mib", start, end), start, end, title=_("Disk space (daily peak, MiB)")
            ),
            "bandwidth_chart": usage_chart(
                daily_usage(service, "bandwidth_mib", start, end),
                start,
                end,
                title=_("Bandwidth (per day, MiB)"),
                bars=True,
            ),
        },
    )


# --- the chart ----------------------------------------------------------------------------------

WIDTH, HEIGHT = Decimal(640), Decimal(180)
MUTED, BRAND = "#5f6b7e", "#2563eb"
LEFT, RIGHT, TOP, BOTTOM = Decimal(56), Decimal(8), Decimal(10), Decimal(24)


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 × 10ⁿ at least `value` (the top of the y axis)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= value:
            return top
    return Decimal(10).scaleb(exponent)


def _fmt(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


def _text(x: Decimal | int, y: Decimal | int, content: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{_fmt(Decimal(x))}" y="{_fmt(Decimal(y))}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{MUTED}">{escape(content)}</text>'
    )


def _tip(day: dt.date, value: Decimal) -> str:
    return f"<title>{day:%Y-%m-%d}: {escape(number(value, 2))}</title>"


def usage_chart(
    series: list[tuple[dt.date, Decimal]], start: dt.date, end: dt.date, *, title: str, bars: bool = False
) -> SafeString:
    """An inline SVG of one figure per day over [start, end]: a line (levels) or bars (bandwidth)."""
    days = (end - start).days + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_ceiling(max((v for _day, v in series), default=ZERO))
    slot = plot_w / days

    def x(day: dt.date) -> Decimal:
        return LEFT + slot * (day - start).days + slot / 2

    def y(value: Decimal) -> Decimal:
        return TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg class="usage-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{_fmt(TOP + plot_h)}" x2="{_fmt(WIDTH - RIGHT)}" '
        f'y2="{_fmt(TOP + plot_h)}" stroke="#c8d0dc"/>',
        f'<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{_fmt(WIDTH - RIGHT)}" y2="{TOP}" stroke="#e3e8f0"/>',
        _text(LEFT - 6, TOP + 4, number(top), "end"),
        _text(LEFT - 6, TOP + plot_h + 4, "0", "end"),
        _text(LEFT, HEIGHT - 6, f"{start:%Y-%m-%d}"),
        _text(WIDTH - RIGHT, HEIGHT - 6, f"{end:%Y-%m-%d}", "end"),
    ]
    if not series:
        parts.append(_text(LEFT + plot_w / 2, TOP + plot_h / 2, gettext("No data yet"), "middle", size=13))
    elif bars:
        width = max(slot * Decimal("0.7"), Decimal(1))
        for day, value in series:
            height = plot_h * value / top
            parts.append(
                f'<rect class="bar" x="{_fmt(x(day) - width / 2)}" y="{_fmt(y(value))}" width="{_fmt(width)}" '
                f'height="{_fmt(height)}" fill="{BRAND}">{_tip(day, value)}</rect>'
            )
    else:
        points = " ".join(f"{_fmt(x(day))},{_fmt(y(value))}" for day, value in series)
        parts.append(f'<polyline class="line" points="{points}" fill="none" stroke="{BRAND}" stroke-width="2"/>')
        for day, value in series:
            parts.append(
                f'<circle cx="{_fmt(x(day))}" cy="{_fmt(y(value))}" r="3" fill="{BRAND}">{_tip(day, value)}</circle>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers we computed; every text is escaped
