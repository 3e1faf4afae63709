"""Metered billing and usage collection."""

from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "moorage.metering"
    label = "metering"
    verbose_name = "Metered billing"

    def ready(self) -> None:
        # A metered product's prices travel in the product file (catalog.transfer never imports metering).
        from moorage.catalog.transfer import register_section
        from moorage.metering.product_transfer import SECTION

        register_section(SECTION)
