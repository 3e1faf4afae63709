"""Payment gateways Moorage knows: how money arrives (bank transfer) or is spent (credit balance)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gateway:
    code: str
    name: str
    # Staff record payments of this gateway by hand, with the gateway's transaction id.
    manual: bool
    instructions: str = ""


BANK_TRANSFER = Gateway(
    code="bank_transfer",
    name="Bank / Wire Transfer",
    manual=True,
    instructions="Pay by bank transfer quoting the invoice number; staff record the payment when it arrives.",
)
CREDIT_BALANCE = Gateway(
    code="credit_balance",
    name="Credit balance",
    manual=False,
    instructions="Pay the invoice from your account's credit balance.",
)

GATEWAYS: dict[str, Gateway] = {g.code: g for g in (BANK_TRANSFER, CREDIT_BALANCE)}
# Gateways a payment row can be recorded for (credit balance is a ledger move, not a payment).
RECORDABLE = [g.code for g in GATEWAYS.values() if g.manual]
