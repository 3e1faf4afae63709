"""What the client area and staff screens show of a gateway (name, instructions), read through the
registry; kept for the callers of the former fixed gateway list."""

from __future__ import annotations

from dataclasses import dataclass

from moorage.payments import registry


@dataclass(frozen=True)
class Gateway:
    code: str
    name: str
    # Staff record payments of this gateway by hand, with the gateway's transaction id.
    manual: bool
    online: bool = False
    instructions: str = ""
    bank_details: str = ""


def info(code: str) -> Gateway:
    """A gateway's face: its display name and instructions (a code no module knows keeps its code)."""
    cls = registry.module_class(code)
    if cls is None:
        return Gateway(code=code, name=code, manual=False)
    module = registry.build(code)
    return Gateway(
        code=code,
        name=registry.display_name(code),
        manual=cls.manual,
        online=cls.online,
        instructions=str(getattr(module, "instructions", "") or ""),
        bank_details=str(getattr(module, "bank_details", "") or ""),
    )


def bank_transfer() -> Gateway:
    return info("bank_transfer")


def recordable() -> list[str]:
    """Gateways a payment can be recorded for by hand (credit balance is a ledger move, not a payment)."""
    return registry.manual_gateways()
