"""The client area: the customer's pages."""

from django.apps import AppConfig


class ClientareaConfig(AppConfig):
    name = "moorage.clientarea"
    label = "clientarea"
    verbose_name = "Client area"
