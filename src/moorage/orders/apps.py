"""Cart, checkout and orders."""

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "moorage.orders"
    label = "orders"
    verbose_name = "Orders"
