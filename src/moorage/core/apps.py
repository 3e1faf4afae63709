"""Shared kernel app: users, money, clock, encrypted fields, audit log, sequences."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "moorage.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from moorage.core import (
            checks,  # noqa: F401  (registers the deploy checks)
            logins,  # noqa: F401  (audits sign-in lockouts)
        )
