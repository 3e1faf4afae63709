"""Order pages, products, prices, import and export."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "moorage.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        # The product's Emails choices travel in the product file (a section like the other apps').
        from moorage.catalog.transfer import register_section
        from moorage.catalog.transfer_emails import SECTION

        register_section(SECTION)
