"""Clients, client groups and registration fields."""

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "moorage.customers"
    label = "customers"
    verbose_name = "Clients"
