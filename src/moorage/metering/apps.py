"""Metered billing and usage collection."""

from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "moorage.metering"
    label = "metering"
    verbose_name = "Metered billing"
