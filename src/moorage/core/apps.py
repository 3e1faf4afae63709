"""Shared kernel app: users, money, clock, encrypted fields, audit log, sequences."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "moorage.core"
    label = "core"
    verbose_name = "Core"
