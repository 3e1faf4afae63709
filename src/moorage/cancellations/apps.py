"""Cancellation requests and what processing one does to the service and the client's money."""

from django.apps import AppConfig


class CancellationsConfig(AppConfig):
    name = "moorage.cancellations"
    label = "cancellations"
    verbose_name = "Cancellations"
