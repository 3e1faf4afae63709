"""Billing-side Client Functions of a service: auto renewal and auto payment switches, service notes,
status updates, product downloads."""

from django.apps import AppConfig


class ServiceFunctionsConfig(AppConfig):
    name = "moorage.servicefunctions"
    label = "servicefunctions"
    verbose_name = "Service functions"
