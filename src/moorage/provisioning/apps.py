"""Provisioning modules, app connections and jobs."""

from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "moorage.provisioning"
    label = "provisioning"
    verbose_name = "Provisioning"

    def ready(self) -> None:
        # The product file carries the App tab (catalog.transfer never imports provisioning).
        from moorage.catalog.transfer import register_section
        from moorage.provisioning.product_transfer import SECTION

        register_section(SECTION)
