"""Add-ons: a catalog of extras (dedicated IP, extra disk) assigned to products and billed with their parent service."""

from django.apps import AppConfig


class AddonsConfig(AppConfig):
    name = "moorage.addons"
    label = "addons"
    verbose_name = "Add-ons"

    def ready(self) -> None:
        # A product export carries the codes of its assigned add-ons (catalog never imports addons).
        from moorage.addons import transfer
        from moorage.catalog.transfer import Section, register_section

        register_section(Section(transfer.KEY, transfer.export, transfer.parse, transfer.apply))
