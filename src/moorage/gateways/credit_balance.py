"""Credit balance: the client pays an invoice from the credit held on their account (a ledger move)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moorage.payments.interface import GatewayModule


class CreditBalanceGateway(GatewayModule):
    code = "credit_balance"
    name = _("Credit balance")
    manual = False
    online = False
    enabled_by_default = True

    def describe(self) -> str:
        return "Pays an invoice from the client's credit balance; no money moves at a provider."

    @property
    def instructions(self) -> str:
        return gettext("Pay the invoice from your account's credit balance.")
