"""Contract templates (versioned terms), what a product requires, and the clients' acceptances."""

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "moorage.contracts"
    label = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        from moorage.catalog.transfer import register_section
        from moorage.contracts.transfer import SECTION

        register_section(SECTION)
