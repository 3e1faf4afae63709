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


def gateway_names(*, online: bool | None = None) -> list[str]:
    """The names of the enabled gateways, in staff order (the checkout page lists them)."""
    return [registry.display_name(module.code, config) for config, module in registry.enabled_gateways(online=online)]


def credit_payments_enabled() -> bool:
    """Clients may pay invoices from their credit balance (the credit balance gateway is on)."""
    return registry.is_enabled("credit_balance")
