"""Order forms: a product's form fields, their priced options, and the answers stored with a service."""

from django.apps import AppConfig


class OrderformsConfig(AppConfig):
    name = "moorage.orderforms"
    label = "orderforms"
    verbose_name = "Order forms"

    def ready(self) -> None:
        # A product export carries its order form under "form" (catalog never imports this app).
        from moorage.catalog.transfer import Section, register_section
        from moorage.orderforms.actions import create_fields
        from moorage.orderforms.transfer import export_section, parse_section

        register_section(
            Section(
                key="form",
                export=export_section,
                parse=parse_section,
                apply=lambda product, clean: create_fields(product, clean),
            )
        )
