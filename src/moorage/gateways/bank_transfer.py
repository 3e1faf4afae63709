"""Bank / Wire Transfer: the client pays by bank; staff record the payment when it arrives."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from moorage.payments.interface import GatewayModule, SettingField

DEFAULT_INSTRUCTIONS = _("Pay by bank transfer quoting the invoice number; staff record the payment when it arrives.")


class BankTransferGateway(GatewayModule):
    code = "bank_transfer"
    name = _("Bank / Wire Transfer")
    manual = True
    online = False
    enabled_by_default = True
    settings_fields = (
        SettingField(
            "instructions",
            "Instructions for the client",
            required=False,
            default=DEFAULT_INSTRUCTIONS,
            help="Shown on unpaid invoices and after an order.",
        ),
        SettingField(
            "bank_details",
            "Bank details",
            required=False,
            help="Beneficiary, bank, IBAN / account number, SWIFT: shown under the instructions.",
        ),
    )

    def describe(self) -> str:
        return "The client transfers the money; staff record it on the invoice (Record payment)."

    @property
    def instructions(self) -> str:
        return self.setting("instructions")

    @property
    def bank_details(self) -> str:
        return self.setting("bank_details") or getattr(settings, "MOORAGE_BANK_DETAILS", "")
