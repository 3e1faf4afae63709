"""Reads about payment gateways that more than one face needs."""

from __future__ import annotations

from moorage.billing.models import Invoice
from moorage.payments import registry


def pay_options(invoice: Invoice | None) -> list[dict[str, object]]:
    """The "Pay with …" buttons of an unpaid invoice: the enabled online gateways, in staff order."""
    if invoice is None or invoice.status != Invoice.Status.UNPAID:
        return []
    return [
        {
            "code": module.code,
            "name": config.display_name if config is not None and config.display_name else module.name,
            "can_save": module.supports_saved_methods,
        }
        for config, module in registry.enabled_gateways(online=True)
    ]
