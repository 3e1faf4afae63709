"""Contract templates (versioned terms), what a product requires, and the clients' acceptances."""

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "moorage.contracts"
    label = "contracts"
    verbose_name = "Contracts"
