"""The clients' hosting services and their lifecycle."""

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "moorage.services"
    label = "services"
    verbose_name = "Services"
