"""Operations: the commands that run a whole installation (demo, seeding)."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "moorage.operations"
    label = "operations"
    verbose_name = "Operations"
