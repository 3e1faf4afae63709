"""Add-ons: a catalog of extras (dedicated IP, extra disk) assigned to products and billed with their parent service."""

from django.apps import AppConfig


class AddonsConfig(AppConfig):
    name = "moorage.addons"
    label = "addons"
    verbose_name = "Add-ons"
