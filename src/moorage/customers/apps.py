"""Clients, client groups and registration fields."""

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "moorage.customers"
    label = "customers"
    verbose_name = "Clients"

    def ready(self) -> None:
        from moorage.customers import checks  # noqa: F401  (registers the system check)
