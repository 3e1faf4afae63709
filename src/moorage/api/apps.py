"""REST API v1."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "moorage.api"
    label = "api"
    verbose_name = "API"
