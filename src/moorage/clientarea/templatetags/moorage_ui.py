"""Template filters of the client area and invoice documents: money, cycles, status badges."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext

from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.core.money import round_money, to_decimal

register = template.Library()


@register.filter
def money(value: object, currency: str = "") -> str:
    """12.5 → "12.50 USD" (thousands separated); empty for None."""
    if value is None or value == "":
        return ""
    amount = round_money(to_decimal(value) if not isinstance(value, Decimal) else value)
    # Grouped and with the decimal mark of the page's language: 1,234.50 in English, 1 234,50 in Russian.
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    return f"{number} {currency or settings.MOORAGE_CURRENCY}"


@register.filter
def cycle_label(value: str) -> str:
    try:
        return gettext(CYCLE_LABELS[Cycle(value)])
    except ValueError:
        return value or ""


@register.filter
def badge(status: str, label: str = "") -> str:
    """A coloured status label; the colour comes from the status value (see style.css)."""
    return format_html('<span class="badge badge-{}">{}</span>', status, label or str(status).title())
