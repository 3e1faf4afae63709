"""Provisioning modules, app connections and jobs."""

from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "moorage.provisioning"
    label = "provisioning"
    verbose_name = "Provisioning"
