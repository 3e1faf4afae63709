"""Order forms: a product's form fields, their priced options, and the answers stored with a service."""

from django.apps import AppConfig


class OrderformsConfig(AppConfig):
    name = "moorage.orderforms"
    label = "orderforms"
    verbose_name = "Order forms"
