"""Upgrades and downgrades: a service's change of product or billing cycle, and its money."""

from django.apps import AppConfig


class UpgradesConfig(AppConfig):
    name = "moorage.upgrades"
    label = "upgrades"
    verbose_name = "Upgrades"

    def ready(self) -> None:
        # Queued pro-rata charges (Queue Pro-rata Charges, hybrid billing) ride on the next renewal
        # invoice; billing sits below upgrades, so it calls them through its renewal hook.
        from moorage.billing.closing import closing_extras
        from moorage.billing.renewal import renewal_extras
        from moorage.upgrades.actions import bill_queued_charges, closing_charges

        if bill_queued_charges not in renewal_extras:
            renewal_extras.append(bill_queued_charges)
        # Cancelling a service settles its changes' money (queued charges billed, unpaid ones kept
        # owed); cancellations sits beside upgrades, so it calls them through billing's hook.
        if closing_charges not in closing_extras:
            closing_extras.append(closing_charges)
