"""Automation: the scheduled run that bills, reminds, suspends and terminates by itself."""

from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "moorage.automation"
    label = "automation"
    verbose_name = "Automation"
